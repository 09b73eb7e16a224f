"""Contact pages: the list (search, filters, bulk tags, export), one contact, its edit and
delete pages, and what is added to a contact (a role, a consent, access to it).

Every page runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crm import selectors, services
from crm.forms import ConsentForm, ContactForm, LegalHoldForm, RoleForm
from crm.models import ConsentPurpose, ConsentStatus, Contact, Tag
from crm.panels import panels_render
from crm.permissions import (
    can_grant_restricted_access,
    can_set_legal_hold,
    contact_permission_required,
    is_manager_here,
)
from tenants.forms import form_errors_add

from .common import (
    PAGE_SIZE,
    bulk_tag,
    contact_or_404,
    count_words,
    export_response,
    int_or_none,
    querystring,
    timeline_for,
)


def _contact_filters(request: HttpRequest) -> dict[str, str]:
    return {
        "search": request.GET.get("q", "").strip(),
        "tag": request.GET.get("tag", ""),
        "consent": request.GET.get("consent", ""),
        "sort": request.GET.get("sort", "name"),
    }


@require_http_methods(["GET", "POST"])
def contact_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return bulk_tag(request, "contact", "crm:contact_list")
    filters = _contact_filters(request)
    contacts = selectors.contact_list(user=request.user, **filters)
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    consent_choices = [
        (f"{p.value}:{s.value}", f"{p.label}: {s.label.lower()}")
        for p in ConsentPurpose for s in ConsentStatus
    ] + [(f"{p.value}:none", f"{p.label}: not recorded") for p in ConsentPurpose]  # fmt: skip
    return render(
        request,
        "crm/contact_list.html",
        {
            "page": page, "filters": filters, "tags": Tag.objects.all(),
            "capped": bool(filters["search"]) and page.paginator.count >= selectors.SEARCH_CAP,
            "consent_choices": consent_choices, "query": querystring(request),
            "export_query": querystring(request, drop=("page",)),
        },
    )  # fmt: skip


def contact_export(request: HttpRequest, file_format: str) -> HttpResponse:
    for_mailing = request.GET.get("mailing") == "1"
    contacts = selectors.contact_list(
        user=request.user, for_mailing=for_mailing, **_contact_filters(request)
    )
    name = "contacts-mailing" if for_mailing else "contacts"
    return export_response(contacts, record_type="contact", file_format=file_format, name=name)


def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    latest: dict[str, object] = {}
    for consent in contact.consents.all():
        latest.setdefault(consent.purpose, consent)
    is_manager = is_manager_here(request.user)
    return render(
        request,
        "crm/contact_detail.html",
        {
            "contact": contact, "timeline": timeline_for(request, "contact", contact),
            "latest_consents": latest.values(), "consent_form": ConsentForm(),
            "role_form": RoleForm(), "is_manager": is_manager,
            "may_hold": can_set_legal_hold(request.user), "hold_form": LegalHoldForm(),
            "panels": panels_render(request, "contact", contact),
            "access": selectors.restricted_access_of(contact=contact, member=request.tenant)
            if contact.is_restricted and is_manager else None,
        },
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int | None = None) -> HttpResponse:
    contact = contact_or_404(request, contact_id) if contact_id else None
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = data.pop("tags")
        try:
            if contact is None:
                contact = services.contact_create(acting_user=request.user, tags=tags, **data)
                messages.success(request, f"{contact.display_name} added.")
            else:
                services.contact_update(
                    contact=contact, acting_user=request.user, tags=tags, **data
                )
                messages.success(request, "Changes saved.")
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            return redirect(contact)
    return render(request, "crm/record_form.html", {
        "form": form, "object": contact, "kind": "contact",
        "cancel": contact.get_absolute_url() if contact else reverse("crm:contact_list"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    if request.method == "POST":
        services.contact_delete(contact=contact, acting_user=request.user)
        messages.success(request, f"{contact.display_name} was deleted.")
        return redirect("crm:contact_list")
    return render(request, "crm/confirm_delete.html", {
        "object": contact, "name": contact.display_name, "cancel": contact.get_absolute_url(),
        "consequences": [
            count_words(selectors.interactions_for(user=request.user, contact=contact).count(),
                        "interaction stays", "interactions stay") + ", without this person.",
            count_words(contact.roles.count(), "role at an organisation is",
                        "roles at organisations are")
            + " removed.",
            "Consent records are removed with the contact.",
        ],
    })  # fmt: skip


@require_POST
def contact_role_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        organisation = selectors.organisation_by_name_or_identifier(text=data.pop("organisation"))
        if organisation is None:
            messages.error(request, "No organisation has that name or identifier: add it first.")
            return redirect(contact)
        try:
            services.role_add(
                contact=contact, organisation=organisation, acting_user=request.user, **data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Role added.")
    else:
        messages.error(request, "Choose an organisation and a role.")
    return redirect(contact)


@require_POST
@contact_permission_required(can_grant_restricted_access)
def contact_access(request: HttpRequest, contact: Contact) -> HttpResponse:
    """Managers decide which colleagues may see a restricted contact."""
    colleague = selectors.colleague_get(
        member=request.tenant, user_id=int_or_none(request.POST.get("user")) or 0
    )
    if colleague is None:
        raise Http404
    if request.POST.get("action") == "revoke":
        services.contact_restricted_access_revoke(
            contact=contact, user=colleague, acting_user=request.user
        )
        messages.success(request, f"{colleague.get_full_name()} can no longer see this contact.")
    else:
        services.contact_restricted_access_grant(
            contact=contact, user=colleague, acting_user=request.user
        )
        messages.success(request, f"{colleague.get_full_name()} can now see this contact.")
    return redirect(contact)


@require_POST
def contact_consent(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_record(contact=contact, acting_user=request.user, **form.cleaned_data)
        messages.success(request, "Consent recorded.")
    else:
        problems = "; ".join(
            f"{form.fields[k].label or k}: {' '.join(v)}" for k, v in form.errors.items()
        )
        messages.error(request, f"Fill in every consent field: {problems}")
    return redirect(contact)
