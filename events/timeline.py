"""Events on a contact's CRM timeline: read from the public registrations for that member.

``crm`` never imports this; ``events`` registers the source when the app is ready, and the
timeline pulls from it. Nothing is written into the member's schema.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm.timeline import TimelineEntry

from .models import Registration, RegistrationStatus


def _url(event_id: int) -> str:
    try:
        return reverse("events:event_detail", args=[event_id])
    except NoReverseMatch:  # pragma: no cover - only outside a member's site
        return ""


def contact_events(record_type: str, record_id: int, schema_name: str) -> list[TimelineEntry]:
    if record_type != "contact":
        return []
    registrations = Registration.objects.filter(
        member__schema_name=schema_name, contact_id=record_id
    ).select_related("event", "event__host")
    entries = []
    for registration in registrations:
        event = registration.event
        where = f"{event.host_name} · {timezone.localtime(event.starts_at):%d %b %Y}"
        # Promoted or still waiting: it began on the waiting list.
        waiting = registration.promoted_at is not None or registration.status == "waitlisted"
        entries.append(
            TimelineEntry(
                when=registration.created_at,
                kind="Event",
                title=f"{'Waiting list for' if waiting else 'Booked onto'} {event.title}",
                detail=where,
                url=_url(event.pk),
            )
        )
        if registration.promoted_at:
            entries.append(
                TimelineEntry(
                    when=registration.promoted_at,
                    kind="Event",
                    title=f"Given a place at {event.title}",
                    detail=where,
                    url=_url(event.pk),
                )
            )
        if registration.attended is not None and registration.status == RegistrationStatus.BOOKED:
            came = "Attended" if registration.attended else "Did not attend"
            entries.append(
                TimelineEntry(
                    when=event.ends_at,
                    kind="Event",
                    title=f"{came} {event.title}",
                    detail=where,
                    url=_url(event.pk),
                )
            )
        if registration.cancelled_at:
            entries.append(
                TimelineEntry(
                    when=registration.cancelled_at,
                    kind="Event",
                    title=f"Cancelled place at {event.title}",
                    detail=where,
                    url=_url(event.pk),
                )
            )
    return entries
