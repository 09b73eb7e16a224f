"""Reads of contacts: lists (searched, filtered, sorted, for a mailing) and one contact.

Tenant assumptions: the connection is on the member's schema. Everything starts from
``contacts_visible_to``, so a restricted contact the user may not see is absent, and
fetching it raises the same DoesNotExist as a missing id.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OrderBy, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from crm.models import Consent, ConsentPurpose, ConsentStatus, Contact, ContactRole
from tenants.ordering import name_order

from .search import records_search
from .visibility import contacts_visible_to

CONTACT_SORTS: dict[str, list[OrderBy | str]] = {
    "name": [*name_order("last_name", "first_name"), "id"],
    "-name": [*name_order("-last_name", "-first_name"), "-id"],
    "updated": ["-updated_at", "-id"],
    "created": ["-created_at", "-id"],
    "postcode": ["postcode", "id"],
}


def _latest_consent(purpose: str) -> Subquery:
    return Subquery(
        Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose)
        .order_by("-recorded_at", "-id")
        .values("status")[:1]
    )


def contacts_suppressed_from_mailing() -> QuerySet[Contact]:
    """Contacts whose newest marketing decision is an objection or a withdrawal, and every
    other record of the member with the same e-mail address.

    An objection belongs to the person, not to one record of them: a duplicate made by an
    import (for instance of a restricted contact the importer could not see, and so could
    not match) must not reach a mailing list the person objected to. Runs on the current
    member's schema over all its contacts, restricted ones included, so it must only ever
    be used to leave people *out*; it returns nothing a caller should show.
    """
    objected = Contact.objects.annotate(
        _marketing=_latest_consent(ConsentPurpose.MARKETING)
    ).filter(_marketing__in=[ConsentStatus.OBJECTED, ConsentStatus.WITHDRAWN])
    objected_emails = objected.exclude(email="").annotate(_email=Lower("email")).values("_email")
    return Contact.objects.annotate(_email=Lower("email")).filter(
        Q(pk__in=objected.values("pk")) | Q(_email__in=objected_emails)
    )


def contact_list(
    *,
    user: Any,
    search: str = "",
    tag: str = "",
    consent: str = "",
    sort: str = "name",
    for_mailing: bool = False,
) -> QuerySet[Contact]:
    """Contacts ``user`` may see, searched, filtered and sorted: every list, search, export,
    API list, mailing and booking list reads this. A contact whose processing is restricted
    (Art. 18) is in none of them until the restriction is lifted; its own page stays.

    ``for_mailing`` drops everyone whose marketing decision is an objection or withdrawal.
    """
    contacts = contacts_visible_to(user=user).filter(processing_restricted_at__isnull=True)
    if tag:
        contacts = contacts.filter(tags__name=tag)
    if consent:
        purpose, _, status = consent.partition(":")
        contacts = contacts.annotate(_consent=_latest_consent(purpose))
        contacts = (
            contacts.filter(_consent__isnull=True)
            if status == "none"
            else contacts.filter(_consent=status)
        )
    if for_mailing:
        contacts = contacts.exclude(pk__in=contacts_suppressed_from_mailing().values("pk"))
    searched = records_search(contacts, search, email_field="email")
    if search.strip() and searched.query.order_by:
        return searched.prefetch_related("tags")
    return searched.order_by(*CONTACT_SORTS.get(sort, CONTACT_SORTS["name"])).prefetch_related(
        "tags"
    )


def contacts_copied_from(*, member_id: int, record_ids: list[int]) -> dict[int, list[Contact]]:
    """This member's copies of another member's contacts (made through Commons, which keeps
    the provider's member and record id), by the provider's record id. Over all contacts,
    restricted ones included: the answer routes an Art. 19 notice, and a page shows a copy
    only through ``contacts_visible_to``."""
    copies: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(
        copied_from_member_id=member_id, copied_from_record_id__in=record_ids
    ).order_by("pk"):
        copies.setdefault(int(contact.copied_from_record_id or 0), []).append(contact)
    return copies


def contact_detail(*, user: Any, contact_id: int) -> Contact:
    return (
        contacts_visible_to(user=user)
        .prefetch_related(
            "tags",
            "consents",
            Prefetch("roles", queryset=ContactRole.objects.select_related("organisation")),
        )
        .get(pk=contact_id)
    )
