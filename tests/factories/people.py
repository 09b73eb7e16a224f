"""People: users, with a membership at a member in a role if asked."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from tenants.models import Member, Membership, Role
from tenants.services import membership_add
from tests.conftest import PASSWORD

from .base import ServiceFactory


def manager_of(member: Member) -> Any:
    """The member's first manager: who signs, proposes and books for it in a test."""
    membership = (
        Membership.objects.filter(member=member, role=Role.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise LookupError(f"{member} has no manager to act for it")
    return membership.user


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in with ``PASSWORD``; ``UserFactory(member=m, role=Role.MANAGER)``
    also makes them a manager at ``m`` (through ``membership_add``, audited)."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"person-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    member = None
    role = Role.STAFF

    @classmethod
    def _create(cls, model_class, *args: Any, member: Member | None = None, role: str = Role.STAFF,
                **fields: Any) -> Any:  # fmt: skip
        user = model_class.objects.create_user(password=PASSWORD, **fields)
        if member is not None:
            membership_add(user=user, member=member, role=role)
        return user


class MembershipFactory(ServiceFactory):
    """A membership made by ``membership_add`` (it refuses a second one and audits)."""

    class Meta:
        model = Membership

    service = staticmethod(membership_add)
    user = factory.SubFactory(UserFactory)
    member = None
    role = Role.STAFF
    acting_user = None
