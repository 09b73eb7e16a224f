"""Writes for access reviews: confirming, suspending and reinstating memberships, the
scheduled suspension of dormant ones, and recording a member's quarterly review.

Tenant assumptions: memberships and reviews live on the public schema; nothing here enters
a member's schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from .audit import audit_record
from .models import AccessReview, Member, Membership, Role
from .review_selectors import (
    access_counts,
    access_rows,
    dormant_cutoff,
    is_dormant,
    last_seen_by_user,
)
from .selectors import other_active_managers
from .session_services import user_sessions_end

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

LAST_MANAGER_SUSPEND = (
    "{member} must keep at least one manager who can sign in. Make someone else a manager "
    "before suspending {name}."
)
NOT_SUSPENDED = "{name}'s access is not suspended."
ALREADY_SUSPENDED = "{name}'s access is already suspended."
DORMANT_REASON = "because it was not used for {days} days"
MANAGER_REASON = "by {manager} on {day}"
REASON_SUSPENDED = "Access suspended"  # why the sessions ended, as the audit log says


def _name(user: Account) -> str:
    return user.get_full_name() or user.get_username()


def _locked(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update()
        .select_related("user", "member")
        .get(pk=membership.pk)
    )


@transaction.atomic
def membership_confirm(*, membership: Membership, acting_user: Account) -> Membership:
    """A manager says this person still needs access: the dormant job then leaves them alone
    for another ``COMMONS_DORMANT_DAYS``. The caller checks that ``acting_user`` manages
    ``membership.member``."""
    membership = _locked(membership)
    membership.confirmed_at = timezone.now()
    membership.confirmed_by = acting_user
    membership.save(update_fields=["confirmed_at", "confirmed_by"])
    audit_record(
        action="membership.confirmed", actor=acting_user, member=membership.member,
        target=membership.user.get_username(), user_id=membership.user_id,
    )  # fmt: skip
    return membership


def _suspend(membership: Membership, *, reason: str, acting_user: Account | None) -> None:
    """Suspend, and end the person's sessions on the member's site at once (the middleware
    would refuse their next request anyway; ending them leaves nothing signed in there)."""
    membership.suspended_at = timezone.now()
    membership.suspended_reason = reason[:200]
    membership.save(update_fields=["suspended_at", "suspended_reason"])
    user_sessions_end(
        user=membership.user, acting_user=acting_user, member=membership.member,
        reason=REASON_SUSPENDED,
    )  # fmt: skip
    audit_record(
        action="membership.suspended", actor=acting_user, member=membership.member,
        target=membership.user.get_username(), user_id=membership.user_id, reason=reason,
    )  # fmt: skip


@transaction.atomic
def membership_suspend(*, membership: Membership, acting_user: Account) -> Membership:
    """Suspend someone's access now (a manager's decision). The membership stays so that it can
    be given back; the person's next request to the member's site is refused, since access is
    decided on every request. The last manager who can sign in is never suspended."""
    membership = _locked(membership)
    name = _name(membership.user)
    if membership.is_suspended:
        raise ValidationError(ALREADY_SUSPENDED.format(name=name))
    if membership.role == Role.MANAGER and other_active_managers(membership) == 0:
        raise ValidationError(LAST_MANAGER_SUSPEND.format(member=membership.member, name=name))
    day = date_format(timezone.localdate(), "j F Y")
    _suspend(
        membership, acting_user=acting_user,
        reason=MANAGER_REASON.format(manager=_name(acting_user), day=day),
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_reinstate(*, membership: Membership, acting_user: Account) -> Membership:
    """Give back suspended access. Reinstating counts as confirming, so the dormant job does
    not suspend the person again before they have had a chance to sign in."""
    membership = _locked(membership)
    if not membership.is_suspended:
        raise ValidationError(NOT_SUSPENDED.format(name=_name(membership.user)))
    now = timezone.now()
    membership.suspended_at = None
    membership.suspended_reason = ""
    membership.confirmed_at = now
    membership.confirmed_by = acting_user
    membership.save(
        update_fields=["suspended_at", "suspended_reason", "confirmed_at", "confirmed_by"]
    )
    audit_record(
        action="membership.reinstated", actor=acting_user, member=membership.member,
        target=membership.user.get_username(), user_id=membership.user_id,
    )  # fmt: skip
    return membership


@transaction.atomic
def memberships_suspend_dormant(
    *, now: datetime | None = None, acting_user: Account | None = None
) -> list[Membership]:
    """Suspend every membership, at every member, whose person has not been seen for
    ``COMMONS_DORMANT_DAYS`` (neither signed in nor used a session), that no manager confirmed
    in that time, and that is older than that (a new colleague who has not signed in yet is
    not dormant). A member's last manager who can sign in is kept, so someone can always
    reinstate the others. The scheduled job's body; ``now`` lets tests move the clock.

    Returns the memberships suspended. ``acting_user`` is ``None`` for the scheduled job (the
    audit rows then name no one).
    """
    cutoff = dormant_cutoff(now)
    candidates = list(
        Membership.objects.active()
        .select_for_update(of=("self",))
        .filter(user__is_active=True, created_at__lt=cutoff, member__is_active=True)
        .exclude(confirmed_at__gte=cutoff)
        .exclude(user__last_login__gte=cutoff)
        .select_related("user", "member")
        .order_by("member_id", "-role", "pk")
    )
    seen = last_seen_by_user(user_ids={m.user_id for m in candidates})
    reason = DORMANT_REASON.format(days=settings.COMMONS_DORMANT_DAYS)
    suspended = []
    for membership in candidates:
        if not is_dormant(membership, seen.get(membership.user_id), cutoff):
            continue
        if membership.role == Role.MANAGER and other_active_managers(membership) == 0:
            continue
        _suspend(membership, reason=reason, acting_user=acting_user)
        suspended.append(membership)
    return suspended


@transaction.atomic
def access_review_record(*, member: Member, acting_user: Account, notes: str = "") -> AccessReview:
    """Record that ``acting_user`` reviewed who has access to ``member`` (the caller checks
    they manage it), with the counts the review page showed."""
    counts = access_counts(access_rows(member=member))
    review = AccessReview(
        member=member, completed_by=acting_user, completed_at=timezone.now(),
        people_count=counts.people, dormant_count=counts.dormant,
        suspended_count=counts.suspended,
        without_second_factor_count=counts.without_second_factor, notes=notes.strip(),
    )  # fmt: skip
    review.full_clean()
    review.save()
    audit_record(
        action="access_review.recorded", actor=acting_user, member=member,
        target=member.name, review_id=review.pk, people=review.people_count,
        dormant=review.dormant_count, suspended=review.suspended_count,
    )  # fmt: skip
    return review
