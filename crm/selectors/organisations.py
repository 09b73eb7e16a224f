"""Reads of organisations: lists (searched by name, postcode or org-id identifier), one
organisation, the people with a role there, and finding one by name or identifier.

Tenant assumptions: the connection is on the member's schema. Organisations carry no
restriction of their own; the people shown at one are only those the user may see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OrderBy, OuterRef, QuerySet, Value

from crm.models import ContactRole, Fold, Organisation, OrganisationIdentifier
from tenants.ordering import name_order

from .search import records_search
from .visibility import contacts_visible_to

ORGANISATION_SORTS: dict[str, list[OrderBy | str]] = {
    "name": [*name_order("name"), "id"],
    "-name": [*name_order("-name"), "-id"],
    "updated": ["-updated_at", "-id"],
    "district": [*name_order("district", "name"), "id"],
}


def organisation_list(
    *, search: str = "", tag: str = "", org_type: str = "", district: str = "", sort: str = "name"
) -> QuerySet[Organisation]:
    orgs = Organisation.objects.all()
    if tag:
        orgs = orgs.filter(tags__name=tag)
    if org_type:
        orgs = orgs.filter(org_type=org_type)
    if district:
        orgs = orgs.filter(district=district)
    if search.strip() and "-" in search and search.upper().startswith(("GB-", "XI-")):
        scheme, _, value = search.strip().upper().rpartition("-")
        orgs = orgs.filter(
            Exists(
                OrganisationIdentifier.objects.filter(
                    organisation=OuterRef("pk"), scheme__iexact=scheme, value__iexact=value
                )
            )
        )
        return orgs.order_by(*name_order("name"), "id").prefetch_related("identifiers", "tags")
    searched = records_search(orgs, search, email_field="email")
    if search.strip() and searched.query.order_by:
        return searched.prefetch_related("identifiers", "tags")
    return searched.order_by(
        *ORGANISATION_SORTS.get(sort, ORGANISATION_SORTS["name"])
    ).prefetch_related("identifiers", "tags")


def organisation_detail(*, organisation_id: int) -> Organisation:
    return Organisation.objects.prefetch_related("identifiers", "tags").get(pk=organisation_id)


def organisation_people(*, user: Any, organisation: Organisation) -> QuerySet[ContactRole]:
    """Roles at an organisation, of contacts the user may see (and whose processing is not
    restricted: Art. 18 takes them out of every list)."""
    return (
        ContactRole.objects.filter(
            organisation=organisation,
            contact__in=contacts_visible_to(user=user)
            .filter(processing_restricted_at__isnull=True)
            .values("pk"),
        )
        .select_related("contact")
        .order_by("role", *name_order("contact__last_name", "contact__first_name"), "id")
    )


def organisation_by_name_or_identifier(*, text: str) -> Organisation | None:
    """The one organisation named ``text`` (any case or accents) or holding that identifier."""
    text = text.strip()
    if not text:
        return None
    scheme, _, value = text.upper().rpartition("-")
    if scheme.count("-") == 1:
        found = Organisation.objects.filter(
            identifiers__scheme=scheme, identifiers__value=value
        ).first()
        if found:
            return found
    matches = list(Organisation.objects.filter(search_text__startswith=Fold(Value(text)))[:50])
    named = [o for o in matches if o.name.casefold() == text.casefold()]
    return named[0] if len(named) == 1 else None


def organisations_copied_from(*, member_id: int,
                              record_ids: list[int]) -> dict[int, list[Organisation]]:  # fmt: skip
    """This member's copies of another member's organisations (made through Commons), by the
    provider's record id: where an Art. 19 notice or a leaving member's notice is routed."""
    copies: dict[int, list[Organisation]] = {}
    for org in Organisation.objects.filter(
        copied_from_member_id=member_id, copied_from_record_id__in=record_ids
    ).order_by("pk"):
        copies.setdefault(int(org.copied_from_record_id or 0), []).append(org)
    return copies
