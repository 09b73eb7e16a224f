"""Writes to contacts' roles at organisations (trustee, chair, volunteer...).

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crm.changes import SAVED, announce
from crm.models import Contact, ContactRole, Organisation


@transaction.atomic
def role_add(
    *, contact: Contact, organisation: Organisation, role: str, acting_user: Any, **dates: Any
) -> ContactRole:
    item = ContactRole(contact=contact, organisation=organisation, role=role, **dates)
    item.full_clean()
    item.save()
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return item


@transaction.atomic
def role_update(*, role: ContactRole, acting_user: Any, **changes: Any) -> ContactRole:
    """Change a role; both the old and the new contact are announced."""
    before = role.contact_id
    for field, value in changes.items():
        setattr(role, field, value)
    role.full_clean()
    role.save()
    announce(record_type="contact", ids=[before, role.contact_id], action=SAVED,
             acting_user=acting_user)  # fmt: skip
    return role


@transaction.atomic
def role_delete(*, role: ContactRole, acting_user: Any) -> None:
    contact_id = role.contact_id
    role.delete()
    announce(record_type="contact", ids=[contact_id], action=SAVED, acting_user=acting_user)
