"""Small predicates: who may do what in a member's CRM, and view decorators built on them.

Roles come from tenants.permissions (membership and Role); who may see which contact or
interaction from crm.selectors' doors, so each rule is decided in one place. Tenant
assumptions: the connection is on the member's schema, and "here" is its member.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from tenants.permissions import AnyUser, can_manage_people, is_data_protection_lead_of

from .models import Contact, Interaction
from .selectors import (
    contact_get_for_user,
    contacts_visible_to,
    interactions_visible_to,
    member_here,
)

View = Callable[..., HttpResponse]


def is_manager_here(user: AnyUser) -> bool:
    """A manager of the member whose site (or task) this is."""
    member = member_here()
    return member is not None and can_manage_people(user, member)


def can_set_legal_hold(user: AnyUser) -> bool:
    """Managers and data protection leads of this member place and lift legal holds."""
    member = member_here()
    return member is not None and (
        can_manage_people(user, member) or is_data_protection_lead_of(user, member)
    )


def can_see_contact(user: AnyUser, contact: Contact) -> bool:
    """Whether ``contact`` exists for ``user``: restricted contacts only for those granted."""
    return contacts_visible_to(user=user).filter(pk=contact.pk).exists()


def can_see_contacts(user: AnyUser, contacts: Iterable[Contact]) -> bool:
    """Whether every one of ``contacts`` exists for ``user`` (none at all: yes)."""
    ids = [c.pk for c in contacts]
    return not ids or contacts_visible_to(user=user).filter(pk__in=ids).count() == len(ids)


def can_grant_restricted_access(user: AnyUser, contact: Contact) -> bool:
    """Managers decide which colleagues may see a restricted contact, among those they see."""
    return is_manager_here(user) and can_see_contact(user, contact)


def can_change_interaction(user: AnyUser, interaction: Interaction) -> bool:
    """Only someone who may see every contact on an interaction may change or delete it."""
    return interactions_visible_to(user=user).filter(pk=interaction.pk).exists()


def contact_permission_required(
    predicate: Callable[[AnyUser, Contact], bool],
) -> Callable[[View], View]:
    """For a view of one contact (``contact_id`` in the URL): a contact the user may not see
    answers 404, exactly like a missing id (not found before not allowed); then the site's
    403 page unless ``predicate(user, contact)``. The view is given the contact as
    ``contact``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(
            request: HttpRequest, *args: Any, contact_id: int, **kwargs: Any
        ) -> HttpResponse:
            try:
                contact = contact_get_for_user(user=request.user, contact_id=contact_id)
            except Contact.DoesNotExist as exc:
                raise Http404 from exc
            if not predicate(request.user, contact):
                raise PermissionDenied
            return view(request, *args, contact=contact, **kwargs)

        return wrapped

    return decorator
