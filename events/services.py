"""Every write to events and registrations: atomic, checked, and e-mailed after commit.

Capacity: each registration change takes the event's row lock first, so sign-ups for one
event are decided one at a time, in arrival order; the ``events_event_within_capacity``
CHECK constraint is the guarantee that nothing overbooks even if code forgot the lock.

Tenant assumptions: registering a member's contact reads that member's CRM, so the
connection must be on that member's schema (the request's). Nothing here switches schema.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crm.selectors import contacts_visible_to
from sharing.models import DisclosureAction, RecordType
from sharing.services import disclosure_log
from tenants.models import Member
from tenants.services import audit_record

from . import bookings, notifications, rules
from .models import (
    BookingStatus,
    CalendarKey,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    VenueKind,
    Visibility,
)
from .selectors import event_visible, registrations_visible

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


class EventFull(ValidationError):
    pass


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


def _venue_sync(*, user: Any, event: Event) -> None:
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
        bookings.booking_cancel(user=user, booking=booking, check=False)
        event.venue_booking = booking = None
    if not wants:
        return
    if booking is None:
        placed = bookings.booking_place(
            user=user,
            member=event.host,
            resource=event.venue_resource,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            title=event.title,
        )
        event.venue_booking = placed[0]
    elif (booking.starts_at, booking.ends_at) != (event.starts_at, event.ends_at):
        bookings.booking_move(
            user=user,
            member=event.host,
            booking=booking,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
        )


@transaction.atomic
def event_create(*, user: Any, host: Member | None, **data: Any) -> Event:
    if not rules.acts_for(user, host):
        raise PermissionDenied("You can only create events for your own organisation.")
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_venue(data)
    event = Event(host=host, created_by=user, **data)
    event.full_clean(exclude=["venue_booking"])
    event.save()
    _venue_sync(user=user, event=event)
    event.save(update_fields=["venue_booking"])
    audit_record(action="event.created", actor=user, member=host, target=event.title)
    return event


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def event_update(*, user: Any, event: Event, **data: Any) -> Event:
    if not rules.may_manage_event(user, event):
        raise PermissionDenied("Only the host can change this event.")
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    event = _lock(event)
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
    _venue_sync(user=user, event=event)
    event.save(update_fields=["venue_booking"])
    promoted = (
        _promote(event)
        if event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now()
        else []
    )
    if changed & NOTIFY_ON and event.status == EventStatus.PUBLISHED:
        booked = list(event.registrations.filter(status=RegistrationStatus.BOOKED))
        transaction.on_commit(lambda: notifications.event_changed(event, booked))
    audit_record(
        action="event.changed",
        actor=user,
        member=event.host,
        target=event.title,
        fields=sorted(changed),
        promoted=len(promoted),
    )
    return event


@transaction.atomic
def event_publish(*, user: Any, event: Event) -> Event:
    if not rules.may_manage_event(user, event):
        raise PermissionDenied("Only the host can publish this event.")
    event = _lock(event)
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
    audit_record(action="event.published", actor=user, member=event.host, target=event.title)
    return event


@transaction.atomic
def event_cancel(*, user: Any, event: Event, reason: str = "") -> Event:
    """Cancel the event: its venue booking is released and everyone booked or waiting is
    told, with a calendar cancellation attached."""
    if not rules.may_manage_event(user, event):
        raise PermissionDenied("Only the host can cancel this event.")
    event = _lock(event)
    if event.status == EventStatus.CANCELLED:
        return event
    people = list(event.registrations.exclude(status=RegistrationStatus.CANCELLED))
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    _venue_sync(user=user, event=event)
    event.save(update_fields=["venue_booking"])
    if people:
        transaction.on_commit(lambda: notifications.event_cancelled(event, people, reason))
    audit_record(
        action="event.cancelled",
        actor=user,
        member=event.host,
        target=event.title,
        reason=reason[:200],
        told=len(people),
    )
    return event


# --- calendar keys ---------------------------------------------------------------------------


def calendar_key_for(*, user: Any) -> str:
    """The user's private feed key, made on first use."""
    found = CalendarKey.objects.filter(user=user).values_list("key", flat=True).first()
    return found or calendar_key_renew(user=user)


