"""Resources and bookings: place, repeat, approve, cancel, and find the next free slots.

The exclusion constraint ``events_booking_no_overlap`` is the guarantee that confirmed
bookings never overlap; the checks here only turn a clash into a helpful message before (or
after) the database refuses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import MAXYEAR, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import formats, timezone

from tenants.models import Member
from tenants.services import audit_record

from . import rules
from .models import Booking, BookingStatus, Event, EventStatus, Recurrence, Resource

EXCLUSION_VIOLATION = "23P01"
# First key of the two-int advisory locks that serialise writes to one resource's bookings.
LOCK_NAMESPACE = 3_684_765
MAX_OCCURRENCES = 104
REPEATS_PAST_CALENDAR = (
    "These repeats would run past the end of the calendar (the year 9999): book fewer."
)
# Suggested slots fall inside the working day, local time.
DAY_STARTS, DAY_ENDS = time(8, 0), time(20, 0)
SUGGESTION_DAYS = 14


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def when_text(start: datetime, end: datetime) -> str:
    """'Tuesday 3 March 2026, 10:00–12:00' in local time."""
    start, end = local(start), local(end)
    day = formats.date_format(start, "l j F Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} – {formats.date_format(end, 'l j F Y')} {end:%H:%M}"


@dataclass
class Clash:
    starts_at: datetime
    ends_at: datetime
    booking: Booking
    holder_shown: bool

    def text(self) -> str:
        existing = when_text(self.booking.starts_at, self.booking.ends_at)
        holder = f" by {self.booking.holder_name}" if self.holder_shown else ""
        return (
            f"{when_text(self.starts_at, self.ends_at)} clashes with a booking{holder}: {existing}."
        )


@dataclass
class BookingClash(Exception):
    resource: Resource
    clashes: list[Clash]
    suggestions: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def message(self) -> str:
        count = len(self.clashes)
        head = (
            f"{self.resource.name} is already booked at that time."
            if count == 1
            else f"{count} of the dates clash with existing bookings of {self.resource.name}; "
            "nothing has been booked."
        )
        return head

    def __str__(self) -> str:
        return f"{self.message} " + " ".join(c.text() for c in self.clashes)


def occurrences(
    start: datetime, end: datetime, recurrence: str, count: int
) -> list[tuple[datetime, datetime]]:
    """The dates of a (repeating) booking, keeping local wall-clock times across clock
    changes. A monthly repeat on a date some months lack (the 31st) skips those months."""
    if recurrence == Recurrence.NONE or count <= 1:
        return [(start, end)]
    if count > MAX_OCCURRENCES:
        raise ValidationError({"repeat_count": f"At most {MAX_OCCURRENCES} repeats at a time."})
    zone = ZoneInfo(settings.TIME_ZONE)
    first, last = local(start).replace(tzinfo=None), local(end).replace(tzinfo=None)
    length = last - first
    found: list[tuple[datetime, datetime]] = []
    step = 0
    while len(found) < count and step < count * 2:
        try:
            if recurrence == Recurrence.WEEKLY:
                wall = first + timedelta(weeks=step)
            else:
                month = first.month - 1 + step
                year = first.year + month // 12
                if year > MAXYEAR:
                    raise OverflowError(year)
                try:
                    wall = first.replace(year=year, month=month % 12 + 1)
                except ValueError:  # the 31st in a shorter month
                    step += 1
                    continue
            ends = wall + length
        except OverflowError:
            raise ValidationError({"repeat_count": REPEATS_PAST_CALENDAR}) from None
        begins = wall.replace(tzinfo=zone)
        found.append((begins, ends.replace(tzinfo=zone)))
        step += 1
    return found


def _overlapping(
    resource: Resource, spans: list[tuple[datetime, datetime]], *, exclude: int | None = None
) -> list[Booking]:
    query = Q()
    for start, end in spans:
        query |= Q(during__overlap=DateTimeTZRange(start, end, "[)"))
    found = Booking.objects.filter(query, resource=resource, status=BookingStatus.CONFIRMED)
    if exclude:
        found = found.exclude(pk=exclude)
    return list(found.select_related("holder", "resource"))


def _clashes(
    user: Any,
    member: Member | None,
    resource: Resource,
    spans: list[tuple[datetime, datetime]],
    *,
    exclude: int | None = None,
) -> list[Clash]:
    existing = _overlapping(resource, spans, exclude=exclude)
    clashes = []
    for start, end in spans:
        for booking in existing:
            if booking.starts_at < end and start < booking.ends_at:
                shown = rules.may_see_holder(user, member, booking)
                clashes.append(Clash(start, end, booking, shown))
                break
    return clashes


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


def _lock_resource(resource_id: int) -> None:
    """Serialise booking writes per resource for this transaction.

    The exclusion constraint alone is still correct, but two transactions inserting
    overlapping rows each wait for the other's commit to check it, and PostgreSQL breaks the
    cycle by aborting one with a deadlock error. Taking this lock first makes the second
    writer wait, then see the first's booking and get a clash with suggestions instead.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, resource_id])


def _check_times(start: datetime, end: datetime, *, allow_past: bool = False) -> None:
    if end <= start:
        raise ValidationError({"ends_at": "The end must be after the start."})
    if not allow_past and start < timezone.now():
        raise ValidationError({"starts_at": "Bookings cannot start in the past."})


def _raise_clash(user, member, resource, spans, *, exclude=None) -> None:
    clashes = _clashes(user, member, resource, spans, exclude=exclude)
    if clashes:
        first = clashes[0]
        suggestions = free_slots(resource, first.starts_at, first.ends_at, exclude=exclude)
        raise BookingClash(resource, clashes, suggestions)


