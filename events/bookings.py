"""Resources and bookings: place, repeat, move, approve and cancel, each with an audit row.

The exclusion constraint ``events_booking_no_overlap`` is the guarantee that confirmed
bookings never overlap; the checks here only turn a clash into a helpful message before (or
after) the database refuses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import timezone

from tenants.audit import audit_record
from tenants.models import Member
from tenants.permissions import AnyUser

from . import permissions
from .models import Booking, BookingStatus, Event, EventStatus, Resource
from .selectors import free_slots
from .times import occurrences, when_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EXCLUSION_VIOLATION = "23P01"
# First key of the two-int advisory locks that serialise writes to one resource's bookings.
LOCK_NAMESPACE = 3_684_765


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


Span = tuple[datetime, datetime]


def _overlapping(
    resource: Resource, spans: list[Span], *, exclude: int | None = None
) -> list[Booking]:
    query = Q()
    for start, end in spans:
        query |= Q(during__overlap=DateTimeTZRange(start, end, "[)"))
    found = Booking.objects.filter(query, resource=resource, status=BookingStatus.CONFIRMED)
    if exclude:
        found = found.exclude(pk=exclude)
    return list(found.select_related("holder", "resource"))


@dataclass(frozen=True)
class Attempt:
    """A booking write about to happen: by whom, for whom, of what, when (``exclude``: the
    booking being moved or decided, which cannot clash with itself)."""

    user: AnyUser
    member: Member | None
    resource: Resource
    spans: list[Span]
    exclude: int | None = None


def _clashes(attempt: Attempt) -> list[Clash]:
    existing = _overlapping(attempt.resource, attempt.spans, exclude=attempt.exclude)
    clashes = []
    for start, end in attempt.spans:
        for booking in existing:
            if booking.starts_at < end and start < booking.ends_at:
                shown = permissions.can_see_booking_holder(attempt.user, attempt.member, booking)
                clashes.append(Clash(start, end, booking, shown))
                break
    return clashes


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


def _raise_clash(attempt: Attempt) -> None:
    clashes = _clashes(attempt)
    if clashes:
        first = clashes[0]
        suggestions = free_slots(
            attempt.resource, first.starts_at, first.ends_at, exclude=attempt.exclude
        )
        raise BookingClash(attempt.resource, clashes, suggestions)


def _write_or_clash(write: Callable[[], object], attempt: Attempt) -> None:
    """Run ``write`` in a savepoint; if the exclusion constraint refuses it (a writer that
    skipped the resource lock), answer with the clash and its suggestions instead."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        _raise_clash(attempt)
        raise  # pragma: no cover - the clash was released in between; let the caller retry


def _audit(action: str, *, acting_user: User, booking: Booking, **details: object) -> None:
    """One audit row per booking write, under the holder (the consortium where ``None``)."""
    audit_record(
        action=action,
        actor=acting_user,
        member=booking.holder,
        target=f"{booking.resource.name}: {booking.title}",
        booking=booking.pk,
        **details,
    )


