"""What someone acting for a member (or for the consortium) may book and sees booked: the
resources, the planner's grid, bookings held and awaiting approval, and the next free slots.

Tenant assumptions: none (resources and bookings live in the public schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q, QuerySet
from django.utils import timezone

from events.models import BookableBy, Booking, BookingStatus, Resource
from events.times import local
from tenants.models import Member
from tenants.ordering import name_order
from tenants.permissions import AnyUser, is_consortium_admin

# Suggested slots fall inside the working day, local time.
DAY_STARTS, DAY_ENDS = time(8, 0), time(20, 0)
SUGGESTION_DAYS = 14


def resources_bookable(*, user: AnyUser, member: Member | None) -> QuerySet[Resource]:
    """Resources this site may book or manages: its own, and others open to all members."""
    own = Q(owner=member) if member is not None else Q(owner__isnull=True)
    if member is None and not is_consortium_admin(user):
        own = Q(pk__in=[])  # the consortium's owner-only and closed resources: admins only
    others = Q(bookable_by=BookableBy.MEMBERS, is_active=True)
    return Resource.objects.filter(own | others).select_related("owner")


def resource_get(*, user: AnyUser, member: Member | None, resource_id: int) -> Resource:
    """One resource this site may book or manages; DoesNotExist otherwise."""
    return resources_bookable(user=user, member=member).get(pk=resource_id)


def resources_filtered(
    *, user: AnyUser, member: Member | None, kind: str = "", owner: str = "", search: str = ""
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

    @property
    def position_class(self) -> str:
        """Where the bar sits in its lane, as the stylesheet's whole-percent classes
        (``at-0``..``at-99``, ``span-1``..``span-100``): the Content-Security-Policy allows no
        ``style=`` attribute. Both ends are rounded, so bars that meet still meet."""
        start = min(round(self.left), 99)
        end = min(max(round(self.left + self.width), start + 1), 100)
        return f"at-{start} span-{end - start}"


def planner(
    *,
    user: AnyUser,
    member: Member | None,
    resources: list[Resource],
    first_day: date,
    days: int,
    day_start: int = 7,
    day_end: int = 21,
) -> dict[int, list[list[Block]]]:
    """For each resource, ``days`` lists of blocks, positioned as percentages of the working
    day (``day_start``–``day_end`` local). One query for every booking shown."""
    zone = ZoneInfo(settings.TIME_ZONE)
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


def free_slots(
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    wanted: int = 3,
    exclude: int | None = None,
) -> list[tuple[datetime, datetime]]:
    """The next ``wanted`` free slots of the same length from ``start`` on, in working hours
    (local time), looking up to two weeks ahead."""
    length = end - start
    horizon = start + timedelta(days=SUGGESTION_DAYS)
    taken = Booking.objects.filter(
        resource=resource,
        status=BookingStatus.CONFIRMED,
        during__overlap=DateTimeTZRange(start, horizon, "[)"),
    ).order_by("during")
    if exclude:
        taken = taken.exclude(pk=exclude)
    busy = [(b.starts_at, b.ends_at) for b in taken]
    zone = ZoneInfo(settings.TIME_ZONE)
    slots: list[tuple[datetime, datetime]] = []
    candidate = start
    while len(slots) < wanted and candidate < horizon:
        wall = local(candidate)
        opens = datetime.combine(wall.date(), DAY_STARTS, zone)
        closes = datetime.combine(wall.date(), DAY_ENDS, zone)
        if candidate < opens:
            candidate = opens
            continue
        if candidate + length > closes:
            candidate = datetime.combine(wall.date() + timedelta(days=1), DAY_STARTS, zone)
            continue
        blocking = [b for b in busy if b[0] < candidate + length and candidate < b[1]]
        if blocking:
            candidate = max(b[1] for b in blocking)
            continue
        slots.append((candidate, candidate + length))
        candidate = candidate + length
    return slots
