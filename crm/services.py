"""Every write to a member's CRM. Atomic, validated, and announced (crm.changes).

Tenant assumptions: the connection is on the member's schema (the request's, or a task's
that entered it at its boundary). Nothing here switches schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from .changes import CONSENT, DELETED, SAVED, TAGGED, announce
from .models import (
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Contact,
    ContactRole,
    Interaction,
    Organisation,
    OrganisationIdentifier,
    Tag,
)
from .validators import normalise_postcode

IDENTIFIER_TAKEN = "Another organisation already has the identifier {scheme}-{value}."
UNKNOWN_FIELD = "{field} cannot be changed here."

CONTACT_FIELDS = {
    "title", "first_name", "last_name", "preferred_name", "email", "other_emails", "phone",
    "mobile", "address_line1", "address_line2", "town", "county", "postcode", "date_of_birth",
    "notes", "owner", "is_restricted",
}  # fmt: skip
ORGANISATION_FIELDS = {
    "name", "other_names", "org_type", "email", "phone", "address_line1", "address_line2",
    "town", "postcode", "district", "website", "areas_of_work", "beneficiaries", "income_band",
    "membership_status", "notes",
}  # fmt: skip


def _apply(instance: Any, allowed: set[str], changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        if field not in allowed:
            raise ValueError(UNKNOWN_FIELD.format(field=field))
        setattr(instance, field, value)
    if getattr(instance, "postcode", None):
        instance.postcode = normalise_postcode(instance.postcode)
    if getattr(instance, "email", None):
        instance.email = instance.email.strip()


@transaction.atomic
def contact_create(*, acting_user: Any, tags: Iterable[Tag] = (), **fields: Any) -> Contact:
    contact = Contact(created_by=acting_user, updated_by=acting_user)
    _apply(contact, CONTACT_FIELDS, fields)
    if contact.owner is None:
        contact.owner = acting_user
    contact.full_clean()
    contact.save()
    if tags:
        contact.tags.set(tags)
    if contact.is_restricted and acting_user is not None:
        # Whoever restricts a contact keeps sight of it.
        assign_perm("crm.view_restricted_contact", acting_user, contact)
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, acting_user: Any, tags: Iterable[Tag] | None = None, **changes: Any
) -> Contact:
    """Update a contact; other parts of the product follow in this same transaction."""
    was_restricted = contact.is_restricted
    _apply(contact, CONTACT_FIELDS, changes)
    contact.updated_by = acting_user
    contact.full_clean()
    contact.save()
    if tags is not None:
        contact.tags.set(tags)
    if contact.is_restricted and not was_restricted and acting_user is not None:
        assign_perm("crm.view_restricted_contact", acting_user, contact)
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, acting_user: Any) -> None:
    pk = contact.pk
    announce(record_type="contact", ids=[pk], action=DELETED, acting_user=acting_user)
    contact.delete()


@transaction.atomic
def contact_restricted_access_grant(*, contact: Contact, user: Any, acting_user: Any) -> None:
    assign_perm("crm.view_restricted_contact", user, contact)


@transaction.atomic
def contact_restricted_access_revoke(*, contact: Contact, user: Any, acting_user: Any) -> None:
    remove_perm("crm.view_restricted_contact", user, contact)


def _identifiers_set(
    org: Organisation, identifiers: list[tuple[str, str]], preferred: str | None
) -> None:
    wanted = [(s.strip().upper(), v.strip()) for s, v in identifiers if s and v]
    for scheme, value in wanted:
        clash = OrganisationIdentifier.objects.filter(scheme=scheme, value=value).exclude(
            organisation=org
        )
        if clash.exists():
            raise ValidationError(
                {"identifiers": IDENTIFIER_TAKEN.format(scheme=scheme, value=value)}
            )
    org.identifiers.exclude(
        pk__in=[i.pk for i in org.identifiers.all() if (i.scheme, i.value) in wanted]
    ).delete()
    existing = {(i.scheme, i.value): i for i in org.identifiers.all()}
    preferred_key = preferred or (f"{wanted[0][0]}-{wanted[0][1]}" if wanted else None)
    org.identifiers.update(is_preferred=False)
    for scheme, value in wanted:
        ident = existing.get((scheme, value)) or OrganisationIdentifier(
            organisation=org, scheme=scheme, value=value
        )
        ident.is_preferred = f"{scheme}-{value}" == preferred_key
        ident.save()


@transaction.atomic
def organisation_create(
    *,
    acting_user: Any,
    identifiers: list[tuple[str, str]] | None = None,
    preferred_identifier: str | None = None,
    tags: Iterable[Tag] = (),
    **fields: Any,
) -> Organisation:
    org = Organisation(created_by=acting_user, updated_by=acting_user)
    _apply(org, ORGANISATION_FIELDS, fields)
    org.full_clean()
    org.save()
    if identifiers:
        _identifiers_set(org, identifiers, preferred_identifier)
    if tags:
        org.tags.set(tags)
    announce(record_type="organisation", ids=[org.pk], action=SAVED, acting_user=acting_user)
    return org


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    acting_user: Any,
    identifiers: list[tuple[str, str]] | None = None,
    preferred_identifier: str | None = None,
    tags: Iterable[Tag] | None = None,
    **changes: Any,
) -> Organisation:
    org = organisation
    _apply(org, ORGANISATION_FIELDS, changes)
    org.updated_by = acting_user
    org.full_clean()
    if identifiers is not None:
        _identifiers_set(org, identifiers, preferred_identifier)
    if tags is not None:
        org.tags.set(tags)
    org.save()
    announce(record_type="organisation", ids=[org.pk], action=SAVED, acting_user=acting_user)
    return org


@transaction.atomic
def organisation_delete(*, organisation: Organisation, acting_user: Any) -> None:
    announce(
        record_type="organisation", ids=[organisation.pk], action=DELETED, acting_user=acting_user
    )
    organisation.delete()


def tag_get_or_create(*, name: str) -> Tag:
    name = " ".join(name.split())
    tag = Tag.objects.filter(name__iexact=name).first()
    return tag or Tag.objects.create(name=name)


@transaction.atomic
def tags_bulk_apply(
    *, record_type: str, ids: Iterable[int], tag: Tag, acting_user: Any, remove: bool = False
) -> int:
    """Tag (or untag) many records in one statement; announces them in bulk."""
    model = Contact if record_type == "contact" else Organisation
    through = model.tags.through
    fk = f"{model._meta.model_name}_id"
    id_list = sorted(set(ids))
    if remove:
        through.objects.filter(**{f"{fk}__in": id_list, "tag_id": tag.pk}).delete()
    else:
        through.objects.bulk_create(
            [through(**{fk: i, "tag_id": tag.pk}) for i in id_list], ignore_conflicts=True
        )
    announce(record_type=record_type, ids=id_list, action=TAGGED, acting_user=acting_user)
    return len(id_list)


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
def interaction_create(
    *,
    acting_user: Any,
    contacts: Iterable[Contact] = (),
    organisations: Iterable[Organisation] = (),
    **fields: Any,
) -> Interaction:
    interaction = Interaction(staff=fields.pop("staff", None) or acting_user, **fields)
    interaction.full_clean()
    interaction.save()
    interaction.contacts.set(contacts)
    interaction.organisations.set(organisations)
    return interaction


@transaction.atomic
def role_add(
    *, contact: Contact, organisation: Organisation, role: str, acting_user: Any, **dates: Any
) -> ContactRole:
    item = ContactRole(contact=contact, organisation=organisation, role=role, **dates)
    item.full_clean()
    item.save()
    announce(record_type="contact", ids=[contact.pk], action=SAVED, acting_user=acting_user)
    return item


__all__ = [
    "ConsentPurpose",
    "ConsentStatus",
    "consent_record",
    "contact_create",
    "contact_delete",
    "contact_update",
    "interaction_create",
    "organisation_create",
    "organisation_delete",
    "organisation_update",
    "role_add",
    "tag_get_or_create",
    "tags_bulk_apply",
]


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
