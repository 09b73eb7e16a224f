"""Writes to contacts: create, update, delete, consent, and who may see a restricted one.

Tenant assumptions: the connection is on the member's schema (the request's, or a task's
that entered it at its boundary). Nothing here switches schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from crm.changes import CONSENT, DELETED, SAVED, announce
from crm.models import Consent, Contact, Tag
from crm.permissions import can_grant_restricted_access

from .common import _fields_apply, crm_audit

RESTRICTED_PERMISSION = "crm.view_restricted_contact"
NOT_A_GRANTER = "Only a manager who can see this contact decides who else may see it."

CONTACT_FIELDS = {
    "title", "first_name", "last_name", "preferred_name", "email", "other_emails", "phone",
    "mobile", "address_line1", "address_line2", "town", "county", "postcode", "date_of_birth",
    "notes", "owner", "is_restricted",
}  # fmt: skip


def _restriction_audit(contact: Contact, acting_user: Any) -> None:
    action = "contact.restricted" if contact.is_restricted else "contact.unrestricted"
    crm_audit(action=action, acting_user=acting_user, target=f"contact {contact.pk}")


@transaction.atomic
def contact_create(
    *,
    acting_user: Any,
    tags: Iterable[Tag] = (),
    copied_from_member_id: int | None = None,
    copied_from_record_id: int | None = None,
    **fields: Any,
) -> Contact:
    """Add a contact; a restricted one stays in sight of whoever adds it. A copy of another
    member's shared record carries the provider's member and record id (``copied_from_*``),
    so that the provider's erasure or correction can name the copy (Art. 19)."""
    contact = Contact(created_by=acting_user, updated_by=acting_user,
                      copied_from_member_id=copied_from_member_id,
                      copied_from_record_id=copied_from_record_id)  # fmt: skip
    _fields_apply(contact, CONTACT_FIELDS, fields)
    if contact.owner is None:
        contact.owner = acting_user
    contact.full_clean()
    contact.save()
    if tags:
        contact.tags.set(tags)
    if contact.is_restricted:
        if acting_user is not None:
            # Whoever restricts a contact keeps sight of it.
            assign_perm(RESTRICTED_PERMISSION, acting_user, contact)
        _restriction_audit(contact, acting_user)
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, acting_user: Any, tags: Iterable[Tag] | None = None, **changes: Any
) -> Contact:
    """Update a contact; other parts of the product follow in this same transaction."""
    was_restricted = contact.is_restricted
    _fields_apply(contact, CONTACT_FIELDS, changes)
    contact.updated_by = acting_user
    contact.full_clean()
    contact.save()
    if tags is not None:
        contact.tags.set(tags)
    if contact.is_restricted and not was_restricted and acting_user is not None:
        assign_perm(RESTRICTED_PERMISSION, acting_user, contact)
    if contact.is_restricted != was_restricted:
        _restriction_audit(contact, acting_user)
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, acting_user: Any) -> None:
    pk = contact.pk
    announce(record_type="contact", ids=[pk], action=DELETED, acting_user=acting_user)
    contact.delete()
    crm_audit(action="contact.deleted", acting_user=acting_user, target=f"contact {pk}")


def _restricted_access_change(
    *, contact: Contact, user: Any, acting_user: Any, grant: bool
) -> None:
    if not can_grant_restricted_access(acting_user, contact):
        raise PermissionDenied(NOT_A_GRANTER)
    if grant:
        assign_perm(RESTRICTED_PERMISSION, user, contact)
    else:
        remove_perm(RESTRICTED_PERMISSION, user, contact)
    action = "contact.restricted_access_granted" if grant else "contact.restricted_access_revoked"
    crm_audit(action=action, acting_user=acting_user, target=f"contact {contact.pk}",
              user_id=user.pk)  # fmt: skip


@transaction.atomic
def contact_restricted_access_grant(*, contact: Contact, user: Any, acting_user: Any) -> None:
    """Let colleague ``user`` see restricted ``contact``; only a manager who sees it may."""
    _restricted_access_change(contact=contact, user=user, acting_user=acting_user, grant=True)


@transaction.atomic
def contact_restricted_access_revoke(*, contact: Contact, user: Any, acting_user: Any) -> None:
    """Stop colleague ``user`` seeing restricted ``contact``; only a manager who sees it may."""
    _restricted_access_change(contact=contact, user=user, acting_user=acting_user, grant=False)


@transaction.atomic
def consent_record(
    *,
    contact: Contact,
    purpose: str,
    status: str,
    acting_user: Any,
    channel: str = "any",
    lawful_basis: str = "consent",
    method: str = "recorded by staff",
    wording: str = "",
) -> Consent:
    consent = Consent(
        contact=contact, purpose=purpose, status=status, channel=channel,
        lawful_basis=lawful_basis, method=method, wording=wording,
        recorded_at=timezone.now(), recorded_by=acting_user,
    )  # fmt: skip
    consent.full_clean()
    consent.save()
    announce(record_type="contact", ids=[contact.pk], action=CONSENT, acting_user=acting_user)
    return consent


@transaction.atomic
def contact_processing_restrict(*, contact: Contact, acting_user: Any, reason: str = "") -> bool:
    """Restrict processing of ``contact`` (UK GDPR Art. 18): kept, but left out of every
    list, search, export, share and mailing until lifted. The announcement takes it out of
    the shared directory in this transaction. False when it was already restricted."""
    if contact.processing_restricted_at is not None:
        return False
    contact.processing_restricted_at = timezone.now()
    contact.updated_by = acting_user
    contact.save(update_fields=["processing_restricted_at", "updated_by", "updated_at"])
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    crm_audit(action="contact.processing_restricted", acting_user=acting_user,
              target=f"contact {contact.pk}", reason=reason[:200])  # fmt: skip
    return True


@transaction.atomic
def contact_processing_restriction_lift(*, contact: Contact, acting_user: Any,
                                        reason: str = "") -> bool:  # fmt: skip
    """Lift an Art. 18 restriction: the contact is back in lists, exports, shares and
    mailings (the announcement projects it again where an agreement picks it). False when it
    was not restricted."""
    if contact.processing_restricted_at is None:
        return False
    contact.processing_restricted_at = None
    contact.updated_by = acting_user
    contact.save(update_fields=["processing_restricted_at", "updated_by", "updated_at"])
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    crm_audit(action="contact.processing_restriction_lifted", acting_user=acting_user,
              target=f"contact {contact.pk}", reason=reason[:200])  # fmt: skip
    return True
