"""Reads of the breach log, and each breach's 72-hour clock.

Tenant assumptions: none; the log lives in the public schema and holds no member's records.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.models import Member, Membership
from tenants.permissions import AnyUser

from .breach_models import (
    DUE_SOON_HOURS,
    REPORTING_HOURS,
    Breach,
    BreachEntry,
    BreachStatus,
    Decision,
    EntryKind,
)
from .permissions import acts_for_breaches


@dataclass(frozen=True)
class Clock:
    """Where a breach stands against the 72 hours (``css`` names a style, never shown)."""

    state: str  # running, due-soon, overdue, reported, not-reportable, closed
    label: str
    hours_left: int
    hours_elapsed: int
    overdue: bool

    @property
    def css(self) -> str:
        return f"clock-{self.state}"

    @property
    def bar_value(self) -> int:
        return min(self.hours_elapsed, REPORTING_HOURS)

    @property
    def bar_max(self) -> int:
        return REPORTING_HOURS


def _hours(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _plural(n: int) -> str:
    return f"{n} hour" if n == 1 else f"{n} hours"


def breach_clock(breach: Breach, *, now: datetime.datetime | None = None) -> Clock:
    """The countdown from when the breach was found: due 72 hours later, unless it has been
    reported or decided not reportable."""
    now = now or timezone.now()
    elapsed = max(_hours(now - breach.found_at), 0)
    left_delta = breach.due_at - now
    left = _hours(left_delta) if left_delta.total_seconds() > 0 else 0
    if breach.reported_at is not None:
        taken = _hours(breach.reported_at - breach.found_at)
        late = breach.reported_at > breach.due_at
        label = (f"Reported to the ICO {_plural(taken)} after it was found"
                 + (" (late)" if late else ""))  # fmt: skip
        return Clock("reported", label, 0, min(taken, REPORTING_HOURS), late)
    if breach.report_to_ico == Decision.NO:
        return Clock("not-reportable", "Decided not reportable to the ICO", 0, elapsed, False)
    if breach.status == BreachStatus.CLOSED:
        return Clock("closed", "Closed without a report", 0, elapsed, False)
    if left_delta.total_seconds() <= 0:
        over = _hours(-left_delta)
        label = f"Overdue by {_plural(over)}" if over else "Overdue"
        return Clock("overdue", label, 0, elapsed, True)
    state = "due-soon" if left < DUE_SOON_HOURS else "running"
    if left == 0:
        return Clock(state, "Less than an hour left", 0, elapsed, False)
    return Clock(state, f"{_plural(left)} left", left, elapsed, False)


def _visible(*, user: AnyUser, member: Member | None) -> QuerySet[Breach]:
    if not acts_for_breaches(user, member):
        return Breach.objects.none()
    breaches: QuerySet[Breach] = Breach.objects.select_related("recorded_for")
    if member is not None:
        breaches = breaches.filter(
            pk__in=Breach.objects.filter(Q(recorded_for=member) | Q(members=member)).values("pk")
        )
    return breaches


def breaches_for(*, user: AnyUser, member: Member | None) -> list[Breach]:
    """The breaches the person may see on this site: every one for the consortium's leads,
    those recorded for or affecting ``member`` for its leads, none for anyone else. Open
    ones first, the most urgent at the top; then closed ones, newest first."""
    rows = list(_visible(user=user, member=member).prefetch_related("members"))
    open_ = sorted((b for b in rows if b.status == BreachStatus.OPEN), key=lambda b: b.found_at)
    closed = sorted((b for b in rows if b.status != BreachStatus.OPEN),
                    key=lambda b: b.found_at, reverse=True)  # fmt: skip
    return open_ + closed


def breach_get_for(*, user: AnyUser, member: Member | None, breach_id: int) -> Breach:
    """One breach the person may see here; any other raises ``Breach.DoesNotExist`` (the same
    not-found for missing and forbidden)."""
    return _visible(user=user, member=member).prefetch_related("members").get(pk=breach_id)


def breach_entries(*, breach: Breach, kind: str) -> list[BreachEntry]:
    return list(BreachEntry.objects.filter(breach_id=breach.pk, kind=kind))


def breach_decisions(*, breach: Breach) -> list[BreachEntry]:
    return breach_entries(breach=breach, kind=EntryKind.DECISION)


def breach_notes(*, breach: Breach) -> list[BreachEntry]:
    return breach_entries(breach=breach, kind=EntryKind.NOTE)


def entry_member_names(entries: list[BreachEntry]) -> dict[int, str]:
    ids = {e.member_id for e in entries if e.member_id}
    return dict(Member.objects.filter(pk__in=ids).values_list("pk", "name"))


def breach_lead_emails(*, members: list[Member]) -> list[str]:
    """The e-mail addresses of the affected members' data protection leads (active)."""
    return sorted(set(
        Membership.objects.active()
        .filter(member__in=members, is_data_protection_lead=True, user__is_active=True)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))  # fmt: skip
