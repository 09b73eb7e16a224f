"""What someone acting for a member (or for the consortium) may see of events and resources.

Tenant assumptions: none, except ``contact_candidates``, which reads the CRM of the member
whose site this is (the connection's schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tenants.models import Member, Membership
from tenants.ordering import name_order
from tenants.permissions import is_consortium_admin

from .models import (
    BookableBy,
    Booking,
    BookingStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Resource,
    Visibility,
)

SHOWN = [EventStatus.PUBLISHED, EventStatus.CANCELLED]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _sees_member_events(user: Any, member: Member | None) -> bool:
    if member is not None or is_consortium_admin(user):
        return True
    return (
        bool(getattr(user, "is_authenticated", False))
        and Membership.objects.filter(user=user).exists()
    )


def events_visible(*, user: Any, member: Member | None) -> QuerySet[Event]:
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


def event_visible(event: Event, member: Member | None, user: Any = None) -> bool:
    return events_visible(user=user, member=member).filter(pk=event.pk).exists()


def event_get(*, user: Any, member: Member | None, event_id: int) -> Event:
    return events_visible(user=user, member=member).get(pk=event_id)


def events_filtered(
    *,
    user: Any,
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


def public_events(*, host: Member | None = None, all_hosts: bool = True) -> QuerySet[Event]:
    """Published public events (the anonymous feed and sign-up pages)."""
    events = Event.objects.filter(visibility=Visibility.PUBLIC, status__in=SHOWN)
    if not all_hosts:
        events = events.filter(host=host)
    return events.select_related("host", "venue_resource")


def feed_events(*, user: Any | None, host: Member | None, all_hosts: bool) -> QuerySet[Event]:
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


def contact_candidates(*, user: Any, search: str, limit: int = 20) -> list:
    """Contacts of the current member's CRM this user may book (restricted ones only for
    those granted them), found with the CRM's own forgiving search."""
    from crm.selectors import contact_list

    return list(contact_list(user=user, search=search)[:limit])


def registrations_visible(*, user: Any, member: Member | None) -> QuerySet[Registration]:
    """The one rule for who sees which registration snapshots (names, e-mails, access needs).

    A member's site sees the places its own staff booked and the registers of the events it
    hosts; the consortium's site shows consortium admins the registers of the consortium's
    events. Of the member's own contacts, only places of contacts ``user`` may see in the CRM:
    a restricted contact's booking is as hidden as the contact.

    Tenant assumptions: on a member's site the connection is on that member's schema (the
    CRM is read to find restricted contacts); anywhere else the member's own contacts'
    places are hidden, since their restrictions cannot be checked.
    """
    if member is None:
        if not is_consortium_admin(user):
            return Registration.objects.none()
        return Registration.objects.filter(event__host__isnull=True)
    registrations = Registration.objects.filter(Q(member=member) | Q(event__host=member))
    if connection.schema_name != member.schema_name:
        return registrations.exclude(member=member, contact_id__isnull=False)
    from crm.selectors import contact_ids_hidden_from

    hidden = contact_ids_hidden_from(user=user)
    if hidden:
        registrations = registrations.exclude(member=member, contact_id__in=hidden)
    return registrations


def registration_get(*, user: Any, member: Member | None, registration_id: int) -> Registration:
    """One registration the rule above lets ``user`` see; DoesNotExist otherwise."""
    return (
        registrations_visible(user=user, member=member)
        .select_related("event")
        .get(pk=registration_id)
    )


def registrations_for_host(
    *, event: Event, user: Any, member: Member | None
) -> QuerySet[Registration]:
    """The register the host sees: snapshots only (no member record ids are exposed)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(event=event)
        .exclude(status=RegistrationStatus.CANCELLED)
        .only(
            "id",
            "event_id",
            "name",
            "email",
            "organisation",
            "access_needs",
            "status",
            "attended",
            "created_at",
            "promoted_at",
            "member_id",
        )
        .select_related("member")
        .order_by("status", "created_at", "id")
    )


def registrations_of(*, event: Event, member: Member, user: Any) -> QuerySet[Registration]:
    """The live places ``member``'s staff booked on ``event`` (that ``user`` may see)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(event=event, member=member)
        .exclude(status=RegistrationStatus.CANCELLED)
    )


