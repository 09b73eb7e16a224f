"""Every write to events, registrations and calendar keys: atomic, checked, audited, and
e-mailed after commit. One module per room (bookings and resources are ``events.bookings``);
the public names are re-exported here so callers read ``services.event_create``."""

from .calendar_keys import calendar_key_for, calendar_key_renew
from .capacity import EventFull
from .events import event_cancel, event_create, event_publish, event_update
from .registrations import (
    attendance_record,
    registration_cancel,
    registration_cancel_by_token,
    registration_for_contact,
    registration_public,
    registrations_anonymise,
)

__all__ = [
    "EventFull",
    "attendance_record",
    "calendar_key_for",
    "calendar_key_renew",
    "event_cancel",
    "event_create",
    "event_publish",
    "event_update",
    "registration_cancel",
    "registration_cancel_by_token",
    "registration_for_contact",
    "registration_public",
    "registrations_anonymise",
]
