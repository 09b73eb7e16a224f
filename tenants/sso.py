"""Single sign-on: a member's staff sign in with the member's own Microsoft 365 or Google
Workspace, through OpenID Connect (allauth's ``socialaccount`` with its ``openid_connect``
provider).

The rules, in one place:

* Each member has at most one provider (``MemberSignOn`` → an allauth ``SocialApp``), and a
  request only ever sees the provider of the member whose site it is for; the consortium's
  own site has none.
* A sign-in is mapped to an EXISTING account by an e-mail address the provider vouches for
  (``email_verified``; Microsoft's organisational accounts carry ``xms_edov`` instead). It
  never makes an account or a membership: someone who does not work at the member is told
  so, plainly.
* The second factor. allauth runs every login, a social one included, through the same
  login stages: its MFA stage asks for the person's TOTP or security key whenever they have
  one, whichever way they authenticated first. Commons keeps that rule (a sign-in through
  the provider is one factor, as a password is) unless the member says its provider already
  enforces a second factor (``Member.sso_enforces_mfa``): then a sign-in through that
  provider counts as having passed one, ``SignOnAuthenticateStage`` does not ask again, and
  ``sso_second_factor_passed`` tells the enrolment rule that this session needs none.
* Content-Security-Policy: allauth's provider sign-in is a form POST answered by a redirect
  to the provider; browsers may hold such a redirect to ``form-action``. ``SignOnCspMiddleware``
  sets ``request.csp_form_action_extra`` to the provider's origin on the member's
  ``/accounts/`` pages, for the CSP middleware to add.

Tenant assumptions: sign-on rows, allauth's apps and social accounts all live in the public
schema; the member is ``request.tenant``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import sso_services
from .models import Member, Membership, MemberSignOn, SignOnKind
from .sites import site_member

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialLogin


OPEN_PREFIX = "/accounts/"

REFUSED_NO_ONE = (
    "No one with that e-mail works at {member} on Commons; ask a manager to invite you."
)
REFUSED_UNVERIFIED = (
    "{provider} did not confirm that the e-mail address {email} is yours, so Commons cannot "
    "tell who you are. Ask whoever runs {provider} for your organisation to check it."
)
REFUSED_NO_EMAIL = (
    "{provider} did not tell Commons your e-mail address, so Commons cannot tell who you are. "
    "Ask whoever runs {provider} for your organisation to share it."
)


def sign_on_of(member: Member | None) -> MemberSignOn | None:
    """A member's single sign-on set-up, if it has one."""
    if member is None:
        return None
    return MemberSignOn.objects.select_related("app").filter(member=member).first()


_SIGN_ON = "_commons_sign_on"


def request_sign_on(request: HttpRequest | None) -> MemberSignOn | None:
    """The single sign-on set-up of the member whose site ``request`` is for, read once per
    request (the sign-in page asks several times: the CSP, the button, allauth's adapter)."""
    if request is None:
        return None
    if _SIGN_ON not in request.__dict__:
        request.__dict__[_SIGN_ON] = sign_on_of(site_member(request))
    return request.__dict__[_SIGN_ON]


def sign_on_label(sign_on: MemberSignOn) -> str:
    """What the button says after "Sign in with": the product, or the provider's own name."""
    if sign_on.kind == SignOnKind.OTHER:
        return sign_on.app.name
    return sign_on.get_kind_display()


def issuer_origin(issuer: str) -> str:
    """``https://login.microsoftonline.com`` from an issuer URL (scheme, host and port)."""
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}"


def _claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said, the ID token's claims under the user info's."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def address_vouched_for(sociallogin: SocialLogin, email: str, verified: bool) -> bool:
    """Whether the provider vouches that ``email`` is the person's: ``email_verified``, or
    for Microsoft 365 (whose organisational accounts never send it) the optional claim
    ``xms_edov``, "the e-mail's domain is owned by this tenant"."""
    if verified:
        return True
    link = getattr(sociallogin.provider.app, "member_sign_on", None)
    if link is None or link.kind != SignOnKind.MICROSOFT:
        return False
    claims = _claims(sociallogin)
    return claims.get("xms_edov") is True and (claims.get("email") or "").lower() == email.lower()


def _vouched_addresses(sociallogin: SocialLogin) -> list[str]:
    return [
        address.email
        for address in sociallogin.email_addresses
        if address_vouched_for(sociallogin, address.email, address.verified)
    ]


