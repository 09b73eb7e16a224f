"""Times of events and bookings: local wall-clock wording, and the dates of a repeating
booking, kept at the same local time across clock changes. Pure arithmetic, no queries."""

from __future__ import annotations

from datetime import MAXYEAR, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats

from .models import Recurrence

MAX_OCCURRENCES = 104
REPEATS_PAST_CALENDAR = (
    "These repeats would run past the end of the calendar (the year 9999): book fewer."
)


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def when_text(start: datetime, end: datetime) -> str:
    """'Tuesday 3 March 2026, 10:00–12:00' in local time."""
    start, end = local(start), local(end)
    day = formats.date_format(start, "l j F Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} – {formats.date_format(end, 'l j F Y')} {end:%H:%M}"


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
