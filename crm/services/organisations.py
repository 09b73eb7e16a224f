"""Writes to organisations: create, update (identifiers included), delete, and the
relationships between organisations.

Tenant assumptions: the connection is on the member's schema (the request's, or a task's
that entered it at its boundary). Nothing here switches schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.changes import DELETED, SAVED, announce
from crm.models import Organisation, OrganisationIdentifier, OrganisationRelationship, Tag

from .common import _fields_apply, crm_audit

IDENTIFIER_TAKEN = "Another organisation already has the identifier {scheme}-{value}."

ORGANISATION_FIELDS = {
    "name", "other_names", "org_type", "email", "phone", "address_line1", "address_line2",
    "town", "postcode", "district", "website", "areas_of_work", "beneficiaries", "income_band",
    "membership_status", "notes",
}  # fmt: skip
RELATIONSHIP_FIELDS = {"from_organisation", "to_organisation", "kind", "start_date", "end_date"}


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
    copied_from_member_id: int | None = None,
    copied_from_record_id: int | None = None,
    **fields: Any,
) -> Organisation:
    """Add an organisation; a copy of another member's shared record carries the provider's
    member and record id (``copied_from_*``), as a copied contact does."""
    org = Organisation(created_by=acting_user, updated_by=acting_user,
                       copied_from_member_id=copied_from_member_id,
                       copied_from_record_id=copied_from_record_id)  # fmt: skip
    _fields_apply(org, ORGANISATION_FIELDS, fields)
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
    _fields_apply(org, ORGANISATION_FIELDS, changes)
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
    pk = organisation.pk
    announce(record_type="organisation", ids=[pk], action=DELETED, acting_user=acting_user)
    organisation.delete()
    crm_audit(action="organisation.deleted", acting_user=acting_user, target=f"organisation {pk}")


def _relationship_save(relationship: OrganisationRelationship, *, action: str,
                       acting_user: Any) -> OrganisationRelationship:  # fmt: skip
    relationship.full_clean()
    relationship.save()
    _relationship_audit(action, relationship, acting_user)
    return relationship


def _relationship_audit(action: str, relationship: OrganisationRelationship,
                        acting_user: Any) -> None:  # fmt: skip
    crm_audit(action=action, acting_user=acting_user,
              target=f"organisation relationship {relationship.pk}",
              from_organisation_id=relationship.from_organisation_id,
              to_organisation_id=relationship.to_organisation_id,
              kind=relationship.kind)  # fmt: skip


@transaction.atomic
def organisation_relationship_create(
    *,
    from_organisation: Organisation,
    to_organisation: Organisation,
    kind: str,
    acting_user: Any,
    start_date: date | None = None,
    end_date: date | None = None,
) -> OrganisationRelationship:
    """Record that one organisation is a member, branch, partner or fundee of another."""
    relationship = OrganisationRelationship(
        from_organisation=from_organisation, to_organisation=to_organisation, kind=kind,
        start_date=start_date, end_date=end_date,
    )  # fmt: skip
    return _relationship_save(relationship, action="organisation_relationship.created",
                              acting_user=acting_user)  # fmt: skip


@transaction.atomic
def organisation_relationship_update(
    *, relationship: OrganisationRelationship, acting_user: Any, **changes: Any
) -> OrganisationRelationship:
    _fields_apply(relationship, RELATIONSHIP_FIELDS, changes)
    return _relationship_save(relationship, action="organisation_relationship.changed",
                              acting_user=acting_user)  # fmt: skip


@transaction.atomic
def organisation_relationship_delete(
    *, relationship: OrganisationRelationship, acting_user: Any
) -> None:
    _relationship_audit("organisation_relationship.deleted", relationship, acting_user)
    relationship.delete()
