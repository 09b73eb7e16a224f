"""How allauth treats Commons' accounts: made by invitation, never by signing up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Nobody signs themselves up: a manager or a consortium admin invites them."""
        return False

    def get_login_stages(self) -> list[str]:
        """allauth's stages; its second-factor stage knows single sign-on's rule (tenants.sso)."""
        stages = super().get_login_stages()
        return [
            "tenants.sso.SignOnAuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in stages
        ]
