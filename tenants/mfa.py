"""The second factor: who must have one, whether this session passed one, and the guide that
sends someone who must enrol to do so before anything else.

allauth.mfa does the work (authenticator apps, recovery codes, passkeys; the code step at
sign-in). Commons adds the rule of who must have one (``second_factor_required``), the
middleware that enforces it, the audit rows, and the hand-over between sites carrying the
second factor across (tenants.services.handoff_issue / handoff_redeem).

Tenant assumptions: accounts, memberships and authenticators live on the public schema,
reachable from any schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from allauth.account.authentication import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    get_authentication_records,
)
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa import signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .audit import audit_record
from .models import Member, Membership, Role
from .permissions import (
    AnyUser,
    is_consortium_admin,
    is_consortium_data_protection_lead,
    is_researcher,
    is_signed_in,
)
from .sites import site_member

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

# What counts as a second factor. Recovery codes come with one and stand in for it when the
# device is lost; on their own they are not one (allauth's code step asks only for these).
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

# What someone who must set up a second factor may still reach: allauth's second-factor pages
# (and the password check they ask for first), signing out, the page that explains, the
# hand-over between sites, static files and the health check. Everything else waits.
ENROLMENT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/second-factor/",
    "/accounts/handoff/",
    "/static/",
    "/healthz",
)
ENROL_FIRST = (
    "Your account needs a second factor before you can carry on: set up an authenticator "
    "app (or a passkey) first."
)
LAST_SECOND_FACTOR = (
    "Your account needs a second factor, so your last one cannot be removed. Add another "
    "first (for example a passkey), then remove this one."
)


def has_second_factor(user: AnyUser | None) -> bool:
    """Whether ``user`` has an authenticator app or a passkey (recovery codes alone: no)."""
    if user is None or not user.is_authenticated:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


def users_with_second_factor(*, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` have a second factor (for lists of people)."""
    return set(
        Authenticator.objects.filter(user_id__in=user_ids, type__in=SECOND_FACTOR_TYPES)
        .values_list("user_id", flat=True)
        .distinct()
    )


def second_factor_required(
    user: AnyUser | None, member: Member | None, *, membership: Membership | None = None
) -> bool:
    """Whether ``user`` must have a second factor to work on ``member``'s site (``None``: the
    consortium site).

    Consortium admins, researchers, consortium data protection leads and the managers of any
    member always must: their password alone opens other people's records (or says who holds
    whom), wherever they sign in. Staff must where the
    member they work at asks it of its staff (``Member.staff_second_factor_required``); the
    hand-over never carries them past that member's door without one.

    ``membership``: the user's membership at ``member`` when the caller has it already (the
    middleware, on every request), which spares a query for managers and required staff.
    """
    if not is_signed_in(user):
        return False
    here = membership is not None and member is not None and membership.member_id == member.pk
    if here and (membership.role == Role.MANAGER or member.staff_second_factor_required):
        return True
    if is_consortium_admin(user) or is_researcher(user) or is_consortium_data_protection_lead(user):
        return True
    rule = Q(role=Role.MANAGER)
    if member is not None:
        rule |= Q(member=member, member__staff_second_factor_required=True)
    return Membership.objects.filter(rule, user_id=user.pk, member__is_active=True).exists()


def session_second_factor(request: HttpRequest) -> dict[str, Any] | None:
    """allauth's record of the latest second factor this session passed (at sign-in, or
    when asked again), or ``None``: ``{"id", "type", "at"}``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    for record in reversed(get_authentication_records(request, user)):
        if record.get("method") == "mfa":
            return {key: record[key] for key in ("id", "type", "at") if key in record}
    return None


def session_second_factor_record(
    request: HttpRequest, user: Account, second_factor: dict[str, Any]
) -> None:
    """Record in this session (as allauth does after the code step) that ``user`` passed
    ``second_factor``, keeping the time it was passed: a hand-over makes the receiving site's
    session as good as the issuing one's, never fresher."""
    record_authentication(
        request, user, "mfa", id=second_factor.get("id"), type=second_factor.get("type")
    )
    if "at" in second_factor:
        records = request.session[AUTHENTICATION_METHODS_SESSION_KEY]
        records[-1]["at"] = second_factor["at"]
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = records


