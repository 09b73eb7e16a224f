"""iCalendar (RFC 5545) for events: subscription feeds and e-mail attachments.

Times are written with TZID=Europe/London and the zone's VTIMEZONE, so a 10:00 event on the
day the clocks change stays 10:00 in every calendar. UIDs come from the event's own UUID and
never change; SEQUENCE rises with each edit, so subscribers replace their copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .models import Event, EventStatus

PRODID = "-//Commons//Shared events//EN"


def public_path(name: str, *args) -> str:
    """A path on the consortium site (public sign-up pages, feeds), from any site."""
    return reverse(name, args=args, urlconf=settings.PUBLIC_SCHEMA_URLCONF)


def event_uid(event: Event) -> str:
    return f"{event.uid}@{settings.BASE_DOMAIN}"


def _vevent(event: Event, *, url: str = "", cancelled: bool = False,
            include_link: bool = False) -> icalendar.Event:  # fmt: skip
    zone = ZoneInfo(settings.TIME_ZONE)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", timezone.now())
    vevent.add("last-modified", event.updated_at or timezone.now())
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    description = event.description
    if event.online_url and include_link:  # only for people with a place
        description = f"{description}\n\nJoin online: {event.online_url}".strip()
    if description:
        vevent.add("description", description)
    if event.venue_text:
        vevent.add("location", event.venue_text)
    vevent.add(
        "organizer",
        f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}",
        parameters={"CN": event.host_name},
    )
    vevent.add("categories", [event.get_event_type_display()])
    if url:
        vevent.add("url", url)
    gone = cancelled or event.status == EventStatus.CANCELLED
    vevent.add("status", "CANCELLED" if gone else "CONFIRMED")
    return vevent


def calendar_build(events: Iterable[Event], *, name: str, url_for=None, method: str = "",
                   include_link: bool = False) -> bytes:  # fmt: skip
    """A VCALENDAR of ``events``; ``url_for(event)`` gives each event's page address.
    Online joining links appear only where ``include_link`` (invitations to booked people),
    never in feeds, or capacity would mean nothing."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add("refresh-interval", "PT1H", parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(
            _vevent(
                event,
                url=url_for(event) if url_for else "",
                cancelled=method == "CANCEL",
                include_link=include_link,
            )
        )
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation(event: Event, *, url: str = "", cancelled: bool = False,
               include_link: bool = False) -> bytes:  # fmt: skip
    """One event as an e-mail attachment (REQUEST, or CANCEL when a place or event ends)."""
    return calendar_build(
        [event],
        name=event.title,
        url_for=(lambda _e: url) if url else None,
        method="CANCEL" if cancelled else "PUBLISH",
        include_link=include_link and not cancelled,
    )
