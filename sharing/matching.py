"""Cross-member organisation matching: "this shared organisation is the same as ours".

Identifiers first (org-id.guide values), then normalised name and postcode. Only ever
compares what the member may see: its own organisation and records shared with it.

Tenant assumptions: the member's own organisation has been read on its schema by the
caller; everything read here is in the public schema.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import selectors
from .models import OrganisationLink, SharedRecord

NAME_SIMILARITY = 0.55


def organisation_matches(*, member: Any, organisation: Any) -> list[tuple[SharedRecord, str]]:
    """Shared organisations that look like ``organisation``, best evidence first."""
    visible = selectors.shared_records_for(member=member, record_type="organisation")
    linked = OrganisationLink.objects.filter(
        member_id=member.pk, own_organisation_id=organisation.pk
    ).values_list("provider_id", "provider_record_id")
    linked_keys = set(linked)
    found: dict[int, tuple[SharedRecord, str]] = {}
    identifiers = [str(i) for i in organisation.identifiers.all()]
    if identifiers:
        for record in visible.filter(data__identifiers__has_any_keys=identifiers)[:20]:
            found.setdefault(record.pk, (record, "same identifier"))
    if organisation.postcode:
        similar = visible.filter(data__postcode=organisation.postcode).extra(
            where=["similarity(public.commons_fold(sharing_sharedrecord.data->>'name'), "
                   "public.commons_fold(%s)) > %s"],
            params=[organisation.name, NAME_SIMILARITY],
        )[:20]  # fmt: skip
        for record in similar:
            found.setdefault(record.pk, (record, "similar name, same postcode"))
    return [
        (record, why) for record, why in found.values()
        if (record.provider_id, record.record_id) not in linked_keys
    ]  # fmt: skip


def organisation_links(*, member: Any, organisation: Any) -> list[dict[str, Any]]:
    """Confirmed links, each with the provider's current shared view (if still shared)."""
    links = OrganisationLink.objects.filter(
        member_id=member.pk, own_organisation_id=organisation.pk
    )
    visible = selectors.shared_records_for(member=member, record_type="organisation")
    out = []
    for link in links:
        current = visible.filter(
            provider_id=link.provider_id, record_id=link.provider_record_id
        ).first()
        out.append({"link": link, "record": current})
    return out


@transaction.atomic
def organisation_link_confirm(*, member: Any, organisation: Any, record: SharedRecord,
                              reason: str, acting_user: Any) -> OrganisationLink:  # fmt: skip
    """Record that ``record`` (shared with ``member``) is ``organisation``; a new link is in
    the member's audit log."""
    from tenants.audit import audit_record

    link, created = OrganisationLink.objects.get_or_create(
        member_id=member.pk, own_organisation_id=organisation.pk,
        provider_id=record.provider_id, provider_record_id=record.record_id,
        defaults={"matched_by": reason[:20], "confirmed_by": acting_user},
    )  # fmt: skip
    if created:
        audit_record(action="sharing.organisation_linked", actor=acting_user, member=member,
                     target=f"organisation {organisation.pk}", provider_id=record.provider_id,
                     provider_record_id=record.record_id, matched_by=link.matched_by)  # fmt: skip
    return link


def organisation_panel(request: Any, record_type: str, record: Any) -> SafeString | str:
    """The "shared by other members" panel on one of our organisation's pages."""
    member = getattr(request, "tenant", None)
    if record_type != "organisation" or member is None:
        return ""
    if (
        not selectors.agreements_received_by(member=member)
        .filter(Q(record_types__contains=["organisation"]))
        .exists()
        and not OrganisationLink.objects.filter(member_id=member.pk).exists()
    ):
        return ""
    return render_to_string("sharing/_organisation_panel.html", {
        "org": record,
        "links": organisation_links(member=member, organisation=record),
        "matches": organisation_matches(member=member, organisation=record),
    }, request=request)  # fmt: skip
