"""Unlocking an account locked by wrong passwords: from a member's people page (its managers)
or from a member's page on the consortium site (consortium admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from . import limit_services, limits, selectors
from .models import Member, Membership
from .permissions import consortium_admin_required, permission_require


def _membership(member: Member, membership_id: int) -> Membership:
    try:
        return selectors.membership_get_for_member(member=member, membership_id=membership_id)
    except Membership.DoesNotExist as exc:
        raise Http404("Nobody with that account works here.") from exc


def _unlock(request: HttpRequest, membership: Membership, member: Member) -> None:
    user = membership.user
    name = user.get_full_name() or user.username
    try:
        limit_services.account_unlock(user=user, acting_user=request.user, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{name}'s account is open again: they can sign in now.")


@require_POST
def team_unlock(request: HttpRequest, membership_id: int) -> HttpResponse:
    """A manager opens a colleague's locked account (the member's own site)."""
    membership = _membership(request.tenant, membership_id)  # not found before not allowed
    permission_require(
        limit_services.can_unlock_account(request.user, membership.user, request.tenant),
        limit_services.NOT_YOURS,
    )
    _unlock(request, membership, request.tenant)
    return redirect("team")


@login_required
@require_POST
@consortium_admin_required
def member_unlock(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    """A consortium admin opens the locked account of someone at any member."""
    try:
        member = selectors.member_get_by_slug(slug=slug)
    except Member.DoesNotExist as exc:
        raise Http404("No such member.") from exc
    _unlock(request, _membership(member, membership_id), member)
    return redirect("member_detail", slug=member.slug)


def team_locks(team: list[Membership]) -> list[Membership]:
    """``team`` with each locked person's opening time as ``locked_until`` ("15:42")."""
    locked = limits.users_locked_until(users=[ms.user for ms in team])
    for ms in team:
        opens = locked.get(ms.user_id)
        ms.locked_until = limits.clock_time(opens) if opens else ""
    return team