def _write_or_clash(write, user, member, resource, spans, *, exclude=None) -> None:
    """Run ``write`` in a savepoint; if the exclusion constraint refuses it (a writer that
    skipped the resource lock), answer with the clash and its suggestions instead."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        _raise_clash(user, member, resource, spans, exclude=exclude)
        raise  # pragma: no cover - the clash was released in between; let the caller retry


@transaction.atomic
def booking_place(
    *,
    user: Any,
    member: Member | None,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    recurrence: str = "",
    repeat_count: int = 1,
    allow_past: bool = False,
) -> list[Booking]:
    """Book ``resource`` for ``member`` (the consortium where ``None``), once or repeating.

    Every date is checked first and every clash reported before anything is written; then
    the bookings are inserted together, and the exclusion constraint refuses any that a
    concurrent booking took in the meantime (nothing is written then either).
    """
    if not rules.may_book(user, resource, member):
        raise PermissionDenied(f"You cannot book {resource.name} for this organisation.")
    if not title.strip():
        raise ValidationError({"title": "Say what the booking is for."})
    _check_times(starts_at, ends_at, allow_past=allow_past)
    spans = occurrences(starts_at, ends_at, recurrence, repeat_count)
    _lock_resource(resource.pk)
    _raise_clash(user, member, resource, spans)
    status = (
        BookingStatus.PENDING if rules.needs_approval(resource, member) else BookingStatus.CONFIRMED
    )
    series = uuid.uuid4() if len(spans) > 1 else None
    bookings = [
        Booking(
            resource=resource,
            during=DateTimeTZRange(start, end, "[)"),
            holder=member,
            title=title.strip()[:200],
            status=status,
            series=series,
            booked_by=user,
        )
        for start, end in spans
    ]
    _write_or_clash(lambda: Booking.objects.bulk_create(bookings), user, member, resource, spans)
    return bookings


@transaction.atomic
def booking_move(
    *, user: Any, member: Member | None, booking: Booking, starts_at: datetime, ends_at: datetime
) -> Booking:
    """Move a booking (an event's venue when the event's time changes)."""
    _lock_resource(booking.resource_id)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource")
        .get(pk=booking.pk)
    )
    if not rules.may_book(user, booking.resource, member):
        raise PermissionDenied(f"You cannot book {booking.resource.name} for this organisation.")
    _check_times(starts_at, ends_at, allow_past=True)
    spans = [(starts_at, ends_at)]
    _raise_clash(user, member, booking.resource, spans, exclude=booking.pk)
    booking.during = DateTimeTZRange(starts_at, ends_at, "[)")
    if rules.needs_approval(booking.resource, member):
        booking.status = BookingStatus.PENDING  # the owner approved other times, not these
    _write_or_clash(lambda: booking.save(update_fields=["during", "status"]), user, member,
                    booking.resource, spans, exclude=booking.pk)  # fmt: skip
    return booking


@transaction.atomic
def booking_cancel(
    *, user: Any, booking: Booking, whole_series: bool = False, check: bool = True
) -> int:
    if check and not rules.may_cancel_booking(user, booking):
        raise PermissionDenied("Only the holder or the resource's owner can cancel this booking.")
    if check:
        event = Event.objects.filter(
            venue_booking=booking, status__in=[EventStatus.DRAFT, EventStatus.PUBLISHED]
        ).first()
        if event is not None:
            raise ValidationError(
                f"This booking is the venue of “{event.title}”: change the event's venue or "
                "cancel the event instead."
            )
    live = [BookingStatus.PENDING, BookingStatus.CONFIRMED]
    targets = Booking.objects.filter(pk=booking.pk, status__in=live)
    if whole_series and booking.series:
        targets = (
            Booking.objects.filter(
                series=booking.series,
                status__in=live,
                during__endswith__gt=timezone.now(),
            )
            | targets
        )
    return targets.update(status=BookingStatus.CANCELLED, decided_by=user)


@transaction.atomic
def booking_decide(*, user: Any, member: Member | None, booking: Booking, approve: bool) -> Booking:
    """The owner approves (the constraint still has the last word) or declines."""
    _lock_resource(booking.resource_id)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "holder")
        .get(pk=booking.pk)
    )
    if not rules.may_manage_resource(user, booking.resource):
        raise PermissionDenied("Only the resource's owner can approve its bookings.")
    if booking.status != BookingStatus.PENDING:
        raise ValidationError("This booking has already been decided.")
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.DECLINED
    booking.decided_by = user
    spans = [(booking.starts_at, booking.ends_at)]
    if approve:
        _raise_clash(user, member, booking.resource, spans, exclude=booking.pk)
    _write_or_clash(lambda: booking.save(update_fields=["status", "decided_by"]), user, member,
                    booking.resource, spans, exclude=booking.pk)  # fmt: skip
    return booking


RESOURCE_FIELDS = {
    "name",
    "kind",
    "description",
    "capacity",
    "accessibility",
    "location",
    "bookable_by",
    "needs_approval",
    "is_active",
}


@transaction.atomic
def resource_save(
    *, user: Any, owner: Member | None, resource: Resource | None = None, **data: Any
) -> Resource:
    if not rules.acts_for(user, owner):
        raise PermissionDenied("You can only manage your own organisation's resources.")
    unknown = set(data) - RESOURCE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    created = resource is None
    if created:
        resource = Resource(owner=owner)
    elif resource.owner != owner:
        raise PermissionDenied("You can only manage your own organisation's resources.")
    for name, value in data.items():
        setattr(resource, name, value)
    resource.full_clean()
    resource.save()
    audit_record(
        action="resource.created" if created else "resource.changed",
        actor=user,
        member=owner,
        target=resource.name,
    )
    return resource
