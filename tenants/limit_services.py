"""Lockouts: recording that an account locked itself, and unlocking one.

Tenant assumptions: accounts and the audit log are consortium-wide (public schema); a
manager's authority comes from the member named, checked here, not in the view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from . import limits
from .audit import audit_record
from .models import Member, Membership
from .permissions import is_consortium_admin, is_manager_of

NOT_LOCKED = "{name}'s account is not locked: there is nothing to unlock."
NOT_YOURS = "Only their manager or a consortium admin can unlock this account."


def _name(user: Any) -> str:
    return user.get_full_name() or user.username


def account_lock_record(
    *, user: Any, opens: dt.datetime, address: str, acting_user: Any | None
) -> None:
    """Record that too many wrong passwords locked ``user``'s account until ``opens``
    (``acting_user``: whoever was signed in meanwhile, usually nobody)."""
    audit_record(
        action="account.locked", actor=acting_user, target=user.username,
        user_id=user.pk, opens=opens.isoformat(), address=address,
    )  # fmt: skip


def can_unlock_account(acting_user: Any | None, user: Any, member: Member | None) -> bool:
    """Consortium admins unlock anyone; a member's managers unlock the people who work at
    that member, but not a consortium admin's account (whose password opens every member)."""
    if is_consortium_admin(acting_user):
        return True
    return (
        member is not None
        and is_manager_of(acting_user, member)
        and Membership.objects.filter(user=user, member=member).exists()
        and not is_consortium_admin(user)
    )


@transaction.atomic
def account_unlock(*, user: Any, acting_user: Any, member: Member | None = None) -> dt.datetime:
    """Open ``user``'s account locked by wrong passwords, now; returns when it would have
    opened. ``member``: the member a manager acts for (None for a consortium admin)."""
    if not can_unlock_account(acting_user, user, member):
        raise PermissionDenied(NOT_YOURS)
    opens = limits.user_locked_until(user=user)
    if opens is None:
        raise ValidationError(NOT_LOCKED.format(name=_name(user)))
    limits.account_lock_clear(key=limits.account_key(user))
    audit_record(
        action="account.unlocked", actor=acting_user, member=member, target=user.username,
        user_id=user.pk, was_locked_until=opens.isoformat(),
    )  # fmt: skip
    return opens
