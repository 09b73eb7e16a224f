"""The member dashboard: reporting's own charts, and the drawing of every chart registered
in ``crm.dashboard`` (other apps add theirs there, e.g. events and attendance), in order.

Tenant assumptions: the connection is on the member's schema. Contact and interaction counts go
through ``crm.selectors`` (``contacts_visible_to``, ``interactions_visible_to``) so restricted
contacts and their interactions count only for those who see them.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Func
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone

from crm.dashboard import Chart, chart_register, charts_registered, months_back


def charts_for(request: HttpRequest) -> list[Chart]:
    """The dashboard's charts for this request, in order, leaving out those with nothing to
    show on this site."""
    return [chart for chart in (fn(request) for fn in charts_registered()) if chart is not None]


def _month_label(month: date) -> str:
    return month.strftime("%b %Y")


@chart_register(order=10)
def records_over_time(request: HttpRequest) -> Chart:
    """Contacts and organisations on record at the end of each of the last 12 months."""
    from crm.models import Organisation
    from crm.selectors import contacts_visible_to

    months = months_back(12)
    series = {}
    for name, queryset in (("Contacts", contacts_visible_to(user=request.user)),
                           ("Organisations", Organisation.objects.all())):  # fmt: skip
        added = dict(
            queryset.order_by().annotate(month=TruncMonth("created_at")).values("month")
            .annotate(n=Count("id")).values_list("month", "n")
        )  # fmt: skip
        by_month: dict[date, int] = {}
        for moment, n in added.items():
            key = timezone.localtime(moment).date().replace(day=1) if hasattr(
                moment, "tzinfo") else moment  # fmt: skip
            by_month[key] = by_month.get(key, 0) + n
        before = sum(n for m, n in by_month.items() if m < months[0])
        running, values = before, []
        for month in months:
            running += by_month.get(month, 0)
            values.append(running)
        series[name] = values
    return Chart("records", "Contacts and organisations over time",
                 [_month_label(m) for m in months], series, kind="line",
                 note="Records on file at the end of each month.")  # fmt: skip


@chart_register(order=20)
def interactions_by_month(request: HttpRequest) -> Chart:
    """Interactions per month of the last 12, stacked by type."""
    from crm.models import InteractionKind
    from crm.selectors import interactions_visible_to

    months = months_back(12)
    rows = (
        interactions_visible_to(user=request.user).filter(date__gte=months[0]).order_by()
        .annotate(month=TruncMonth("date")).values_list("month", "kind")
        .annotate(n=Count("id"))
    )  # fmt: skip
    counts = {(m, k): n for m, k, n in rows}
    series = {kind.label: [counts.get((m, kind.value), 0) for m in months]
              for kind in InteractionKind}  # fmt: skip
    return Chart("interactions", "Interactions by type per month",
                 [_month_label(m) for m in months], series, kind="stacked")  # fmt: skip


@chart_register(order=30)
def organisations_by_district(request: HttpRequest) -> Chart:
    from crm.models import Organisation

    rows = (
        Organisation.objects.order_by().values_list("district").annotate(n=Count("id"))
        .order_by("-n", "district")
    )  # fmt: skip
    return Chart("districts", "Organisations by locality",
                 [d or "Not recorded" for d, _ in rows],
                 {"Organisations": [n for _, n in rows]})  # fmt: skip


class Unnest(Func):
    function = "unnest"


@chart_register(order=40)
def organisations_by_area(request: HttpRequest) -> Chart:
    from crm.models import Organisation

    rows = list(
        Organisation.objects.order_by().annotate(area=Unnest(F("areas_of_work")))
        .values_list("area").annotate(n=Count("id")).order_by("-n", "area")[:12]
    )  # fmt: skip
    return Chart("areas", "Organisations by area of work (top 12)", [a for a, _ in rows],
                 {"Organisations": [n for _, n in rows]},
                 note="An organisation working in several areas counts in each.")  # fmt: skip


@chart_register(order=50)
def consent_coverage(request: HttpRequest) -> Chart:
    """For each purpose, the share of (visible) contacts whose latest decision is a yes,
    a withdrawal or objection, or who have none recorded."""
    from django.db.models import OuterRef, Subquery

    from crm.models import Consent, ConsentPurpose
    from crm.selectors import contacts_visible_to

    contacts = contacts_visible_to(user=request.user).order_by()
    total = contacts.count()
    categories, granted, refused, missing = [], [], [], []
    for purpose in ConsentPurpose:
        latest = Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose.value).order_by(
            "-recorded_at", "-id").values("status")[:1]  # fmt: skip
        statuses = dict(contacts.annotate(s=Subquery(latest)).values_list("s").annotate(
            n=Count("id")).values_list("s", "n"))  # fmt: skip
        yes = statuses.get("granted", 0)
        no = statuses.get("withdrawn", 0) + statuses.get("objected", 0)

        def share(n: int) -> float:
            return round(100 * n / total, 1) if total else 0

        categories.append(purpose.label)
        granted.append(share(yes))
        refused.append(share(no))
        missing.append(share(total - yes - no))
    return Chart("consent", "Consent coverage", categories,
                 {"Consent given": granted, "Withdrawn or objected": refused,
                  "Not recorded": missing}, kind="stacked", unit="%",
                 colours=["#1e6b3a", "#b3261e", "#aab3bf"],
                 note=f"Share of your {total:,} contacts, by their latest decision.")  # fmt: skip
