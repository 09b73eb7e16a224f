"""Ending people's sessions: by their own hand, when their password or second factor changes,
when they are removed from a member or erased, and when they have been idle too long.

Sessions are allauth's ``UserSession`` rows (one per signed-in browser per site; each member
site keeps its own cookie), kept in the public schema beside Django's session store. Ending one
is allauth's ``UserSession.end()``: the stored session goes, so its cookie opens nothing on its
next request.

Tenant assumptions: everything here is in the public schema; which site a session belongs to
is in ``UserSession.data[SITE_KEY]`` (a member's id, or None for the consortium site), written
on the session's first request (``tenants.session_middleware``).
"""

from __future__ import annotations

from typing import Any

from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import Q

from .audit import audit_record
from .models import Member, Membership

SITE_KEY = "member_id"

# Why a session ended, as the audit log shows it.
REASON_BY_OWNER = "Ended by its owner from their sessions page"
REASON_OTHERS_BY_OWNER = "Other sessions ended by their owner from their sessions page"
REASON_PASSWORD = "Password changed"  # noqa: S105 (a reason, not a password)
REASON_SECOND_FACTOR = "Second factor changed"
REASON_REMOVED = "Removed from the member"
REASON_ERASED = "Account erased"
REASON_IDLE = "No activity for {minutes} minutes"


@transaction.atomic
def user_sessions_end(
    *,
    user: Any,
    acting_user: Any,
    keep: str | None = None,
    session_id: int | None = None,
    reason: str,
    member: Member | None = None,
) -> int:
    """End ``user``'s sessions and say how many were still open.

    ``keep`` is a session key left alone (the request's own); ``session_id`` narrows it to one
    session; ``member`` to the sessions on that member's site (and any whose site is not yet
    recorded: ending one too many is safe, leaving one open is not). A session whose stored
    session has already gone is tidied away without counting. One audit row, when any ended.
    """
    sessions = UserSession.objects.select_for_update().filter(user_id=user.pk)
    if session_id is not None:
        sessions = sessions.filter(pk=session_id)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    if member is not None:
        sessions = sessions.filter(
            Q(**{f"data__{SITE_KEY}": member.pk}) | ~Q(data__has_key=SITE_KEY)
        )
    live = []
    for session in sessions:
        if session.exists():
            live.append(session)
        else:
            session.delete()
    get_adapter().end_sessions(live)
    if live:
        audit_record(
            action="session.ended", actor=acting_user, member=member,
            target=user.get_username(), user_id=user.pk, sessions=len(live), reason=reason,
        )  # fmt: skip
    return len(live)


@transaction.atomic
def user_member_access_end(*, user: Any, member: Member, acting_user: Any) -> bool:
    """What removing ``user`` from ``member`` ends at once: their sessions on that member's
    site, and their API token when no membership is left for it to open. True when the token
    went. Called by ``tenants.services.membership_remove`` after the membership is gone."""
    user_sessions_end(user=user, acting_user=acting_user, member=member, reason=REASON_REMOVED)
    if Membership.objects.filter(user=user).exists():
        return False
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def session_site_record(*, session_key: str, member: Member | None, acting_user: Any) -> bool:
    """Note which site a session is on, once (``member`` None: the consortium site); False
    when allauth has no record of the session. ``acting_user`` is its owner. Not audited: it
    is a fact about the session allauth just recorded, as its address is, not an act."""
    session = UserSession.objects.filter(session_key=session_key).first()
    if session is None:
        return False
    if SITE_KEY not in session.data:
        session.data = {**session.data, SITE_KEY: member.pk if member is not None else None}
        session.save(update_fields=["data"])
    return True
