"""Pages of a member's CRM. Views parse, authorise, call a service or selector, render.

Every page here runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenants.forms import form_errors_add

from . import exporting, import_jobs, merging, selectors, services
from .columns import CONTACT_COLUMNS, ORGANISATION_COLUMNS
from .forms import (
    BulkTagForm,
    ConsentForm,
    ContactForm,
    ImportUploadForm,
    InteractionForm,
    OrganisationForm,
    RoleForm,
)
from .models import (
    ConsentPurpose,
    ConsentStatus,
    Contact,
    ImportJob,
    Organisation,
    OrganisationType,
    Tag,
)
from .panels import panels_render
from .timeline import TimelineEntry, timeline_external

PAGE_SIZE = 25


def _count(n: int, one: str, many: str) -> str:
    """ "1 interaction stays", "2 interactions stay": the number with the words that fit it."""
    return f"{n:,} {one if n == 1 else many}"


def _int(value: str | None) -> int | None:
    """An id from a query string or form; anything else is treated as absent."""
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return selectors.contact_detail(user=request.user, contact_id=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc


def _organisation_or_404(organisation_id: int) -> Organisation:
    try:
        return selectors.organisation_detail(organisation_id=organisation_id)
    except Organisation.DoesNotExist as exc:
        raise Http404 from exc


def _querystring(request: HttpRequest, drop: tuple[str, ...] = ("page",)) -> str:
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


# --- contacts --------------------------------------------------------------------------


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
        return _bulk_tag(request, "contact", "crm:contact_list")
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
            "consent_choices": consent_choices, "query": _querystring(request),
            "export_query": _querystring(request, drop=("page",)),
        },
    )  # fmt: skip


def _bulk_tag(request: HttpRequest, record_type: str, back: str) -> HttpResponse:
    form = BulkTagForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["ids"]:
        messages.error(request, "Choose at least one record and a tag.")
        return redirect(f"{reverse(back)}?{request.POST.get('return_query', '')}")
    ids = form.cleaned_data["ids"]
    if record_type == "contact":
        ids = list(
            selectors.contacts_visible_to(user=request.user)
            .filter(pk__in=ids).values_list("pk", flat=True)
        )  # fmt: skip
    else:
        ids = list(Organisation.objects.filter(pk__in=ids).values_list("pk", flat=True))
    tag = services.tag_get_or_create(name=form.cleaned_data["tag"])
    remove = form.cleaned_data["action"] == "remove"
    count = services.tags_bulk_apply(
        record_type=record_type, ids=ids, tag=tag, acting_user=request.user, remove=remove
    )
    verb = "Removed" if remove else "Added"
    messages.success(request, f"{verb} “{tag.name}” {'from' if remove else 'to'} {count} records.")
    return redirect(f"{reverse(back)}?{request.POST.get('return_query', '')}")


def _export(queryset, *, record_type: str, file_format: str, name: str) -> HttpResponse:
    if file_format not in exporting.FORMATS:
        raise Http404
    data = exporting.records_export(
        queryset=queryset, record_type=record_type, file_format=file_format
    )
    content_type, extension = exporting.FORMATS[file_format]
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{extension}"'
    return response


def contact_export(request: HttpRequest, file_format: str) -> HttpResponse:
    for_mailing = request.GET.get("mailing") == "1"
    contacts = selectors.contact_list(
        user=request.user, for_mailing=for_mailing, **_contact_filters(request)
    )
    name = "contacts-mailing" if for_mailing else "contacts"
    return _export(contacts, record_type="contact", file_format=file_format, name=name)


def _timeline(request: HttpRequest, record_type: str, obj) -> list[TimelineEntry]:
    if record_type == "contact":
        interactions = selectors.interactions_for(user=request.user, contact=obj)
    else:
        interactions = selectors.interactions_for(user=request.user, organisation=obj)
    entries = [
        TimelineEntry(i.date, i.get_kind_display(), i.summary,
                      " · ".join(x for x in [i.outcome, i.notes[:200]] if x))
        for i in interactions[:100]
    ]  # fmt: skip
    if record_type == "contact":
        entries += [
            TimelineEntry(timezone.localtime(c.recorded_at).date(), "Consent",
                          f"{c.get_purpose_display()}: {c.get_status_display().lower()}",
                          c.method)
            for c in obj.consents.all()
        ]  # fmt: skip
    entries += timeline_external(record_type, obj.pk)
    return sorted(entries, key=lambda e: str(e.when), reverse=True)


def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    latest: dict[str, object] = {}
    for consent in contact.consents.all():
        latest.setdefault(consent.purpose, consent)
    return render(
        request,
        "crm/contact_detail.html",
        {
            "contact": contact, "timeline": _timeline(request, "contact", contact),
            "latest_consents": latest.values(), "consent_form": ConsentForm(),
            "role_form": RoleForm(), "is_manager": _is_manager(request),
            "access": selectors.restricted_access_of(contact=contact, member=request.tenant)
            if contact.is_restricted and _is_manager(request) else None,
        },
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int | None = None) -> HttpResponse:
    contact = _contact_or_404(request, contact_id) if contact_id else None
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
    contact = _contact_or_404(request, contact_id)
    if request.method == "POST":
        services.contact_delete(contact=contact, acting_user=request.user)
        messages.success(request, f"{contact.display_name} was deleted.")
        return redirect("crm:contact_list")
    return render(request, "crm/confirm_delete.html", {
        "object": contact, "name": contact.display_name, "cancel": contact.get_absolute_url(),
        "consequences": [
            _count(selectors.interactions_for(user=request.user, contact=contact).count(),
                   "interaction stays", "interactions stay") + ", without this person.",
            _count(contact.roles.count(), "role at an organisation is",
                   "roles at organisations are")
            + " removed.",
            "Consent records are removed with the contact.",
        ],
    })  # fmt: skip


def _is_manager(request: HttpRequest) -> bool:
    return getattr(request.membership, "role", "") == "manager"


@require_POST
def contact_role_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
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
def contact_access(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Managers decide which colleagues may see a restricted contact."""
    contact = _contact_or_404(request, contact_id)  # not found before not allowed
    if not _is_manager(request):
        raise PermissionDenied
    colleague = selectors.colleague_get(
        member=request.tenant, user_id=_int(request.POST.get("user")) or 0
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
    contact = _contact_or_404(request, contact_id)
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


# --- organisations ---------------------------------------------------------------------


def _organisation_filters(request: HttpRequest) -> dict[str, str]:
    return {
        "search": request.GET.get("q", "").strip(),
        "tag": request.GET.get("tag", ""),
        "org_type": request.GET.get("type", ""),
        "district": request.GET.get("district", ""),
        "sort": request.GET.get("sort", "name"),
    }


@require_http_methods(["GET", "POST"])
def organisation_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _bulk_tag(request, "organisation", "crm:organisation_list")
    from tenants.districts import district_choices

    filters = _organisation_filters(request)
    page = Paginator(selectors.organisation_list(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "crm/organisation_list.html", {
        "page": page, "filters": filters, "tags": Tag.objects.all(),
        "capped": bool(filters["search"]) and page.paginator.count >= selectors.SEARCH_CAP,
        "types": OrganisationType.choices, "districts": district_choices(),
        "query": _querystring(request), "export_query": _querystring(request),
    })  # fmt: skip


def organisation_export(request: HttpRequest, file_format: str) -> HttpResponse:
    orgs = selectors.organisation_list(**_organisation_filters(request))
    return _export(orgs, record_type="organisation", file_format=file_format,
                   name="organisations")  # fmt: skip


def organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    org = _organisation_or_404(organisation_id)
    return render(request, "crm/organisation_detail.html", {
        "org": org, "people": selectors.organisation_people(user=request.user, organisation=org),
        "panels": panels_render(request, "organisation", org),
        "timeline": _timeline(request, "organisation", org),
        "relationships": list(org.relationships_from.select_related("to_organisation"))
        + list(org.relationships_to.select_related("from_organisation")),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, organisation_id: int | None = None) -> HttpResponse:
    org = _organisation_or_404(organisation_id) if organisation_id else None
    initial = {}
    if org is not None:
        initial["identifiers_text"] = "\n".join(str(i) for i in org.identifiers.all())
    form = OrganisationForm(request.POST or None, instance=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = data.pop("tags")
        identifiers = data.pop("identifiers_text")
        preferred = f"{identifiers[0][0]}-{identifiers[0][1]}" if identifiers else None
        try:
            if org is None:
                org = services.organisation_create(
                    acting_user=request.user, tags=tags, identifiers=identifiers,
                    preferred_identifier=preferred, **data,
                )  # fmt: skip
                messages.success(request, f"{org.name} added.")
            else:
                services.organisation_update(
                    organisation=org, acting_user=request.user, tags=tags,
                    identifiers=identifiers, preferred_identifier=preferred, **data,
                )  # fmt: skip
                messages.success(request, "Changes saved.")
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            return redirect(org)
    return render(request, "crm/record_form.html", {
        "form": form, "object": org, "kind": "organisation",
        "cancel": org.get_absolute_url() if org else reverse("crm:organisation_list"),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def organisation_delete(request: HttpRequest, organisation_id: int) -> HttpResponse:
    org = _organisation_or_404(organisation_id)
    if request.method == "POST":
        services.organisation_delete(organisation=org, acting_user=request.user)
        messages.success(request, f"{org.name} was deleted.")
        return redirect("crm:organisation_list")
    return render(request, "crm/confirm_delete.html", {
        "object": org, "name": org.name, "cancel": org.get_absolute_url(),
        "consequences": [
            f"{selectors.organisation_people(user=request.user, organisation=org).count()} "
            "people’s roles here are removed (the people stay).",
            _count(selectors.interactions_for(user=request.user, organisation=org).count(),
                   "interaction stays", "interactions stay") + ", without this organisation.",
        ],
    })  # fmt: skip


# --- interactions ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def interaction_create(request: HttpRequest) -> HttpResponse:
    contact_id = _int(request.GET.get("contact") or request.POST.get("contact"))
    org_id = _int(request.GET.get("organisation") or request.POST.get("organisation"))
    contact = _contact_or_404(request, contact_id) if contact_id else None
    org = _organisation_or_404(org_id) if org_id else None
    form = InteractionForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        services.interaction_create(
            acting_user=request.user, contacts=[contact] if contact else [],
            organisations=[org] if org else [], **form.cleaned_data,
        )  # fmt: skip
        messages.success(request, "Interaction recorded.")
        return redirect(contact or org or "crm:contact_list")
    return render(request, "crm/interaction_form.html",
                  {"form": form, "contact": contact, "org": org})  # fmt: skip


# --- duplicates ----------------------------------------------------------------------------


def duplicates(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/duplicates.html", {
        "contact_pairs": selectors.contact_duplicates(user=request.user),
        "organisation_pairs": selectors.organisation_duplicates(),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, record_type: str, keep_id: int, drop_id: int) -> HttpResponse:
    if record_type == "contact":
        keep, drop = _contact_or_404(request, keep_id), _contact_or_404(request, drop_id)
    elif record_type == "organisation":
        keep, drop = _organisation_or_404(keep_id), _organisation_or_404(drop_id)
    else:
        raise Http404
    if request.method == "POST":
        try:
            if record_type == "contact":
                kept = merging.contact_merge(keep=keep, drop=drop, acting_user=request.user)
            else:
                kept = merging.organisation_merge(keep=keep, drop=drop, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("crm:duplicates")
        messages.success(request, f"Merged into {kept}. Everything attached to both was kept.")
        return redirect(kept)
    return render(request, "crm/merge_confirm.html",
                  {"keep": keep, "drop": drop, "record_type": record_type})  # fmt: skip


# --- imports -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_jobs.import_job_create(
            upload=form.cleaned_data["file"], acting_user=request.user,
            tag_name=form.cleaned_data["tag_name"],
        )  # fmt: skip
        import_jobs.import_job_check(job=job)
        return redirect("crm:import_detail", job_id=job.pk)
    recent = _jobs_for(request)[:20]
    return render(request, "crm/import_start.html", {"form": form, "recent": recent})


def _jobs_for(request: HttpRequest):
    """Imports a user may see: their own; managers see everyone's."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if _is_manager(request) else jobs.filter(created_by=request.user)


def _job_or_404(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return _jobs_for(request).get(pk=job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc


@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if request.method == "POST" and not job.is_running:
        if "confirm" in request.POST:
            try:
                import_jobs.import_job_confirm(job=job, acting_user=request.user)
            except ValueError as exc:
                messages.error(request, str(exc))
        else:
            record_type = request.POST.get("record_type") or job.record_type
            columns = CONTACT_COLUMNS if record_type == "contact" else ORGANISATION_COLUMNS
            mapping = {}
            for key, value in request.POST.items():
                index = _int(key.removeprefix("column_")) if key.startswith("column_") else None
                if index is not None and value in columns:
                    mapping[index] = value
            try:
                import_jobs.import_job_check(job=job, record_type=record_type, mapping=mapping)
            except ValueError as exc:
                messages.error(request, str(exc))
        return redirect("crm:import_detail", job_id=job.pk)
    columns = CONTACT_COLUMNS if job.record_type == "contact" else ORGANISATION_COLUMNS
    template = "crm/_import_status.html" if request.htmx else "crm/import_detail.html"
    mapping = {int(k): v for k, v in (job.mapping or {}).items()}
    headers = [m["header"] for m in (job.summary or {}).get("mapping", [])]
    return render(request, template, {
        "job": job, "columns": columns.values(),
        "mapping_rows": [(i, h, mapping.get(i, "")) for i, h in enumerate(headers)],
    })  # fmt: skip
