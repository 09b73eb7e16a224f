"""Rate limits and lockouts: what is counted, by what, and when a limit opens again.

Counting is allauth's (``allauth.core.ratelimit``): its limiter keeps each limit's recent
attempts in the shared cache (settings.CACHES), so a limit holds across workers and servers.
Commons' own limits are named in ``ACCOUNT_RATE_LIMITS`` beside allauth's ("handoff",
"event_sign_up"). Addresses are the client's real one (tenants.clientip), as allauth's are.

An account's failed sign-ins are counted by the account itself, not by the words typed to
name it: ``staff-a`` and ``staff-a@example.org`` on any member's site are the same ten tries.

Tenant assumptions: none. Limit keys are consortium-wide (tenants.cache).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from allauth.account.utils import filter_users_by_email, filter_users_by_username
from allauth.core import ratelimit
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

APP = "allauth.account"
LOGIN_FAILED = "login_failed"
HANDOFF = "handoff"
EVENT_SIGN_UP = "event_sign_up"

ACCOUNT_LOCKED = (
    "This account is locked after too many wrong passwords. It opens again at {time}, "
    "or ask your manager to unlock it."
)
ADDRESS_LOCKED = (
    "Too many wrong passwords have been tried from your connection. You can try again at {time}."
)


def login_user(**credentials: Any) -> Any | None:
    """The one account a sign-in's username or e-mail names; None for none or several."""
    if credentials.get("email"):
        users = list(filter_users_by_email(str(credentials["email"]).strip())[:2])
    else:
        words = str(credentials.get("username", "")).strip()
        users = list(filter_users_by_username(words)[:2]) if words else []
    return users[0] if len(users) == 1 else None


def login_key(**credentials: Any) -> str:
    """What failed sign-ins are counted by: the account a username or e-mail names, or, when
    it names none (or several), the words themselves (so a locked name that is not an account
    looks the same as one that is)."""
    user = login_user(**credentials)
    if user is not None:
        return account_key(user)
    words = credentials.get("email") or credentials.get("username") or ""
    return f"login:{str(words).strip().lower()}"


def account_key(user: Any) -> str:
    return f"account:{user.pk}"


def _opens_at(request: HttpRequest, *, action: str, per: str, key: str | None) -> float | None:
    """When the ``per`` ("key" or "ip") limits of ``action`` next allow an attempt, as a
    timestamp; None if they allow one now. Reads the attempts allauth's limiter keeps (its
    newest-first list of times for each limit)."""
    now = time.time()
    opens: float | None = None
    for rate in allauth_ratelimit.get_rates(app=APP, action=action):
        if rate.per != per:
            continue
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=APP, action=action, rate=rate, key=key
        )
        recent = sorted((t for t in cache.get(cache_key, []) if t > now - rate.duration),
                        reverse=True)  # fmt: skip
        if len(recent) >= rate.amount:
            at = recent[rate.amount - 1] + rate.duration
            opens = at if opens is None else max(opens, at)
    return opens


def account_lock_opens_at(*, key: str) -> dt.datetime | None:
    """When the account (or sign-in name) ``key`` opens again; None if it is not locked."""
    opens = _opens_at(HttpRequest(), action=LOGIN_FAILED, per="key", key=key)
    return None if opens is None else dt.datetime.fromtimestamp(opens, tz=dt.UTC)


def user_locked_until(*, user: Any) -> dt.datetime | None:
    """When ``user``'s account opens again after too many wrong passwords; None if open."""
    return account_lock_opens_at(key=account_key(user))


def users_locked_until(*, users: list[Any]) -> dict[int, dt.datetime]:
    """Which of ``users`` are locked out, and until when: one cache read for all of them."""
    request, now = HttpRequest(), time.time()
    rates = [r for r in allauth_ratelimit.get_rates(app=APP, action=LOGIN_FAILED) if r.per == "key"]
    wanted = {
        allauth_ratelimit.get_cache_key(
            request, app=APP, action=LOGIN_FAILED, rate=rate, key=account_key(user)
        ): (user.pk, rate)
        for user in users
        for rate in rates
    }
    found: dict[int, dt.datetime] = {}
    for cache_key, history in cache.get_many(list(wanted)).items():
        pk, rate = wanted[cache_key]
        recent = sorted((t for t in history if t > now - rate.duration), reverse=True)
        if len(recent) >= rate.amount:
            opens = dt.datetime.fromtimestamp(recent[rate.amount - 1] + rate.duration, tz=dt.UTC)
            found[pk] = max(found.get(pk, opens), opens)
    return found


def address_lock_opens_at(request: HttpRequest) -> dt.datetime | None:
    """When the client's address may try a password again; None if it may now."""
    opens = _opens_at(request, action=LOGIN_FAILED, per="ip", key=None)
    return None if opens is None else dt.datetime.fromtimestamp(opens, tz=dt.UTC)


def account_lock_clear(*, key: str) -> None:
    """Forget an account's failed sign-ins (its lock with them); its address counts stay."""
    request = HttpRequest()
    for rate in allauth_ratelimit.get_rates(app=APP, action=LOGIN_FAILED):
        if rate.per == "key":
            cache.delete(
                allauth_ratelimit.get_cache_key(
                    request, app=APP, action=LOGIN_FAILED, rate=rate, key=key
                )
            )


def clock_time(moment: dt.datetime) -> str:
    """A moment as the site's clock shows it: "15:42"."""
    return timezone.localtime(moment).strftime("%H:%M")


def limit_allows(request: HttpRequest, *, action: str, key: str | None = None) -> bool:
    """Count one attempt at ``action`` (a POST: allauth never counts a GET); False when a limit
    of it is used up."""
    return ratelimit.consume(request, action=action, key=key)
