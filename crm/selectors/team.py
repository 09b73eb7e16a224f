"""Reads about the people of the member whose site this is: the member itself, a colleague,
and who was granted sight of a restricted contact.

Tenant assumptions: the connection is on the member's schema (a request's, whose tenant is
the member, or a task's, which knows only the schema's name).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from guardian.models import UserObjectPermission

from crm.models import Contact
from tenants.models import Member
from tenants.selectors import team_of


def member_here() -> Member | None:
    """The member whose schema the connection is on, or None on the public schema."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Member):
        return tenant
    # A task entered the schema by name only (django-tenants' FakeTenant).
    return Member.organisations.filter(schema_name=getattr(connection, "schema_name", None)).first()


def colleague_get(*, member: Any, user_id: int) -> Any:
    """A user who works at ``member`` (the current site), or None."""
    membership = team_of(member=member).filter(user_id=user_id).first()
    return membership.user if membership else None


def restricted_access_of(*, contact: Contact, member: Any) -> list[tuple[Any, bool]]:
    """Each colleague at ``member``, and whether they may see restricted ``contact``."""
    granted = set(
        UserObjectPermission.objects.filter(
            object_pk=str(contact.pk),
            content_type__app_label="crm",
            content_type__model="contact",
            permission__codename="view_restricted_contact",
        ).values_list("user_id", flat=True)
    )
    return [(m.user, m.user_id in granted) for m in team_of(member=member)]
