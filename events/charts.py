"""The member dashboard's "Events and attendance" chart, registered in crm's chart
registry when the app is ready (reporting draws it; events owns the numbers)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone

from crm.dashboard import Chart, months_back

from .models import RegistrationStatus
from .selectors import registrations_visible


def events_and_attendance(request: HttpRequest) -> Chart | None:
    """Per month, the last ten and the next two (by the event's date): places booked for
    this member's contacts, how many came, and places at the events it hosted."""
    member = getattr(request, "tenant", None)
    if member is None:
        return None
    months = months_back(10)
    for _ in range(2):  # and the next two months' bookings
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    start = datetime.combine(months[0], time.min, ZoneInfo(settings.TIME_ZONE))
    end = datetime.combine((months[-1] + timedelta(days=32)).replace(day=1), time.min,
                           ZoneInfo(settings.TIME_ZONE))  # fmt: skip
    live = ~Q(status=RegistrationStatus.CANCELLED)
    rows = (
        registrations_visible(user=request.user, member=member)
        .filter(live, event__starts_at__gte=start, event__starts_at__lt=end)
        .annotate(month=TruncMonth("event__starts_at"))
        .values("month")
        .annotate(
            ours=Count("id", filter=Q(member=member, status=RegistrationStatus.BOOKED)),
            came=Count("id", filter=Q(member=member, attended=True)),
            hosted=Count("id", filter=Q(event__host=member, status=RegistrationStatus.BOOKED)),
        )
        .order_by()
    )
    by_month = {timezone.localtime(r["month"]).date().replace(day=1): r for r in rows}
    series = {
        name: [by_month.get(m, {}).get(key, 0) for m in months]
        for name, key in (("Our contacts booked", "ours"), ("Our contacts who came", "came"),
                          ("Places at events we hosted", "hosted"))
    }  # fmt: skip
    return Chart(
        "events", "Events and attendance", [m.strftime("%b %Y") for m in months], series,
        note="By the month of the event; attendance once the host has taken the register.",
        empty_text="No event bookings yet: book your contacts from the Events page.",
    )  # fmt: skip