def enrolment_url() -> str:
    return reverse("mfa_required")


class SecondFactorMiddleware:
    """A signed-in person who must have a second factor (``second_factor_required``) and has
    none reaches only the enrolment pages (``ENROLMENT_PREFIXES``) until they set one up.

    Pages send them to the page that explains why; htmx requests get a 403 that tells htmx
    to go there (``HX-Redirect``); the API a 403 in JSON. Placed last, after
    ``MembershipMiddleware``: someone with no place on this site is refused there first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path_info.startswith(ENROLMENT_PREFIXES)
            or not second_factor_required(
                user, site_member(request), membership=getattr(request, "membership", None)
            )
            or has_second_factor(user)
            or _signed_in_through_enforcing_provider(request)
        ):
            return self.get_response(request)
        return self.refusal(request)

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse:
        url = enrolment_url()
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": ENROL_FIRST}, status=403)
        if getattr(request, "htmx", False):
            return HttpResponse(ENROL_FIRST, status=403, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


def _signed_in_through_enforcing_provider(request: HttpRequest) -> bool:
    """This session signed in through the member's own provider, which the member says
    enforces a second factor (tenants.sso): that counts as one, so no enrolment is asked."""
    from .sso import sso_second_factor_passed  # sso builds on this module

    return sso_second_factor_passed(request)


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa as Commons needs it: someone who must have a second factor cannot remove
    their last one (a consortium admin's reset is the way out of a lost device)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": LAST_SECOND_FACTOR,
        "incorrect_code": "That code is not right, or it has been used already. Check the "
        "app (or your recovery codes) and try the latest code.",
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in SECOND_FACTOR_TYPES:
            return True
        request = context.request
        user = authenticator.user
        others = (
            Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES)
            .exclude(pk=authenticator.pk)
            .exists()
        )
        return others or not second_factor_required(user, site_member(request))


# --- audit rows from allauth's signals (connected in tenants.apps) -----------------------


def _audit(action: str, request: HttpRequest | None, user: Account, authenticator, **extra):
    actor = getattr(request, "user", None)
    audit_record(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else user,
        member=site_member(request),
        target=user.get_username(),
        user_id=user.pk,
        kind=getattr(authenticator, "type", ""),
        **extra,
    )


def on_authenticator_added(sender, request, user, authenticator, **kwargs: Any) -> None:
    _audit("mfa.added", request, user, authenticator)
    # Enrolling meant entering a code from the new app (or using the new key): this session
    # has just passed it, as a sign-in would have.
    if (
        request is not None
        and authenticator.type in SECOND_FACTOR_TYPES
        and getattr(request, "user", None) is not None
        and request.user.pk == user.pk
    ):
        session_second_factor_record(
            request, user, {"id": authenticator.pk, "type": authenticator.type}
        )
        # allauth sends this once the enrolment has committed, which may be after the
        # response has saved the session: save it here so the record is never lost.
        request.session.save()


def on_authenticator_removed(sender, request, user, authenticator=None, **kwargs: Any) -> None:
    _audit("mfa.removed", request, user, authenticator)


def on_authenticator_reset(sender, request, user, authenticator=None, **kwargs: Any) -> None:
    # Recovery codes made anew: the old ones stop working.
    _audit("mfa.added", request, user, authenticator, replaced=True)


def receivers_connect() -> None:
    signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="commons-mfa-add")
    signals.authenticator_removed.connect(on_authenticator_removed, dispatch_uid="commons-mfa-rm")
    signals.authenticator_reset.connect(on_authenticator_reset, dispatch_uid="commons-mfa-reset")
