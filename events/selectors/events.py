"""What someone acting for a member (or for the consortium) may see of events, and the
calendar feeds.

Tenant assumptions: none (events live in the public schema).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from events.models import CalendarKey, Event, EventStatus, Visibility

if TYPE_CHECKING:
    from django.contrib.auth.models import User
from tenants.models import Member, Membership
from tenants.permissions import AnyUser, is_consortium_admin

SHOWN = [EventStatus.PUBLISHED, EventStatus.CANCELLED]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _sees_member_events(user: AnyUser, member: Member | None) -> bool:
    if member is not None or is_consortium_admin(user):
        return True
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return Membership.objects.filter(user_id=user.pk).exists()


def events_visible(*, user: AnyUser, member: Member | None) -> QuerySet[Event]:
    """The host's own events in any state; other hosts' published (or cancelled) events
    open to all members or the public. Host-only events stay with their host."""
    own = Q(host=member) if member is not None else Q(host__isnull=True)
    if member is None and not is_consortium_admin(user):
        own = Q(pk__in=[])  # the consortium's own drafts and host-only events stay with admins
    open_to = [Visibility.PUBLIC]
    if _sees_member_events(user, member):
        open_to.append(Visibility.MEMBERS)
    others = Q(status__in=SHOWN, visibility__in=open_to)
    return Event.objects.filter(own | others).select_related("host", "venue_resource")


def event_visible(event: Event, member: Member | None, user: AnyUser) -> bool:
    return events_visible(user=user, member=member).filter(pk=event.pk).exists()


def event_get(*, user: AnyUser, member: Member | None, event_id: int) -> Event:
    return events_visible(user=user, member=member).get(pk=event_id)


def events_filtered(
    *,
    user: AnyUser,
    member: Member | None,
    host: str = "",
    event_type: str = "",
    start: date | None = None,
    end: date | None = None,
    search: str = "",
) -> QuerySet[Event]:
    events = events_visible(user=user, member=member)
    if host == "consortium":
        events = events.filter(host__isnull=True)
    elif host:
        events = events.filter(host__slug=host)
    if event_type:
        events = events.filter(event_type=event_type)
    zone = _zone()
    if start:
        events = events.filter(ends_at__gte=datetime.combine(start, time.min, zone))
    if end:
        events = events.filter(
            starts_at__lt=datetime.combine(end + timedelta(days=1), time.min, zone)
        )
    if search:
        events = events.filter(Q(title__icontains=search) | Q(description__icontains=search))
    return events.order_by("starts_at", "id")


def registration_open(event: Event, *, now: datetime | None = None) -> str:
    """Why sign-up is closed ("" when it is open): for the event pages, and for the
    registration writes, which ask again under the event's lock."""
    if event.status != EventStatus.PUBLISHED:
        return "This event is not open for booking."
    if event.starts_at <= (now or timezone.now()):
        return "This event has already started."
    if event.capacity is not None and event.booked_count >= event.capacity and not event.waitlist:
        return "This event is full and has no waiting list."
    return ""


def public_events(*, host: Member | None = None, all_hosts: bool = True) -> QuerySet[Event]:
    """Published public events (the anonymous feed and sign-up pages)."""
    events = Event.objects.filter(visibility=Visibility.PUBLIC, status__in=SHOWN)
    if not all_hosts:
        events = events.filter(host=host)
    return events.select_related("host", "venue_resource")


def feed_events(*, user: User | None, host: Member | None, all_hosts: bool) -> QuerySet[Event]:
    """A calendar feed: public events, or with a personal key everything its owner sees."""
    if user is None:
        events = public_events(host=host, all_hosts=all_hosts)
    else:
        hosts = list(Membership.objects.filter(user=user).values_list("member_id", flat=True))
        admin = is_consortium_admin(user)
        open_to = [Visibility.PUBLIC] + ([Visibility.MEMBERS] if hosts or admin else [])
        visible = Q(status__in=SHOWN, visibility__in=open_to)
        own = Q(host_id__in=hosts, status__in=SHOWN)
        if admin:
            own |= Q(host__isnull=True, status__in=SHOWN)
        events = Event.objects.filter(visible | own).select_related("host", "venue_resource")
        if not all_hosts:
            events = events.filter(host=host)
    since = timezone.now() - timedelta(days=180)
    return events.filter(ends_at__gte=since).order_by("starts_at", "id")


def month_grid(year: int, month: int) -> list[list[date]]:
    """Weeks (Monday first) covering the month, for the month view."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    weeks, day = [], start
    while True:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
        if day.month != month and day > first:
            break
    return weeks


def calendar_key_user(*, key: str) -> User | None:
    """Whose private feed this is (an active account), or None."""
    found = CalendarKey.objects.filter(key=key, user__is_active=True).select_related("user")
    entry = found.first() if key else None
    return entry.user if entry else None
