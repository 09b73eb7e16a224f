"""Reads for access reviews: who has access to a member, when each was last seen, whether
each has a second factor, and whether this quarter's review is due.

Tenant assumptions: every table read here is on the public schema (memberships, accounts,
allauth's sessions and authenticators, access reviews). The caller has checked that the
reader manages ``member``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .mfa import users_with_second_factor
from .models import AccessReview, Member, Membership

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class AccessRow:
    membership: Membership
    last_seen: datetime | None
    second_factor: bool
    dormant: bool

    @property
    def suspended(self) -> bool:
        return self.membership.is_suspended


@dataclass(frozen=True)
class AccessCounts:
    """What a review page shows and a recorded review keeps: everyone listed, and of those
    not suspended, who was seen recently, who is dormant and who has no second factor."""

    people: int
    recent: int
    dormant: int
    without_second_factor: int
    suspended: int


def access_counts(rows: list[AccessRow]) -> AccessCounts:
    active = [row for row in rows if not row.suspended]
    return AccessCounts(
        people=len(rows),
        recent=sum(not row.dormant for row in active),
        dormant=sum(row.dormant for row in active),
        without_second_factor=sum(not row.second_factor for row in active),
        suspended=len(rows) - len(active),
    )


def dormant_cutoff(now: datetime | None = None) -> datetime:
    """Not seen since this moment (and not confirmed since) means dormant."""
    return (now or timezone.now()) - timedelta(days=settings.COMMONS_DORMANT_DAYS)


def last_seen_by_user(*, user_ids: Iterable[int]) -> dict[int, datetime]:
    """When each person was last seen: the later of their last sign-in and their sessions'
    last use (allauth's user sessions). People never seen are absent."""
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import get_user_model

    ids = list(user_ids)
    seen: dict[int, datetime] = {
        pk: last_login
        for pk, last_login in get_user_model()
        .objects.filter(pk__in=ids, last_login__isnull=False)
        .values_list("pk", "last_login")
        if last_login is not None
    }
    sessions = (
        UserSession.objects.filter(user_id__in=ids)
        .values("user_id")
        .annotate(latest=Max("last_seen_at"))
        .values_list("user_id", "latest")
    )
    for user_id, latest in sessions:
        if latest is not None and (user_id not in seen or latest > seen[user_id]):
            seen[user_id] = latest
    return seen


def is_dormant(membership: Membership, last_seen: datetime | None, cutoff: datetime) -> bool:
    """The one dormancy rule (the review page and the scheduled job): not seen since
    ``cutoff``, not confirmed since, not new since, and not suspended already."""
    if membership.is_suspended or membership.created_at >= cutoff:
        return False
    if membership.confirmed_at is not None and membership.confirmed_at >= cutoff:
        return False
    return last_seen is None or last_seen < cutoff


def access_rows(*, member: Member, now: datetime | None = None) -> list[AccessRow]:
    """Everyone with an account at ``member`` (suspended people included, so they can be
    reinstated), managers first, then by name."""
    memberships = list(
        Membership.objects.filter(member=member, user__is_active=True)
        .select_related("user", "confirmed_by")
        .order_by("-role", "user__last_name", "user__first_name", "pk")
    )
    user_ids = {m.user_id for m in memberships}
    seen = last_seen_by_user(user_ids=user_ids)
    with_factor = users_with_second_factor(user_ids=list(user_ids))
    cutoff = dormant_cutoff(now)
    return [
        AccessRow(
            membership=m,
            last_seen=seen.get(m.user_id),
            second_factor=m.user_id in with_factor,
            dormant=is_dormant(m, seen.get(m.user_id), cutoff),
        )
        for m in memberships
    ]


def quarter_start(day: date) -> date:
    """The first day of ``day``'s calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def access_review_latest(*, member: Member) -> AccessReview | None:
    return AccessReview.objects.filter(member=member).select_related("completed_by").first()


def access_review_due(*, latest: AccessReview | None, today: date | None = None) -> bool:
    """Whether this calendar quarter's review has still to be recorded, given the member's
    latest review (``access_review_latest``)."""
    start = quarter_start(today or timezone.localdate())
    return latest is None or timezone.localdate(latest.completed_at) < start
