"""Small predicates: who may do what with members and memberships; and the view decorators
built on them.

A predicate answers for anyone, ``None`` included (a service called without an acting user
is refused, never waved through). Views use a decorator where the check can come first, and
``permission_require`` where a lookup must answer "not found" before "not allowed".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Member, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    AnyUser: TypeAlias = User | AnonymousUser
else:
    AnyUser = AbstractBaseUser | AnonymousUser

View: TypeAlias = Callable[..., HttpResponse]


def is_signed_in(user: AnyUser | None) -> bool:
    """An active account that has signed in (an anonymous visitor or no user at all is not)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def _signed_in_with(user: AnyUser | None, permission: str) -> bool:
    return user is not None and is_signed_in(user) and user.has_perm(permission)


def is_consortium_admin(user: AnyUser | None) -> bool:
    return _signed_in_with(user, "tenants.administer_consortium")


def is_researcher(user: AnyUser | None) -> bool:
    return _signed_in_with(user, "tenants.access_research")


def is_consortium_data_protection_lead(user: AnyUser | None) -> bool:
    """The consortium's own data protection lead: routes people's requests across members
    without seeing their records (issue 14)."""
    return _signed_in_with(user, "tenants.lead_data_protection")


def membership_of(user: AnyUser | None, member: Member | None) -> Membership | None:
    if member is None or isinstance(user, AnonymousUser) or not is_signed_in(user):
        return None
    return Membership.objects.active().filter(user=user, member=member).first()


def can_work_at(user: AnyUser | None, member: Member | None) -> bool:
    return membership_of(user, member) is not None


def is_manager_of(user: AnyUser | None, member: Member | None) -> bool:
    """A manager at ``member``: the role that invites colleagues and signs agreements."""
    membership = membership_of(user, member)
    return membership is not None and membership.role == Role.MANAGER


def is_data_protection_lead_of(user: AnyUser | None, member: Member | None) -> bool:
    """A data protection lead at ``member``: answers people's rights requests there."""
    membership = membership_of(user, member)
    return membership is not None and membership.is_data_protection_lead


def is_manager_or_lead_of(
    user: AnyUser | None, member: Member | None, *, membership: Membership | None = None
) -> bool:
    """A manager or a data protection lead at ``member`` (who sees its people's-rights pages).
    ``membership``: the user's membership there when the caller has it already (the
    request's, set by the membership middleware), which spares a query on every page."""
    if (
        membership is None
        or member is None
        or membership.member_id != member.pk
        or membership.user_id != getattr(user, "pk", None)
        or membership.is_suspended
    ):
        membership = membership_of(user, member)
    return membership is not None and (
        membership.role == Role.MANAGER or membership.is_data_protection_lead
    )


def can_manage_people(user: AnyUser | None, member: Member | None) -> bool:
    return is_manager_of(user, member)


def can_add_member(user: AnyUser | None) -> bool:
    return is_consortium_admin(user) and _signed_in_with(user, "tenants.add_member")


def can_unlock_account(user: AnyUser | None, account: Any, member: Member | None) -> bool:
    """Consortium admins unlock anyone; a member's managers unlock the people who work at
    that member, but not a consortium admin's account (whose password opens every member)."""
    if is_consortium_admin(user):
        return True
    return (
        member is not None
        and is_manager_of(user, member)
        and Membership.objects.filter(user=account, member=member).exists()
        and not is_consortium_admin(account)
    )


def can_view_security_events(user: AnyUser | None, member: Member | None) -> bool:
    """On a member's site (``member``): its managers. On the consortium site: its admins."""
    return is_manager_of(user, member) if member is not None else is_consortium_admin(user)


# --- for views ------------------------------------------------------------------------------


def permission_require(allowed: bool, message: str = "") -> None:
    """Refuse (403) unless ``allowed``: for a check that must follow a lookup's 404."""
    if not allowed:
        raise PermissionDenied(message)


def request_passes(test: Callable[[HttpRequest], bool]) -> Callable[[View], View]:
    """A view decorator: 403 unless ``test(request)``. Put it under ``login_required`` so
    that an anonymous visitor is sent to sign in rather than refused."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            permission_require(test(request))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


consortium_admin_required = request_passes(lambda request: is_consortium_admin(request.user))
member_adder_required = request_passes(lambda request: can_add_member(request.user))