class SignOnAdapter(DefaultSocialAccountAdapter):
    """allauth's social accounts, seen from one member's site at a time."""

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        """Only the current member's provider: never another member's, never one from
        settings, none on the consortium site."""
        request = request or self.request
        sign_on = request_sign_on(request)
        if sign_on is None:
            return []
        app = sign_on.app
        if provider and provider not in (app.provider, app.provider_id):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """A sign-in through a provider never makes an account."""
        return False

    def can_authenticate_by_email(self, login: SocialLogin, email: str) -> bool:
        return True

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[Any, str] | None:
        """allauth's match by e-mail, counting Microsoft's ``xms_edov`` as vouching."""
        from allauth.account.internal.userkit import filter_users_by_email

        for email in _vouched_addresses(sociallogin):
            users = filter_users_by_email(email, is_active=True, for_login=True)
            if len(users) == 1:  # two accounts sharing an address: neither is "the" person
                return users[0], email
        return None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Refuse, in plain words, anyone the provider does not vouch for or who does not
        work at this member; otherwise note the link (the first time) in the audit log."""
        member = site_member(request)
        provider = sign_on_label(sign_on_of(member)) if member else sociallogin.provider.name
        emails = [address.email for address in sociallogin.email_addresses]
        vouched = _vouched_addresses(sociallogin)
        if not emails:
            self._refuse(request, member, "no_email", REFUSED_NO_EMAIL.format(provider=provider))
        if not vouched:
            message = REFUSED_UNVERIFIED.format(provider=provider, email=emails[0])
            self._refuse(request, member, "unverified", message, email=emails[0])
        # allauth has looked the person up already: by an earlier link to this provider, or
        # by a vouched e-mail address (authenticate_by_email below).
        user = sociallogin.user if sociallogin.is_existing else None
        works_here = (
            user is not None
            and user.is_active
            and member is not None
            and Membership.objects.filter(user=user, member=member).exists()
        )
        if not works_here:
            message = REFUSED_NO_ONE.format(member=member.name if member else "this site")
            self._refuse(request, member, "no_membership", message, email=vouched[0])
        matched_email = getattr(sociallogin, "_did_authenticate_by_email", None)
        if matched_email:
            sso_services.sign_on_account_link(
                member=member, user=user, email=matched_email, acting_user=user
            )

    def _refuse(
        self, request: HttpRequest, member: Member | None, reason: str, message: str,
        email: str = "",
    ) -> None:  # fmt: skip
        sso_services.sign_on_refusal_record(
            member=member, reason=reason, email=email, acting_user=None
        )
        response = render(
            request, "tenants/sso_refused.html", {"message": message, "member": member},
            status=403,
        )  # fmt: skip
        raise ImmediateHttpResponse(response)


def _login_was_through_provider(login: Any) -> bool:
    return bool((login.signal_kwargs or {}).get("sociallogin"))


def provider_enforces_mfa(member: Member | None) -> bool:
    """Whether a sign-in through this member's provider counts as a second factor."""
    return bool(member is not None and member.sso_enforces_mfa and sign_on_of(member))


class SignOnAuthenticateStage(AuthenticateStage):
    """allauth's second-factor stage, skipped only for a sign-in through the provider of a
    member that says its provider enforces a second factor."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if _login_was_through_provider(self.login) and provider_enforces_mfa(site_member(request)):
            return False
        return super()._should_handle(request)


def sso_second_factor_passed(request: HttpRequest) -> bool:
    """Whether this session's sign-in counts as a second factor: it came through the
    current member's own provider, and the member says that provider enforces one.

    For the "must have a second factor" rule: such a session needs no enrolment."""
    member = site_member(request)
    sign_on = request_sign_on(request)
    if member is None or not member.sso_enforces_mfa or sign_on is None:
        return False
    app = sign_on.app
    methods = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    return any(
        entry.get("method") == "socialaccount" and entry.get("provider") == app.provider_id
        for entry in methods
    )


class SignOnCspMiddleware:
    """On a member's ``/accounts/`` pages, when it has single sign-on: the provider's origin,
    for the Content-Security-Policy's ``form-action`` (``request.csp_form_action_extra``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(OPEN_PREFIX):
            sign_on = request_sign_on(request)
            if sign_on is not None:
                request.csp_form_action_extra = [
                    issuer_origin(sign_on.app.settings.get("server_url", ""))
                ]
        return self.get_response(request)
