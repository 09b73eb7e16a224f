"""API token sign-in, with a brake on guessing: an address that has presented too many wrong
tokens is refused (429) for a while before any token it sends is looked at.

The count is DRF's throttle machinery (``SimpleRateThrottle``: its rate, history and wait),
counting failures only, and by the client's real address (tenants.clientip); its key is
consortium-wide (tenants.cache), so one limit holds on every member's site and worker.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .clientip import client_address

TOO_MANY_WRONG_TOKENS = "Too many wrong API tokens from your address. Try again later."


class FailedTokenThrottle(SimpleRateThrottle):
    """Wrong tokens per address (settings.API_TOKEN_FAILURES). ``allow_request`` only asks;
    ``failure_record`` counts."""

    scope = "api_token_failed"
    cache_format = "commons:limit:api-token-failed:%(ident)s"

    def get_rate(self) -> str:
        return settings.API_TOKEN_FAILURES  # read now, not at import: a setting may change

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"ident": client_address(request)}

    def throttle_success(self) -> bool:
        return True  # asking is not a failure

    def failure_record(self, request: Any) -> None:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token sign-in, refusing an address with too many wrong tokens of late."""

    def authenticate(self, request: Request) -> Any:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: nothing to count
        throttle = FailedTokenThrottle()
        if not throttle.allow_request(request, None):
            raise exceptions.Throttled(wait=throttle.wait(), detail=TOO_MANY_WRONG_TOKENS)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.failure_record(request)
            raise