def calendar_key_renew(*, user: Any) -> str:
    """A new private feed key; the old address stops working at once."""
    key = secrets.token_urlsafe(32)
    CalendarKey.objects.update_or_create(user=user, defaults={"key": key})
    return key


def calendar_key_user(*, key: str) -> Any | None:
    """Whose private feed this is (an active account), or None."""
    found = CalendarKey.objects.filter(key=key, user__is_active=True).select_related("user")
    entry = found.first() if key else None
    return entry.user if entry else None


# --- registrations -------------------------------------------------------------------------


def registration_open(event: Event, *, now: datetime | None = None) -> str:
    """Why sign-up is closed ("" when it is open)."""
    if event.status != EventStatus.PUBLISHED:
        return "This event is not open for booking."
    if event.starts_at <= (now or timezone.now()):
        return "This event has already started."
    if event.capacity is not None and event.booked_count >= event.capacity and not event.waitlist:
        return "This event is full and has no waiting list."
    return ""


def contact_snapshot(*, user: Any, member: Member, contact_id: int) -> dict[str, str]:
    """What the host would receive of one of ``member``'s contacts: name, e-mail and
    organisation, and nothing else. Only contacts this user may see in this member's CRM."""
    if connection.schema_name != member.schema_name:
        raise PermissionDenied("Contacts are chosen on your own organisation's site.")
    try:
        contact = (
            contacts_visible_to(user=user)
            .prefetch_related("roles__organisation")
            .get(pk=contact_id)
        )
    except (ValueError, TypeError) as exc:
        raise ValidationError({"contact": "Choose one of your contacts."}) from exc
    except contacts_visible_to(user=user).model.DoesNotExist as exc:
        raise ValidationError({"contact": "That contact is not in your CRM."}) from exc
    roles = sorted(contact.roles.all(), key=lambda r: (r.end_date is not None, r.pk))
    return {
        "name": contact.display_name,
        "email": contact.email,
        "organisation": roles[0].organisation.name if roles else "",
    }


def _place(event: Event, **fields: Any) -> Registration:
    """Decide booked, waiting or refused under the event's row lock (caller holds it)."""
    reason = registration_open(event)
    if reason:
        raise (EventFull if "full" in reason else ValidationError)(reason)
    has_room = event.capacity is None or event.booked_count < event.capacity
    status = RegistrationStatus.BOOKED if has_room else RegistrationStatus.WAITLISTED
    registration = Registration.objects.create(event=event, status=status, **fields)
    if has_room:
        Event.objects.filter(pk=event.pk).update(booked_count=F("booked_count") + 1)
        event.booked_count += 1
    transaction.on_commit(lambda: notifications.registration_made(registration))
    return registration


