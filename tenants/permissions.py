"""Small predicates: who may do what with members and memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import Member, Membership, Role

AnyUser = AbstractBaseUser | AnonymousUser


def is_consortium_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active) and user.has_perm(
        "tenants.administer_consortium"
    )


def is_researcher(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active) and user.has_perm(
        "tenants.access_research"
    )


def membership_of(user: AnyUser, member: Member) -> Membership | None:
    if not (user.is_authenticated and user.is_active) or member is None:
        return None
    return Membership.objects.filter(user=user, member=member).first()


def can_work_at(user: AnyUser, member: Member) -> bool:
    return membership_of(user, member) is not None


def can_manage_people(user: AnyUser, member: Member) -> bool:
    membership = membership_of(user, member)
    return membership is not None and membership.role == Role.MANAGER


def can_add_member(user: AnyUser) -> bool:
    return is_consortium_admin(user) and user.has_perm("tenants.add_member")
