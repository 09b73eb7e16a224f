"""Keeping sessions honest on every request: idle ones end, and each notes its site once.

Sits after allauth's ``UserSessionsMiddleware`` (which records the session, its address and
when it was last seen) and django-htmx's middleware, before ``MembershipMiddleware``: a session
that has just ended must not be let into a member's site.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from .permissions import is_consortium_admin
from .session_services import REASON_IDLE, session_site_record, user_sessions_end
from .sites import site_member

# In the Django session: when its owner last did anything (seconds since the epoch), and the
# session key whose site has been noted.
LAST_ACTIVITY = "commons_last_activity"
SITE_NOTED = "commons_site_noted"
# Activity is written at most this often, so an active session is not saved on every request.
ACTIVITY_GRANULARITY_SECONDS = 60
IDLE_SIGNED_OUT = "You were signed out after {minutes} minutes without activity."


def idle_minutes(user) -> int:
    """How long ``user`` may leave a session idle: shorter for consortium admins, whose
    password opens every member's sharing settings."""
    if is_consortium_admin(user):
        return settings.COMMONS_ADMIN_IDLE_MINUTES
    return settings.COMMONS_IDLE_MINUTES


class SessionActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated:
            refused = self._idle_check(request, user, session)
            if refused is not None:
                return refused
        response = self.get_response(request)
        self._site_note(request)
        return response

    def _idle_check(self, request: HttpRequest, user, session) -> HttpResponse | None:
        now = timezone.now().timestamp()
        last = session.get(LAST_ACTIVITY)
        minutes = idle_minutes(user)
        if isinstance(last, int | float) and now - last > minutes * 60:
            row = UserSession.objects.filter(session_key=session.session_key).first()
            if row is not None:
                user_sessions_end(
                    user=user, acting_user=None, session_id=row.pk,
                    reason=REASON_IDLE.format(minutes=minutes),
                )  # fmt: skip
            logout(request)
            if request.path_info.startswith("/api/"):
                # The API answers for itself, now to a visitor (a token may still sign in).
                return None
            messages.info(request, IDLE_SIGNED_OUT.format(minutes=minutes))
            target = redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target["Location"])
            return target
        if not isinstance(last, int | float) or now - last >= ACTIVITY_GRANULARITY_SECONDS:
            session[LAST_ACTIVITY] = int(now)
        return None

    @staticmethod
    def _site_note(request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return
        key = session.session_key
        if not key or session.get(SITE_NOTED) == key:
            return
        member = site_member(request)
        if session_site_record(session_key=key, member=member, acting_user=user):
            session[SITE_NOTED] = key
