"""Reading a person's sessions: only their own, across every site they are signed in on.

Tenant assumptions: sessions and members are in the public schema; nothing here switches
schema. A session of someone else and a missing one give the same not-found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.http import Http404

from .devices import device_describe
from .models import Member
from .session_services import SITE_KEY

SITE_UNKNOWN = "Not yet known"


@dataclass(frozen=True)
class SessionView:
    """One session as its owner sees it."""

    id: int
    device: str
    site: str
    address: str
    started: datetime
    last_seen: datetime
    is_current: bool


def _site_names(sessions: list[UserSession]) -> dict[int, str]:
    ids = {s.data.get(SITE_KEY) for s in sessions} - {None}
    return dict(Member.objects.filter(pk__in=ids).values_list("pk", "name"))


def _site_of(session: UserSession, names: dict[int, str]) -> str:
    if SITE_KEY not in session.data:
        return SITE_UNKNOWN
    member_id = session.data[SITE_KEY]
    if member_id is None:
        return settings.CONSORTIUM_NAME
    return names.get(member_id, SITE_UNKNOWN)


def _viewed(session: UserSession, names: dict[int, str], current_key: str | None) -> SessionView:
    return SessionView(
        id=session.pk,
        device=device_describe(session.user_agent),
        site=_site_of(session, names),
        address=session.ip,
        started=session.created_at,
        last_seen=session.last_seen_at,
        is_current=bool(current_key) and session.session_key == current_key,
    )


def user_sessions_list(*, user: Any, current_key: str | None) -> list[SessionView]:
    """The person's open sessions on every site, this one first, then the most recently seen.

    Sessions whose stored session has gone (ended, expired, or signed out) are tidied away
    first, by allauth's own ``purge_and_list``.
    """
    sessions = UserSession.objects.purge_and_list(user)
    names = _site_names(sessions)
    views = [_viewed(s, names, current_key) for s in sessions]
    return sorted(views, key=lambda v: (not v.is_current, -v.last_seen.timestamp()))


def user_session_get_for_user(
    *, user: Any, session_id: int, current_key: str | None
) -> SessionView:
    """One of the person's own sessions; anyone else's, or none, is not found."""
    session = UserSession.objects.filter(user_id=user.pk, pk=session_id).first()
    if session is None or not session.exists():
        raise Http404("No such session.")
    return _viewed(session, _site_names([session]), current_key)
