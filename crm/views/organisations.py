"""Organisation pages: the list (search, filters, bulk tags, export), one organisation, its
edit and delete pages.

Every page runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from crm import selectors, services
from crm.forms import LegalHoldForm, OrganisationForm
from crm.models import OrganisationType, Tag
from crm.panels import panels_render
from crm.permissions import can_set_legal_hold
from tenants.districts import district_choices
from tenants.forms import form_errors_add

from .common import (
    PAGE_SIZE,
    bulk_tag,
    count_words,
    export_response,
    organisation_or_404,
    querystring,
    timeline_for,
)


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
        return bulk_tag(request, "organisation", "crm:organisation_list")
    filters = _organisation_filters(request)
    page = Paginator(selectors.organisation_list(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "crm/organisation_list.html", {
        "page": page, "filters": filters, "tags": Tag.objects.all(),
        "capped": bool(filters["search"]) and page.paginator.count >= selectors.SEARCH_CAP,
        "types": OrganisationType.choices, "districts": district_choices(),
        "query": querystring(request), "export_query": querystring(request),
    })  # fmt: skip


def organisation_export(request: HttpRequest, file_format: str) -> HttpResponse:
    orgs = selectors.organisation_list(**_organisation_filters(request))
    return export_response(orgs, record_type="organisation", file_format=file_format,
                           name="organisations")  # fmt: skip


def organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    org = organisation_or_404(organisation_id)
    return render(request, "crm/organisation_detail.html", {
        "org": org, "people": selectors.organisation_people(user=request.user, organisation=org),
        "panels": panels_render(request, "organisation", org),
        "may_hold": can_set_legal_hold(request.user), "hold_form": LegalHoldForm(),
        "timeline": timeline_for(request, "organisation", org),
        "relationships": list(org.relationships_from.select_related("to_organisation"))
        + list(org.relationships_to.select_related("from_organisation")),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, organisation_id: int | None = None) -> HttpResponse:
    org = organisation_or_404(organisation_id) if organisation_id else None
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
    org = organisation_or_404(organisation_id)
    if request.method == "POST":
        services.organisation_delete(organisation=org, acting_user=request.user)
        messages.success(request, f"{org.name} was deleted.")
        return redirect("crm:organisation_list")
    return render(request, "crm/confirm_delete.html", {
        "object": org, "name": org.name, "cancel": org.get_absolute_url(),
        "consequences": [
            f"{selectors.organisation_people(user=request.user, organisation=org).count()} "
            "people’s roles here are removed (the people stay).",
            count_words(selectors.interactions_for(user=request.user, organisation=org).count(),
                        "interaction stays", "interactions stay") + ", without this organisation.",
        ],
    })  # fmt: skip
