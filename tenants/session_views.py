"""Your sessions: every browser you are signed in on, on every site, and ending them.

Served under allauth's own URL name (``usersessions_list``), so allauth's menus lead here.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from . import session_selectors as selectors
from . import session_services as services
from .confirm import confirmation_page

ACCOUNT_FRAME = "allauth/layouts/base.html"
ENDED_ONE = "That session has ended: that browser is signed out."
ENDED_OTHERS = "Your other sessions have ended: {count} signed out."
NONE_OTHER = "You had no other sessions to end."
ENDED_THIS = "This session has ended: you are signed out."


@login_required
def sessions_list(request: HttpRequest) -> HttpResponse:
    sessions = selectors.user_sessions_list(
        user=request.user, current_key=request.session.session_key
    )
    return render(
        request, "tenants/sessions.html",
        {"sessions": sessions, "others": sum(1 for s in sessions if not s.is_current)},
    )  # fmt: skip


@login_required
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.user_session_get_for_user(
        user=request.user, session_id=session_id, current_key=request.session.session_key
    )
    back = reverse("usersessions_list")
    consequences = [
        f"{session.device} on {session.site} (address {session.address}) is signed out at once.",
        "Anyone using it must sign in again to carry on.",
    ]
    if session.is_current:
        consequences[0] = "This browser, the one you are using now, is signed out at once."
    page = confirmation_page(
        request, title="End this session?", consequences=consequences,
        button="Sign out of this session" if session.is_current else "End this session",
        back=back, back_label="Keep it", base_template=ACCOUNT_FRAME,
    )  # fmt: skip
    if page is not None:
        return page
    services.user_sessions_end(
        user=request.user, acting_user=request.user, session_id=session.id,
        reason=services.REASON_BY_OWNER,
    )  # fmt: skip
    if session.is_current:
        logout(request)
        messages.success(request, ENDED_THIS)
        return redirect(settings.LOGIN_URL)
    messages.success(request, ENDED_ONE)
    return redirect(back)


@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    back = reverse("usersessions_list")
    page = confirmation_page(
        request, title="End all your other sessions?",
        consequences=[
            "Every other browser signed in as you, on this site and every other Commons site, "
            "is signed out at once.",
            "This browser stays signed in.",
        ],
        button="End all other sessions", back=back, back_label="Keep them",
        base_template=ACCOUNT_FRAME,
    )  # fmt: skip
    if page is not None:
        return page
    count = services.user_sessions_end(
        user=request.user, acting_user=request.user, keep=request.session.session_key,
        reason=services.REASON_OTHERS_BY_OWNER,
    )  # fmt: skip
    messages.success(request, ENDED_OTHERS.format(count=count) if count else NONE_OTHER)
    return redirect(back)
