"""What the CRM's pages share: reading ids and filters from a request, fetching a record or
404, bulk tagging, exports and timelines.

Tenant assumptions: the connection is on the member's schema (the request's site).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from crm import exporting, selectors, services
from crm.forms import BulkTagForm
from crm.models import Contact, Organisation
from crm.timeline import TimelineEntry, timeline_external

PAGE_SIZE = 25


def count_words(n: int, one: str, many: str) -> str:
    """ "1 interaction stays", "2 interactions stay": the number with the words that fit it."""
    return f"{n:,} {one if n == 1 else many}"


def int_or_none(value: str | None) -> int | None:
    """An id from a query string or form; anything else is treated as absent."""
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return selectors.contact_detail(user=request.user, contact_id=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc


def organisation_or_404(organisation_id: int) -> Organisation:
    try:
        return selectors.organisation_detail(organisation_id=organisation_id)
    except Organisation.DoesNotExist as exc:
        raise Http404 from exc


def querystring(request: HttpRequest, drop: tuple[str, ...] = ("page",)) -> str:
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


def bulk_tag(request: HttpRequest, record_type: str, back: str) -> HttpResponse:
    """Add a tag to (or remove it from) the records ticked on a list page."""
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
    tag = services.tag_get_or_create(name=form.cleaned_data["tag"], acting_user=request.user)
    remove = form.cleaned_data["action"] == "remove"
    count = services.tags_bulk_apply(
        record_type=record_type, ids=ids, tag=tag, acting_user=request.user, remove=remove
    )
    verb = "Removed" if remove else "Added"
    messages.success(request, f"{verb} “{tag.name}” {'from' if remove else 'to'} {count} records.")
    return redirect(f"{reverse(back)}?{request.POST.get('return_query', '')}")


def export_response(
    queryset: QuerySet, *, record_type: str, file_format: str, name: str
) -> HttpResponse:
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


def timeline_for(request: HttpRequest, record_type: str, obj: Any) -> list[TimelineEntry]:
    """A record's timeline, newest first: interactions the user may see, consents, and what
    other apps add (crm.timeline)."""
    if record_type == "contact":
        interactions = selectors.interactions_for(user=request.user, contact=obj)
    else:
        interactions = selectors.interactions_for(user=request.user, organisation=obj)
    entries = [
        TimelineEntry(i.date, i.get_kind_display(), i.summary,
                      " · ".join(x for x in [i.outcome, i.notes[:200]] if x),
                      url=i.get_absolute_url())
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