@transaction.atomic
def booking_place(
    *,
    acting_user: User,
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

    Tenant assumptions: none (resources and bookings live in the public schema).
    """
    if not permissions.can_book_resource(acting_user, resource, member):
        raise PermissionDenied(f"You cannot book {resource.name} for this organisation.")
    if not title.strip():
        raise ValidationError({"title": "Say what the booking is for."})
    _check_times(starts_at, ends_at, allow_past=allow_past)
    spans = occurrences(starts_at, ends_at, recurrence, repeat_count)
    _lock_resource(resource.pk)
    attempt = Attempt(acting_user, member, resource, spans)
    _raise_clash(attempt)
    needs_approval = permissions.booking_needs_approval(resource, member)
    status = BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED
    series = uuid.uuid4() if len(spans) > 1 else None
    made = [
        Booking(
            resource=resource,
            during=DateTimeTZRange(start, end, "[)"),
            holder=member,
            title=title.strip()[:200],
            status=status,
            series=series,
            booked_by=acting_user,
        )
        for start, end in spans
    ]
    _write_or_clash(lambda: Booking.objects.bulk_create(made), attempt)
    _audit("booking.placed", acting_user=acting_user, booking=made[0], dates=len(made),
           status=str(status))  # fmt: skip
    return made


@transaction.atomic
def booking_move(
    *,
    acting_user: User,
    member: Member | None,
    booking: Booking,
    starts_at: datetime,
    ends_at: datetime,
) -> Booking:
    """Move a booking (an event's venue when the event's time changes).

    Tenant assumptions: none (public schema).
    """
    _lock_resource(booking.resource_id)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "holder")
        .get(pk=booking.pk)
    )
    if not permissions.can_book_resource(acting_user, booking.resource, member):
        raise PermissionDenied(f"You cannot book {booking.resource.name} for this organisation.")
    _check_times(starts_at, ends_at, allow_past=True)
    attempt = Attempt(acting_user, member, booking.resource, [(starts_at, ends_at)], booking.pk)
    _raise_clash(attempt)
    booking.during = DateTimeTZRange(starts_at, ends_at, "[)")
    if permissions.booking_needs_approval(booking.resource, member):
        booking.status = BookingStatus.PENDING  # the owner approved other times, not these
    _write_or_clash(lambda: booking.save(update_fields=["during", "status"]), attempt)
    _audit("booking.moved", acting_user=acting_user, booking=booking, status=str(booking.status))
    return booking


@transaction.atomic
def booking_cancel(
    *, acting_user: User, booking: Booking, whole_series: bool = False, check: bool = True
) -> int:
    """Cancel a booking (with ``whole_series``, every date of its series still to come).

    ``check=False`` is for the event that holds the booking as its venue, which releases it
    itself. Tenant assumptions: none (public schema).
    """
    if check and not permissions.can_cancel_booking(acting_user, booking):
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
    count = targets.update(status=BookingStatus.CANCELLED, decided_by=acting_user)
    if count:
        _audit("booking.cancelled", acting_user=acting_user, booking=booking, dates=count)
    return count


@transaction.atomic
def booking_decide(
    *, acting_user: User, member: Member | None, booking: Booking, approve: bool
) -> Booking:
    """The owner approves (the constraint still has the last word) or declines.

    Tenant assumptions: none (public schema).
    """
    _lock_resource(booking.resource_id)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "holder")
        .get(pk=booking.pk)
    )
    if not permissions.can_manage_resource(acting_user, booking.resource):
        raise PermissionDenied("Only the resource's owner can approve its bookings.")
    if booking.status != BookingStatus.PENDING:
        raise ValidationError("This booking has already been decided.")
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.DECLINED
    booking.decided_by = acting_user
    spans = [(booking.starts_at, booking.ends_at)]
    attempt = Attempt(acting_user, member, booking.resource, spans, booking.pk)
    if approve:
        _raise_clash(attempt)
    _write_or_clash(lambda: booking.save(update_fields=["status", "decided_by"]), attempt)
    _audit("booking.approved" if approve else "booking.declined", acting_user=acting_user,
           booking=booking)  # fmt: skip
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
    *, acting_user: User, owner: Member | None, resource: Resource | None = None, **data: Any
) -> Resource:
    """Add a resource for ``owner`` (the consortium where ``None``), or change one of its own.

    Tenant assumptions: none (public schema).
    """
    if not permissions.can_act_for(acting_user, owner):
        raise PermissionDenied("You can only manage your own organisation's resources.")
    unknown = set(data) - RESOURCE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    created = resource is None
    if resource is None:
        resource = Resource(owner=owner)
    elif resource.owner != owner:
        raise PermissionDenied("You can only manage your own organisation's resources.")
    for name, value in data.items():
        setattr(resource, name, value)
    resource.full_clean()
    resource.save()
    audit_record(
        action="resource.created" if created else "resource.changed",
        actor=acting_user,
        member=owner,
        target=resource.name,
    )
    return resource
