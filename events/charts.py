"""The member dashboard's "Events and attendance" chart, registered with reporting's chart
registry when the app is ready (reporting draws it; events owns the numbers)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone

from reporting.dashboard import Chart, months_back

from .models import Registration, RegistrationStatus


def events_and_attendance(request: HttpRequest) -> Chart | None:
    """Per month of the last 12 (by the event's date): places booked for this member's
    contacts, how many came, and places at the events it hosted."""
    member = getattr(request, "tenant", None)
    if member is None:
        return None
    months = months_back(12)
    start = timezone.make_aware(timezone.datetime.combine(months[0], timezone.datetime.min.time()))
    live = ~Q(status=RegistrationStatus.CANCELLED)
    rows = (
        Registration.objects.filter(live, event__starts_at__gte=start)
        .filter(Q(member=member) | Q(event__host=member))
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
