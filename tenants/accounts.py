"""How allauth treats Commons' accounts: made by invitation, never by signing up; failed
sign-ins counted by the account, and a locked account told so in plain words."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpRequest

from . import limits


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Nobody signs themselves up: a manager or a consortium admin invites them."""
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address (tenants.clientip). A forwarded header shorter than the trusted
        proxy count, or none usable, counts by the connection's own address: allauth would
        raise, and its rate limits would answer a hostile header with a server error."""
        try:
            return super().get_client_ip(request)
        except (ImproperlyConfigured, PermissionDenied):
            return request.META.get("REMOTE_ADDR") or "unknown"

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth counts failed sign-ins by site and typed name; Commons by the account, so
        its ten tries hold on every member's site and for its username and e-mail alike.
        (allauth's one seam for this; a successful password reset clears the same key.)"""
        return limits.login_key(**credentials)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            opens = limits.account_lock_opens_at(key=limits.login_key(**credentials))
            if opens is not None:
                raise ValidationError(
                    limits.ACCOUNT_LOCKED.format(time=limits.clock_time(opens)),
                    code="account_locked",
                ) from None
            opens = limits.address_lock_opens_at(request)
            if opens is not None:
                raise ValidationError(
                    limits.ADDRESS_LOCKED.format(time=limits.clock_time(opens)),
                    code="address_locked",
                ) from None
            raise

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        """A right password forgets the account's earlier wrong ones (its address's count
        stays: someone signing in to their own account must not wipe an attack's tally)."""
        user = super().authenticate(request, **credentials)
        if user is not None:
            limits.account_lock_clear(key=limits.account_key(user))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        """The wrong password that uses up an account's tries locks it: recorded once, here
        (later tries are refused before any password is checked)."""
        from .limit_services import account_lock_record
        from .sites import site_member

        user = limits.login_user(**credentials)
        if user is None:
            return
        opens = limits.user_locked_until(user=user)
        if opens is not None:
            account_lock_record(
                user=user, opens=opens, address=self.get_client_ip(request),
                member=site_member(request), acting_user=None,
            )  # fmt: skip

    def get_login_stages(self) -> list[str]:
        """allauth's stages; its second-factor stage knows single sign-on's rule (tenants.sso)."""
        stages = super().get_login_stages()
        return [
            "tenants.sso.SignOnAuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in stages
        ]
