"""Reads about members and memberships that carry rules (who may see which)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import AuditEntry, Member, MemberKind, Membership, Role, SignInHandoff
from .ordering import name_order

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account


def member_list_for_admin(*, search: str = "") -> QuerySet[Member]:
    """Every member organisation, with head counts. Consortium admins only (caller checks)."""
    members = Member.organisations.annotate(
        staff_count=Count("memberships", distinct=True),
        manager_count=Count("memberships", filter=Q(memberships__role=Role.MANAGER), distinct=True),
    ).prefetch_related("domains")
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(slug__icontains=search) | Q(district__icontains=search)
        )
    return members.order_by(*name_order("name"), "id")


def member_get_by_slug(*, slug: str) -> Member:
    return Member.organisations.get(slug=slug)


def memberships_of(*, user: Account) -> QuerySet[Membership]:
    """Where ``user`` may work: active members only, and no suspended membership."""
    return (
        Membership.objects.active()
        .filter(user=user, member__is_active=True, member__kind=MemberKind.MEMBER)
        .select_related("member")
        .prefetch_related("member__domains")
        .order_by(*name_order("member__name"), "id")
    )


def memberships_suspended_of(*, user: Account) -> QuerySet[Membership]:
    """Where ``user``'s access is suspended (the picker says so, rather than leave it out)."""
    return (
        Membership.objects.filter(
            user=user, suspended_at__isnull=False, member__is_active=True,
            member__kind=MemberKind.MEMBER,
        )
        .select_related("member")
        .order_by(*name_order("member__name"), "id")
    )  # fmt: skip


def team_of(*, member: Member) -> QuerySet[Membership]:
    """The people who work at ``member`` (the member's own site decides who asks)."""
    return (
        Membership.objects.filter(member=member, user__is_active=True)
        .select_related("user")
        .order_by("-role", "user__last_name", "user__first_name")
    )


def membership_get_for_member(*, member: Member, membership_id: int) -> Membership:
    """A membership of *this* member; another member's gives the same not-found as a missing one."""
    return Membership.objects.select_related("user", "member").get(pk=membership_id, member=member)


def audit_recent(*, member: Member | None = None, limit: int = 50) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if member is not None:
        entries = entries.filter(member_id=member.pk)
    return entries[:limit]


def api_token_exists(*, user: Account) -> bool:
    """Whether ``user`` has a personal API token (its key is shown only when made)."""
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user).exists()


def token_hash(token: str) -> str:
    """How a single-use ticket is kept: only its SHA-256, never the ticket itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def handoff_peek(*, token: str, member: Member | None) -> Account | None:
    """Whose account a ticket would sign in on ``member``'s site, without spending it (the
    page that asks the person to confirm shows the name). Wrong site or expired: ``None``."""
    handoff = (
        SignInHandoff.objects.filter(
            token_hash=token_hash(token), expires_at__gt=timezone.now(), member=member,
            user__is_active=True,
        ).select_related("user").first()
    )  # fmt: skip
    return handoff.user if handoff is not None else None


def other_active_managers(membership: Membership) -> int:
    """How many other managers of ``membership``'s member can still sign in (a member must
    keep one: demoting, removing or suspending the last is refused)."""
    return (
        Membership.objects.active()
        .filter(member_id=membership.member_id, role=Role.MANAGER, user__is_active=True)
        .exclude(pk=membership.pk)
        .count()
    )


def consortium_data_protection_leads() -> QuerySet[Any]:
    """The consortium's data protection leads (active accounts in their group)."""
    from django.contrib.auth import get_user_model

    from .roles import DATA_PROTECTION_LEADS

    return (
        get_user_model()
        .objects.filter(groups__name=DATA_PROTECTION_LEADS, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def account_find(*, username_or_email: str) -> Any:
    """An active account by username, else by e-mail (the oldest); None when there is none."""
    from django.contrib.auth import get_user_model

    accounts = get_user_model().objects.filter(is_active=True)
    text = username_or_email.strip()
    if not text:
        return None
    return (
        accounts.filter(username=text).first()
        or accounts.filter(email__iexact=text).order_by("pk").first()
    )
