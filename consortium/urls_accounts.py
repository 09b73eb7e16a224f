"""The account pages under /accounts/: allauth's, less what Commons does not offer.

Accounts are made by invitation, so there is no sign-up and no e-mail confirmation; a
person's e-mail address is kept by their managers (it is how they are invited, found and
matched to single sign-on), so there is no page to change it; and allauth's old ``social/``
addresses, kept by it only for backward compatibility, are not served.
"""

from __future__ import annotations

from allauth import urls as allauth_urls
from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from tenants import session_views

WITHHELD_NAMES = {
    "account_signup",
    "account_email",
    "account_confirm_email",
    "account_email_verification_sent",
    "socialaccount_signup",
    # Commons' own page lists each session's device and site, and ends one or all others.
    "usersessions_list",
}
# allauth pages anyone may see: they answer a visitor who is not signed in, by design.
PUBLIC_NAMES = {"socialaccount_login_error", "socialaccount_login_cancelled"}
LEGACY_PREFIX = "social/"


def _kept(patterns: list) -> list:
    kept: list = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            entry.url_patterns[:] = _kept(entry.url_patterns)
            kept.append(entry)
        elif isinstance(entry, URLPattern):
            if entry.name in WITHHELD_NAMES or str(entry.pattern).startswith(LEGACY_PREFIX):
                continue
            if entry.name in PUBLIC_NAMES:
                entry.callback = login_not_required(entry.callback)
            kept.append(entry)
    return kept


urlpatterns = [
    path("sessions/", session_views.sessions_list, name="usersessions_list"),
    path("sessions/others/end/", session_views.sessions_end_others, name="usersessions_end_others"),
    path("sessions/<int:session_id>/end/", session_views.session_end, name="usersession_end"),
    *_kept(list(allauth_urls.urlpatterns)),
]
