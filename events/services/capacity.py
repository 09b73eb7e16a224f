"""Places at an event, decided one at a time under the event's row lock.

Each registration change takes the event's row lock first, so sign-ups for one event are
decided one at a time, in arrival order; the ``events_event_within_capacity`` CHECK
constraint is the guarantee that nothing overbooks even if code forgot the lock.

These are steps of the registration and event writes in this package, never writes of their
own: the caller holds the transaction, checks who may act and writes the audit row, so the
names are private to ``events.services``.

Tenant assumptions: none (events and registrations live in the public schema).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from events import notifications
from events.models import Event, Registration, RegistrationStatus
from events.selectors import registration_open


class EventFull(ValidationError):
    pass


def _event_lock(event: Event) -> Event:
    """The event again, its row locked until the transaction ends (the caller's atomic)."""
    return Event.objects.select_for_update().get(pk=event.pk)


def _place(event: Event, **fields: Any) -> Registration:
    """Decide booked, waiting or refused (the caller holds the event's lock)."""
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


def _waiting_list_promote(event: Event) -> list[Registration]:
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
