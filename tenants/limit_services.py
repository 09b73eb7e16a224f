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
from .models import Member
from .permissions import can_unlock_account

NOT_LOCKED = "{name}'s account is not locked: there is nothing to unlock."
NOT_YOURS = "Only their manager or a consortium admin can unlock this account."


def _name(user: Any) -> str:
    return user.get_full_name() or user.username


def account_lock_record(
    *,
    user: Any,
    opens: dt.datetime,
    address: str,
    member: Member | None,
    acting_user: Any | None,
) -> None:
    """Record that too many wrong passwords locked ``user``'s account until ``opens``, on
    ``member``'s site (None: the consortium's), so its managers see it among their security
    events (``acting_user``: whoever was signed in meanwhile, usually nobody)."""
    audit_record(
        action="account.locked", actor=acting_user, member=member, target=user.username,
        user_id=user.pk, opens=opens.isoformat(), address=address,
    )  # fmt: skip


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
