"""A new password or a changed second factor ends the person's other sessions.

Whoever learnt the old password, or holds the lost phone, is signed out everywhere at once;
the browser that made the change stays signed in (when it is the person's own: a consortium
admin resetting someone's second factor keeps their own session, and ends all of the other
person's). Connected in ``tenants.apps``.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset

from .session_services import REASON_PASSWORD, REASON_SECOND_FACTOR, user_sessions_end


def _own_session_key(request: Any, user: Any) -> str | None:
    if request is None:
        return None
    signed_in = getattr(request, "user", None)
    if signed_in is None or not signed_in.is_authenticated or signed_in.pk != user.pk:
        return None
    session = getattr(request, "session", None)
    return getattr(session, "session_key", None)


def _acting(request: Any, user: Any) -> Any:
    signed_in = getattr(request, "user", None)
    return signed_in if signed_in is not None and signed_in.is_authenticated else user


def _end_others(reason: str, *, user: Any, request: Any = None, **_: Any) -> None:
    user_sessions_end(
        user=user, acting_user=_acting(request, user), keep=_own_session_key(request, user),
        reason=reason,
    )  # fmt: skip


def on_password_changed(sender: Any, **kwargs: Any) -> None:
    _end_others(REASON_PASSWORD, **kwargs)


def on_second_factor_changed(sender: Any, **kwargs: Any) -> None:
    _end_others(REASON_SECOND_FACTOR, **kwargs)


def session_receivers_connect() -> None:
    for signal in (password_changed, password_set, password_reset):
        signal.connect(on_password_changed, dispatch_uid="commons-sessions-end-others")
    for signal in (authenticator_added, authenticator_removed, authenticator_reset):
        signal.connect(on_second_factor_changed, dispatch_uid="commons-sessions-end-others")
