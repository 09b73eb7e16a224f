"""Events on a contact's CRM timeline: read from the public registrations for that member.

``crm`` never imports this; ``events`` registers the source when the app is ready, and the
timeline pulls from it. Nothing is written into the member's schema.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm.timeline import TimelineEntry

from .selectors import registrations_of_contact


def _url(event_id: int) -> str:
    try:
        return reverse("events:event_detail", args=[event_id])
    except NoReverseMatch:  # pragma: no cover - only outside a member's site
        return ""


def contact_events(record_type: str, record_id: int, schema_name: str) -> list[TimelineEntry]:
    if record_type != "contact":
        return []
    registrations = registrations_of_contact(schema_name=schema_name, contact_id=record_id)
    entries = []
    for registration in registrations:
        event = registration.event
        where = f"{event.host_name} · {timezone.localtime(event.starts_at):%d %b %Y}"
        url = _url(event.pk)
        # Promoted or still waiting: it began on the waiting list.
        waiting = registration.promoted_at is not None or registration.status == "waitlisted"
        came = registration.attended is not None and registration.status == "booked"
        steps = [
            (registration.created_at, "Waiting list for" if waiting else "Booked onto"),
            (registration.promoted_at, "Given a place at"),
            (event.ends_at if came else None,
             "Attended" if registration.attended else "Did not attend"),
            (registration.cancelled_at, "Cancelled place at"),
        ]  # fmt: skip
        entries += [
            TimelineEntry(when=when, kind="Event", title=f"{what} {event.title}", detail=where,
                          url=url)
            for when, what in steps if when is not None
        ]  # fmt: skip
    return entries
