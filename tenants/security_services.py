"""Writes of security events to the audit log: signing in, failing to, and API token use.

The receivers in :mod:`tenants.security` call these; each row names the site it happened on
(``member``: the member's own site, or ``None`` for the consortium site) and the client's
address as :func:`tenants.clientip.client_address` sees it.

Tenant assumptions: the audit log lives in the public schema, reachable from any schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction

from .audit import audit_record
from .models import AuditEntry, Member
from .security_selectors import account_for_attempt
from .selectors import token_hash

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

# A failed sign-in keeps this much of the name typed (an attacker's name is not worth more).
ATTEMPTED_NAME_LENGTH = 60
# At most one "API token used" row per token in this many seconds: a script calling the API
# every second would otherwise flood the log.
API_TOKEN_USE_INTERVAL = 60 * 60
# Under a consortium-wide prefix (tenants.cache): a token used on two members' sites within
# the hour is one row, not one per site.
API_TOKEN_USE_KEY = "commons:limit:api-token-used:{digest}"  # noqa: S105 - a cache key


@transaction.atomic
def sign_in_record(
    *, acting_user: Account, member: Member | None, address: str, how: str = ""
) -> AuditEntry:
    """Record that ``acting_user`` signed in on ``member``'s site (or the consortium's)."""
    return audit_record(
        action="account.signed_in",
        actor=acting_user,
        member=member,
        target=acting_user.get_username(),
        user_id=acting_user.pk,
        address=address,
        how=how,
    )


@transaction.atomic
def sign_in_failure_record(
    *, acting_user: Account | None, attempted: str, member: Member | None, address: str
) -> AuditEntry:
    """Record a failed sign-in: against the account when the name typed is one, otherwise
    with the name as typed (cut short). Never the password; the visitor is unknown, so there
    is no actor."""
    account = account_for_attempt(attempted)
    if account is not None:
        return audit_record(
            action="account.sign_in_failed", actor=None, member=member,
            target=account.get_username(), user_id=account.pk, address=address,
        )  # fmt: skip
    return audit_record(
        action="account.sign_in_failed", actor=None, member=member,
        target=attempted[:ATTEMPTED_NAME_LENGTH], user_id=None, address=address,
    )  # fmt: skip


def api_token_use_record(
    *, acting_user: Account, token_key: str, member: Member | None, address: str
) -> AuditEntry | None:
    """Record that ``acting_user``'s API token was used, at most once an hour per token
    (``None`` when it was already recorded within the hour). Only a hash of the token
    reaches the cache; the token itself is never logged."""
    digest = token_hash(token_key)[:32]
    if not cache.add(API_TOKEN_USE_KEY.format(digest=digest), 1, API_TOKEN_USE_INTERVAL):
        return None
    with transaction.atomic():
        return audit_record(
            action="api_token.used", actor=acting_user, member=member,
            target=acting_user.get_username(), user_id=acting_user.pk, address=address,
        )  # fmt: skip
