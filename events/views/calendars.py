"""The calendars: the events list and month on every site, and the iCalendar feeds that
Outlook, Google Calendar and Thunderbird subscribe to (public events, or with a personal key
everything its owner may see)."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from events import selectors, services
from events.calendar import calendar_build, public_path
from events.models import Event, EventType, Visibility
from events.permissions import site_member
from tenants.models import Member
from tenants.ordering import name_order
from tenants.sites import site_url

from .base import EARLIEST_YEAR, LATEST_YEAR, parse_date, render_page


def _filters(request: HttpRequest) -> dict[str, Any]:
    event_type = request.GET.get("type", "")
    return {
        "host": request.GET.get("host", "").strip(),
        "event_type": event_type if event_type in EventType.values else "",
        "search": request.GET.get("q", "").strip()[:100],
    }


def _filter_context(request: HttpRequest, filters: dict[str, Any]) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("month", None)
    return {
        "filters": filters,
        "hosts": Member.organisations.active().order_by(*name_order("name"), "id"),
        "types": EventType.choices,
        "query": query.urlencode(),
    }


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    filters = _filters(request)
    start = parse_date(request.GET.get("from")) or timezone.localdate()
    events = selectors.events_filtered(
        user=request.user,
        member=member,
        start=start,
        end=parse_date(request.GET.get("to")),
        **filters,
    )
    page = Paginator(events, 20).get_page(request.GET.get("page"))
    return render_page(
        request,
        "events/event_list.html",
        {
            "page": page,
            "start": start,
            "view": "list",
            **_filter_context(request, filters),
            "feed_url": _feed_url(request, member),
            "personal_feed_url": _personal_feed(request),
        },
    )


@login_required
def event_month(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    filters = _filters(request)
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        date(year, month, 1)
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValueError(year)
    except ValueError:
        year, month = today.year, today.month
    weeks = selectors.month_grid(year, month)
    events = selectors.events_filtered(
        user=request.user, member=member, start=weeks[0][0], end=weeks[-1][-1], **filters
    )
    by_day: dict[date, list[Event]] = {}
    for event in events:
        day = timezone.localtime(event.starts_at).date()
        last = timezone.localtime(event.ends_at).date()
        while day <= last:
            by_day.setdefault(day, []).append(event)
            day += timedelta(days=1)
    first = date(year, month, 1)
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return render_page(
        request,
        "events/event_month.html",
        {
            "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
            "month_start": first,
            "month": month,
            "today": today,
            "view": "month",
            "previous": f"{previous:%Y-%m}",
            "next": f"{following:%Y-%m}",
            "day_names": pycalendar.day_abbr,
            "event_count": len(events),
            **_filter_context(request, filters),
        },
    )


def _feed_url(request: HttpRequest, member: Member | None) -> str:
    name = member.slug if member else "all"
    return site_url(request, None, public_path("calendar_feed", name))


def _personal_feed(request: HttpRequest) -> str:
    key = services.calendar_key_for(acting_user=request.user)
    return site_url(request, None, public_path("calendar_feed", "all") + f"?key={key}")


@login_required
@require_POST
def calendar_key_renew(request: HttpRequest) -> HttpResponse:
    services.calendar_key_renew(acting_user=request.user)
    messages.success(request, "Your calendar address has changed: the old one no longer works. "
                              "Subscribe again with the new one.")  # fmt: skip
    return redirect("events:event_list")


@login_not_required
def calendar_feed(request: HttpRequest, name: str) -> HttpResponse:
    """RFC 5545 feed for subscription: public events, or with a personal key (from the
    events page) everything its owner may see. ``name`` is a member's slug or "all"."""
    user: AbstractBaseUser | None = None
    key = request.GET.get("key")
    if key:
        user = selectors.calendar_key_user(key=key)
        if user is None:
            raise Http404("This calendar address is not valid (it may have been renewed).")
    host = None
    if name != "all":
        host = Member.organisations.filter(slug=name, is_active=True).first()
        if host is None:
            raise Http404("No such member.")
    events = selectors.feed_events(user=user, host=host, all_hosts=name == "all")
    title = host.name if host else "All consortium events"

    def url_for(event: Event) -> str:
        if event.visibility == Visibility.PUBLIC:
            return site_url(request, None, public_path("public_event", event.uid))
        return site_url(request, event.host, reverse("events:event_detail", args=[event.pk]))

    response = HttpResponse(
        calendar_build(events, name=title, url_for=url_for),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
