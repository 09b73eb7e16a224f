"""Security events from Django's and DRF's doors into the audit log.

Connected in :meth:`tenants.apps.TenantsConfig.ready`: a sign-in (any way in: password,
second factor, passkey, single sign-on, the hand-over between sites) and a failed sign-in
are recorded through :mod:`tenants.security_services`; API token use is recorded by
:class:`AuditedTokenAuthentication`. Lockouts, second-factor changes, ended sessions,
invitations and suspensions are recorded by the services that do them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication

from . import security_services
from .clientip import client_address
from .sites import site_member

# allauth's session key for how this session was authenticated (password, mfa, socialaccount).
AUTHENTICATION_METHODS_KEY = "account_authentication_methods"


def _address(request: HttpRequest | None) -> str:
    return client_address(request) if isinstance(request, HttpRequest) else ""


def _how(request: HttpRequest | None) -> str:
    if not isinstance(request, HttpRequest):
        return ""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "handoff":
        return "hand-over"
    session = getattr(request, "session", None)
    records = session.get(AUTHENTICATION_METHODS_KEY) if session is not None else None
    if isinstance(records, list) and records and isinstance(records[-1], dict):
        return str(records[-1].get("method", ""))[:30]
    return ""


def signed_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any) -> None:
    """``user_logged_in``: one "Signed in" row, on the site signed into."""
    if user is None or getattr(user, "pk", None) is None:
        return
    security_services.sign_in_record(
        acting_user=user, member=site_member(request), address=_address(request),
        how=_how(request),
    )  # fmt: skip


def sign_in_failed(
    sender: Any, credentials: dict | None = None, request: HttpRequest | None = None, **_: Any
) -> None:
    """``user_login_failed``: the name typed (never the password, which Django has already
    masked in ``credentials``)."""
    credentials = credentials or {}
    attempted = next(
        (str(credentials[key]) for key in ("username", "email", "login") if credentials.get(key)),
        "",
    )
    security_services.sign_in_failure_record(
        acting_user=None, attempted=attempted.strip(), member=site_member(request),
        address=_address(request),
    )  # fmt: skip


class AuditedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, recording each token's use (at most hourly per token);
    tenants.api_auth adds the brake on wrong tokens."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user, token = result
            django_request = getattr(request, "_request", request)
            security_services.api_token_use_record(
                acting_user=user, token_key=token.key, member=site_member(django_request),
                address=_address(django_request),
            )  # fmt: skip
        return result


def receivers_connect() -> None:
    """Connect the sign-in receivers (once; ``dispatch_uid`` keeps a reload from doubling)."""
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    user_logged_in.connect(signed_in, dispatch_uid="tenants.security.signed_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="tenants.security.sign_in_failed")
