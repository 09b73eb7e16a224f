"""The security events pages: /team/security/ on a member's site for its managers, and
/security/ on the consortium site for consortium admins. Filtered, paginated, newest first,
with a chart of events per day and a CSV download of the filtered rows.

Views parse, authorise, call selectors, and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import security_selectors
from .csvfile import csv_bytes
from .models import AuditEntry, Member
from .permissions import can_view_security_events, permission_require
from .security_chart import events_per_day_svg
from .security_filters import ConsortiumSecurityEventFilter, SecurityEventFilter
from .security_services import ATTEMPTED_NAME_LENGTH
from .sites import site_member

PAGE_SIZE = 50
CHART_DAYS = 30
CSV_MAX_ROWS = 50_000
INVALID_FILTERS = "Some of the filters could not be used. Correct them to see the events."
NOBODY = "Someone not signed in"
AUTOMATIC = "Commons (automatic)"


def _chart_window(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days the chart covers: up to the last 30 of the range (ending today by default)."""
    last = until or timezone.localdate()
    span = dt.timedelta(days=CHART_DAYS - 1)
    first = last - span if last - dt.date.min >= span else dt.date.min
    if since is not None and since > first:
        first = since
    return first, last


def _rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    names = security_selectors.security_names(entries=entries)
    members = security_selectors.security_member_names(entries=entries)
    rows = []
    for entry in entries:
        details = entry.details if isinstance(entry.details, dict) else {}
        subject = details.get("user_id")
        rows.append({
            "at": entry.at,
            "who": names.get(entry.actor_id, NOBODY) if entry.actor_id
                   else NOBODY if entry.action == "account.sign_in_failed" else AUTOMATIC,
            "what": entry.action_label,
            "about": (names.get(subject) if isinstance(subject, int) else None)
                     or entry.target[:ATTEMPTED_NAME_LENGTH],
            "address": str(details.get("address", ""))[:64],
            "member": members.get(entry.member_id, "Consortium site"),
        })  # fmt: skip
    return rows


def _csv(rows: list[dict[str, Any]], *, with_member: bool, name: str) -> HttpResponse:
    headers = ["When", *(["Member"] if with_member else []), "Who", "What", "About", "From"]
    lines = (
        [timezone.localtime(row["at"]).strftime("%Y-%m-%d %H:%M:%S"),
         *([row["member"]] if with_member else []),
         row["who"], row["what"], row["about"], row["address"]]
        for row in rows
    )  # fmt: skip
    response = HttpResponse(csv_bytes(headers, lines), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def _events_page(
    request: HttpRequest, *, member: Member | None, filter_class: type, template_base: str
) -> HttpResponse:
    permission_require(can_view_security_events(request.user, member))
    events = security_selectors.security_events_visible_to(user=request.user, member=member)
    filters = filter_class(request.GET or None, queryset=events)
    valid = not filters.is_bound or filters.is_valid()
    chosen = filters.form.cleaned_data if filters.is_bound and valid else {}
    rows_qs = filters.qs if valid else events.none()
    with_member = member is None
    if valid and request.GET.get("download") == "csv":
        name = "security-events" if with_member else f"security-events-{member.slug}"
        return _csv(_rows(list(rows_qs[:CSV_MAX_ROWS])), with_member=with_member, name=name)
    page = Paginator(rows_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    first, last = _chart_window(chosen.get("since"), chosen.get("until"))
    days = security_selectors.security_events_per_day(events=rows_qs, first=first, last=last)
    chart_title = f"Security events per day, {first:%-d %b %Y} to {last:%-d %b %Y}"
    query = request.GET.copy()
    for key in ("page", "download"):
        query.pop(key, None)
    return render(
        request,
        "tenants/security_events.html",
        {
            "base_template": template_base,
            "filters": filters,
            "form": filters.form,
            "valid": valid,
            "invalid_message": INVALID_FILTERS,
            "page": page,
            "rows": _rows(list(page.object_list)),
            "with_member": with_member,
            "filtered": bool(chosen and any(chosen.values())),
            "days": [(day, count) for day, count in days if count] if days else [],
            "chart_svg": events_per_day_svg(days, title=chart_title),
            "chart_title": chart_title,
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def member_security_events(request: HttpRequest) -> HttpResponse:
    """A member's security events, for its managers (staff are refused)."""
    member = site_member(request)
    if member is None:  # only a member's site serves this page
        raise Http404
    return _events_page(
        request, member=member, filter_class=SecurityEventFilter,
        template_base="member_base.html",
    )  # fmt: skip


@login_required
@require_GET
def consortium_security_events(request: HttpRequest) -> HttpResponse:
    """Every member's security events, for consortium admins."""
    return _events_page(
        request, member=None, filter_class=ConsortiumSecurityEventFilter,
        template_base="consortium_base.html",
    )  # fmt: skip