def registrations_by_member(*, member: Member, user: Any) -> QuerySet[Registration]:
    """The places a member's staff have booked for their contacts (that ``user`` may see)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(member=member)
        .select_related("event", "event__host")
        .order_by("-event__starts_at", *name_order("name"), "id")
    )


def registration_counts(event: Event) -> dict[str, int]:
    rows = event.registrations.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    attended = event.registrations.filter(attended=True).count()
    return {
        "booked": counts.get("booked", 0),
        "waitlisted": counts.get("waitlisted", 0),
        "cancelled": counts.get("cancelled", 0),
        "attended": attended,
    }


# --- resources -----------------------------------------------------------------------------


def resources_bookable(*, user: Any, member: Member | None) -> QuerySet[Resource]:
    """Resources this site may book or manages: its own, and others open to all members."""
    own = Q(owner=member) if member is not None else Q(owner__isnull=True)
    if member is None and not is_consortium_admin(user):
        own = Q(pk__in=[])  # the consortium's owner-only and closed resources: admins only
    others = Q(bookable_by=BookableBy.MEMBERS, is_active=True)
    return Resource.objects.filter(own | others).select_related("owner")


def resources_filtered(
    *, user: Any, member: Member | None, kind: str = "", owner: str = "", search: str = ""
) -> QuerySet[Resource]:
    resources = resources_bookable(user=user, member=member)
    if kind:
        resources = resources.filter(kind=kind)
    if owner == "consortium":
        resources = resources.filter(owner__isnull=True)
    elif owner == "ours":
        resources = (
            resources.filter(owner=member) if member else resources.filter(owner__isnull=True)
        )
    elif owner:
        resources = resources.filter(owner__slug=owner)
    if search:
        resources = resources.filter(Q(name__icontains=search) | Q(location__icontains=search))
    return resources.order_by(*name_order("name"), "id")


@dataclass
class Block:
    label: str
    start_label: str
    end_label: str
    left: float
    width: float
    mine: bool
    pending: bool


def planner(
    *,
    user: Any,
    member: Member | None,
    resources: list[Resource],
    first_day: date,
    days: int,
    day_start: int = 7,
    day_end: int = 21,
) -> dict[int, list[list[Block]]]:
    """For each resource, ``days`` lists of blocks, positioned as percentages of the working
    day (``day_start``–``day_end`` local). One query for every booking shown."""
    zone = _zone()
    window_start = datetime.combine(first_day, time.min, zone)
    window_end = datetime.combine(first_day + timedelta(days=days), time.min, zone)
    found = (
        Booking.objects.filter(
            resource__in=resources,
            status__in=[BookingStatus.CONFIRMED, BookingStatus.PENDING],
            during__overlap=DateTimeTZRange(window_start, window_end, "[)"),
        )
        .order_by("during")
        # Plain tuples: a week of 25 busy rooms is hundreds of rows, and model instances
        # (with their holders) were half of this page's time.
        .values_list("resource_id", "during", "status", "title", "holder_id", "holder__name")
    )
    grid: dict[int, list[list[Block]]] = {r.pk: [[] for _ in range(days)] for r in resources}
    owners = {r.pk: r.owner_id for r in resources}
    span = float((day_end - day_start) * 60)
    admin = is_consortium_admin(user)
    here = getattr(member, "pk", None)
    opens_at = [datetime.combine(first_day + timedelta(days=i), time(day_start), zone)
                for i in range(days)]  # fmt: skip
    consortium = settings.CONSORTIUM_NAME
    for resource_id, during, status, title, holder_id, holder_name in found:
        start, end = during.lower.astimezone(zone), during.upper.astimezone(zone)
        shown = admin or here in (holder_id, owners[resource_id])
        label = f"{title} · {holder_name or consortium}" if shown else "Booked"
        start_label, end_label = f"{start:%H:%M}", f"{end:%H:%M}"
        mine, pending = holder_id == here, status == BookingStatus.PENDING
        first = max((start.date() - first_day).days, 0)
        last = min((end.date() - first_day).days, days - 1)
        for offset in range(first, last + 1):
            opens = opens_at[offset]
            left = max((start - opens).total_seconds() / 60, 0)
            right = min((end - opens).total_seconds() / 60, span)
            if right <= 0 or left >= span:
                continue
            grid[resource_id][offset].append(Block(
                label=label, start_label=start_label, end_label=end_label,
                left=round(100 * left / span, 2),
                width=round(max(100 * (right - left) / span, 1.5), 2), mine=mine,
                pending=pending,
            ))  # fmt: skip
    return grid


def bookings_held_by(*, member: Member | None, upcoming: bool = True) -> QuerySet[Booking]:
    bookings = (
        Booking.objects.filter(holder=member)
        if member
        else Booking.objects.filter(holder__isnull=True)
    )
    if upcoming:
        bookings = bookings.filter(during__endswith__gt=timezone.now()).exclude(
            status__in=[BookingStatus.CANCELLED]
        )
    return bookings.select_related("resource", "resource__owner").order_by("during")


def approvals_waiting(*, member: Member | None) -> QuerySet[Booking]:
    owned = Q(resource__owner=member) if member else Q(resource__owner__isnull=True)
    return (
        Booking.objects.filter(owned, status=BookingStatus.PENDING)
        .select_related("resource", "holder", "booked_by")
        .order_by("during")
    )


def resource_upcoming(*, resource: Resource, limit: int = 20) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            resource=resource,
            status__in=[BookingStatus.CONFIRMED, BookingStatus.PENDING],
            during__endswith__gt=timezone.now(),
        )
        .select_related("holder")
        .order_by("during")[:limit]
    )
