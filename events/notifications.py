"""E-mails to the people booked: confirmation, waiting list, promotion, cancellation and
changes, each with the event as an .ics attachment. Sent after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from .calendar import invitation, public_path
from .models import Event, Registration, RegistrationStatus
from .times import when_text

logger = logging.getLogger(__name__)


def _consortium_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def manage_url(registration: Registration) -> str:
    """The registrant's own link to see or cancel the place (no sign-in needed)."""
    return _consortium_url(public_path("public_registration", registration.token))


def _send(
    registration: Registration,
    *,
    subject: str,
    template: str,
    cancelled: bool = False,
    extra: dict | None = None,
) -> None:
    if not registration.email:
        return
    event = registration.event
    booked = registration.status == RegistrationStatus.BOOKED and not cancelled
    context = {
        "booked": booked,
        "registration": registration,
        "event": event,
        "when": when_text(event.starts_at, event.ends_at),
        "manage_url": manage_url(registration),
        **(extra or {}),
    }
    message = EmailMessage(
        subject=f"{subject}: {event.title}",
        body=render_to_string(f"events/email/{template}.txt", context),
        to=[registration.email],
    )
    message.attach(
        "event.ics", invitation(event, cancelled=cancelled, include_link=booked), "text/calendar"
    )
    try:
        message.send()
    except OSError:  # the booking stands; a mail server outage must not undo it
        logger.exception("could not send %s to registration %s", template, registration.pk)


def registration_made(registration: Registration) -> None:
    if registration.status == RegistrationStatus.BOOKED:
        _send(registration, subject="You're booked", template="booked")
    else:
        _send(registration, subject="You're on the waiting list", template="waitlisted")


def promoted(registrations: Iterable[Registration]) -> None:
    for registration in registrations:
        _send(registration, subject="A place has come up", template="promoted")


def registration_cancelled(registration: Registration) -> None:
    _send(
        registration, subject="Booking cancelled", template="registration_cancelled", cancelled=True
    )


def event_cancelled(event: Event, registrations: Iterable[Registration], reason: str) -> None:
    for registration in registrations:
        registration.event = event
        _send(
            registration,
            subject="Event cancelled",
            template="event_cancelled",
            cancelled=True,
            extra={"reason": reason},
        )


def event_changed(event: Event, registrations: Iterable[Registration]) -> None:
    for registration in registrations:
        registration.event = event
        _send(registration, subject="Event details changed", template="event_changed")