@transaction.atomic
def registration_for_contact(
    *, user: Any, member: Member, event: Event, contact_id: int, access_needs: str = ""
) -> Registration:
    """A member's staff book one of their own contacts onto an event.

    The host receives the snapshot only; where the host is someone else, handing it over is
    a disclosure and is written to the disclosure log.
    """
    if not rules.may_register_from(user, member, event):
        raise PermissionDenied("Only staff of a member can book their contacts onto events.")
    snapshot = contact_snapshot(user=user, member=member, contact_id=contact_id)
    event = _lock(event)
    if not event_visible(event, member, user):
        raise PermissionDenied("This event is not open to your organisation.")
    if (
        event.registrations.filter(member=member, contact_id=contact_id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
    ):
        raise ValidationError(f"{snapshot['name']} is already booked onto this event.")
    registration = _place(
        event,
        member=member,
        contact_id=contact_id,
        registered_by=user,
        access_needs=access_needs.strip(),
        consent=True,
        **snapshot,
    )
    if event.host_id != member.pk:
        disclosure_log(
            actor=user,
            member_id=event.host_id or Member.objects.get(schema_name="public").pk,
            provider_id=member.pk,
            action=DisclosureAction.EVENT_SNAPSHOT,
            record_type=RecordType.CONTACT,
            record_ids=[contact_id],
            reason=f"Booked onto “{event.title}” ({event.host_name})",
        )
    return registration


@transaction.atomic
def registration_public(
    *,
    event: Event,
    name: str,
    email: str,
    organisation: str = "",
    access_needs: str = "",
    consent: bool,
) -> Registration:
    """The public sign-up form of a public event."""
    if not consent:
        raise ValidationError({"consent": "Tick the box to agree, or we cannot book you in."})
    event = _lock(event)
    if event.visibility != Visibility.PUBLIC:
        raise PermissionDenied("This event is not open to the public.")
    if (
        event.registrations.filter(email__iexact=email.strip())
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
    ):
        raise ValidationError({"email": "Someone with this e-mail address is already booked."})
    return _place(
        event,
        name=name.strip(),
        email=email.strip(),
        organisation=organisation.strip(),
        access_needs=access_needs.strip(),
        consent=True,
    )


def _promote(event: Event) -> list[Registration]:
    """Fill free places from the waiting list, first come first served (lock held)."""
    if event.capacity is None:
        free = None
    else:
        free = event.capacity - event.booked_count
        if free <= 0:
            return []
    waiting = event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
        "created_at", "id"
    )
    promoted = list(waiting if free is None else waiting[:free])
    if not promoted:
        return []
    now = timezone.now()
    Registration.objects.filter(pk__in=[r.pk for r in promoted]).update(
        status=RegistrationStatus.BOOKED, promoted_at=now
    )
    Event.objects.filter(pk=event.pk).update(booked_count=F("booked_count") + len(promoted))
    event.booked_count += len(promoted)
    for registration in promoted:
        registration.status, registration.promoted_at = RegistrationStatus.BOOKED, now
    transaction.on_commit(lambda: notifications.promoted(promoted))
    return promoted


@transaction.atomic
def registration_cancel(
    *,
    registration: Registration,
    user: Any = None,
    member: Member | None = None,
    by_token: bool = False,
) -> Registration:
    """Cancel a place (or a wait); a freed place goes to the first on the waiting list."""
    if not by_token and not rules.may_cancel_registration(user, member, registration):
        raise PermissionDenied("You cannot cancel this booking.")
    event = _lock(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    if event.starts_at <= timezone.now():
        raise ValidationError(
            "This event has started, so places can no longer be cancelled: the host records "
            "who came instead."
        )
    was_booked = registration.status == RegistrationStatus.BOOKED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if was_booked:
        Event.objects.filter(pk=event.pk).update(booked_count=F("booked_count") - 1)
        event.booked_count -= 1
        if event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now():
            _promote(event)
    transaction.on_commit(lambda: notifications.registration_cancelled(registration))
    return registration


@transaction.atomic
def attendance_record(*, user: Any, event: Event, attended_ids: set[int]) -> int:
    """After the event starts, the host marks who came; everyone else booked did not.

    Only the places ``user`` may see are touched: a restricted contact's place, hidden from
    the register this user was shown, keeps what a colleague with access recorded. Runs on
    the host's site (its schema), as the register page does.
    """
    if not rules.may_manage_event(user, event):
        raise PermissionDenied("Only the host can record attendance.")
    if event.starts_at > timezone.now():
        raise ValidationError("Attendance can be recorded once the event has started.")
    booked = registrations_visible(user=user, member=event.host).filter(
        event=event, status=RegistrationStatus.BOOKED
    )
    came = booked.filter(pk__in=attended_ids).update(attended=True)
    booked.exclude(pk__in=attended_ids).update(attended=False)
    audit_record(
        action="event.attendance", actor=user, member=event.host, target=event.title, attended=came
    )
    return came
