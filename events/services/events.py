"""Every write to an event: create, change, publish and cancel, each checked and audited,
with its room booked, moved and released alongside and the people booked e-mailed after
commit.

Tenant assumptions: none (events live in the public schema). Nothing here switches schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from events import bookings, notifications, permissions
from events.models import (
    BookingStatus,
    Event,
    EventStatus,
    RegistrationStatus,
    VenueKind,
    Visibility,
)
from tenants.audit import audit_record
from tenants.models import Member

from .capacity import _event_lock, _waiting_list_promote

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EVENT_FIELDS = {
    "title",
    "description",
    "event_type",
    "starts_at",
    "ends_at",
    "venue_kind",
    "venue_resource",
    "address",
    "online_url",
    "capacity",
    "waitlist",
    "visibility",
    "price_note",
    "accessibility",
}
# Changing these tells the people booked (their calendars update through SEQUENCE).
NOTIFY_ON = {"starts_at", "ends_at", "venue_kind", "venue_resource", "address", "online_url"}


def _check_venue(data: dict[str, Any], event: Event | None = None) -> None:
    """The venue fields agree with the venue kind (on an edit, with what is unchanged)."""

    def value(name: str) -> Any:
        return data[name] if name in data else getattr(event, name, None)

    kind = value("venue_kind")
    if kind == VenueKind.RESOURCE and not value("venue_resource"):
        raise ValidationError({"venue_resource": "Choose the room to book."})
    if kind == VenueKind.ADDRESS and not (value("address") or "").strip():
        raise ValidationError({"address": "Give the address."})
    if kind == VenueKind.ONLINE and not value("online_url"):
        raise ValidationError({"online_url": "Give the link people use to join."})
    if kind != VenueKind.RESOURCE and "venue_kind" in data:
        data["venue_resource"] = None


def _venue_sync(*, acting_user: User, event: Event) -> None:
    """Keep the venue booking in step with the event: made, moved or released with it."""
    booking = event.venue_booking
    if booking is not None and booking.status not in (BookingStatus.PENDING,
                                                      BookingStatus.CONFIRMED):  # fmt: skip
        booking = None  # declined or cancelled by its owner: book the room afresh
    wants = (
        event.venue_kind == VenueKind.RESOURCE
        and event.venue_resource_id
        and event.status != EventStatus.CANCELLED
    )
    if booking and (not wants or booking.resource_id != event.venue_resource_id):
        bookings.booking_cancel(acting_user=acting_user, booking=booking, check=False)
        event.venue_booking = booking = None
    resource = event.venue_resource if wants else None
    if resource is None:
        return
    if booking is None:
        placed = bookings.booking_place(
            acting_user=acting_user,
            member=event.host,
            resource=resource,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            title=event.title,
        )
        event.venue_booking = placed[0]
    elif (booking.starts_at, booking.ends_at) != (event.starts_at, event.ends_at):
        bookings.booking_move(
            acting_user=acting_user,
            member=event.host,
            booking=booking,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
        )


@transaction.atomic
def event_create(*, acting_user: User, host: Member | None, **data: Any) -> Event:
    """A draft event hosted by ``host`` (the consortium where ``None``), its room booked."""
    if not permissions.can_act_for(acting_user, host):
        raise PermissionDenied("You can only create events for your own organisation.")
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_venue(data)
    event = Event(host=host, created_by=acting_user, **data)
    event.full_clean(exclude=["venue_booking"])
    event.save()
    _venue_sync(acting_user=acting_user, event=event)
    event.save(update_fields=["venue_booking"])
    audit_record(action="event.created", actor=acting_user, member=host, target=event.title)
    return event


@transaction.atomic
def event_update(*, acting_user: User, event: Event, **data: Any) -> Event:
    """Change the event; a capacity raised fills from the waiting list, a new time or place
    is e-mailed to everyone booked, and the room booking follows."""
    if not permissions.can_manage_event(acting_user, event):
        raise PermissionDenied("Only the host can change this event.")
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    event = _event_lock(event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError("A cancelled event cannot be changed.")
    _check_venue(data, event)
    capacity = data.get("capacity", event.capacity)
    if capacity is not None and capacity < event.booked_count:
        raise ValidationError(
            {
                "capacity": (
                    f"{event.booked_count} people are already booked: cancel some places first, or "
                    "keep the capacity at least that."
                )
            }
        )
    if data.get("visibility") == Visibility.HOST and event.visibility != Visibility.HOST:
        others = event.registrations.exclude(status=RegistrationStatus.CANCELLED).exclude(
            member=event.host
        )
        if event.host_id is None:
            others = event.registrations.exclude(status=RegistrationStatus.CANCELLED)
        if others.exists():
            raise ValidationError({"visibility": (
                f"{others.count()} people booked by other members or the public would lose "
                "sight of the event: cancel their places first, or keep it open to them."
            )})  # fmt: skip
    changed = {name for name, value in data.items() if getattr(event, name) != value}
    for name, value in data.items():
        setattr(event, name, value)
    if not changed:
        return event
    event.sequence = F("sequence") + 1
    event.full_clean(exclude=["venue_booking", "sequence"])
    event.save()
    event.refresh_from_db()
    _venue_sync(acting_user=acting_user, event=event)
    event.save(update_fields=["venue_booking"])
    promoted = (
        _waiting_list_promote(event)
        if event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now()
        else []
    )
    if changed & NOTIFY_ON and event.status == EventStatus.PUBLISHED:
        booked = list(event.registrations.filter(status=RegistrationStatus.BOOKED))
        transaction.on_commit(lambda: notifications.event_changed(event, booked))
    audit_record(
        action="event.changed",
        actor=acting_user,
        member=event.host,
        target=event.title,
        fields=sorted(changed),
        promoted=len(promoted),
    )
    return event


@transaction.atomic
def event_publish(*, acting_user: User, event: Event) -> Event:
    """Open a draft for booking, once its room booking (if any) is confirmed."""
    if not permissions.can_manage_event(acting_user, event):
        raise PermissionDenied("Only the host can publish this event.")
    event = _event_lock(event)
    if event.status != EventStatus.DRAFT:
        raise ValidationError("Only a draft can be published.")
    venue = event.venue_booking if event.venue_booking_id else None
    if venue is not None and venue.status == BookingStatus.PENDING:
        raise ValidationError(
            "The room booking is still awaiting its owner's approval: publish once it is "
            "confirmed, or choose another venue."
        )
    if venue is not None and venue.status != BookingStatus.CONFIRMED:
        raise ValidationError(
            f"The owner of {venue.resource.name} {venue.get_status_display().lower()} the "
            "booking: choose another venue or time (saving the event asks again)."
        )
    event.status = EventStatus.PUBLISHED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    audit_record(action="event.published", actor=acting_user, member=event.host, target=event.title)
    return event


@transaction.atomic
def event_cancel(*, acting_user: User, event: Event, reason: str = "") -> Event:
    """Cancel the event: its venue booking is released and everyone booked or waiting is
    told, with a calendar cancellation attached."""
    if not permissions.can_manage_event(acting_user, event):
        raise PermissionDenied("Only the host can cancel this event.")
    event = _event_lock(event)
    if event.status == EventStatus.CANCELLED:
        return event
    people = list(event.registrations.exclude(status=RegistrationStatus.CANCELLED))
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    _venue_sync(acting_user=acting_user, event=event)
    event.save(update_fields=["venue_booking"])
    if people:
        transaction.on_commit(lambda: notifications.event_cancelled(event, people, reason))
    audit_record(
        action="event.cancelled",
        actor=acting_user,
        member=event.host,
        target=event.title,
        reason=reason[:200],
        told=len(people),
    )
    return event
