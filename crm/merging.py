"""Merging duplicate records inside one member: nothing attached to either is lost.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.forms.models import model_to_dict

from .changes import DELETED, MERGED, announce
from .models import Contact, MergeRecord, Organisation
from .services.common import crm_audit

SAME_RECORD = "A record cannot be merged into itself."

CONTACT_FILL = [
    "title", "first_name", "preferred_name", "email", "phone", "mobile", "address_line1",
    "address_line2", "town", "county", "postcode", "date_of_birth", "notes",
]  # fmt: skip
ORGANISATION_FILL = [
    "email", "phone", "address_line1", "address_line2", "town", "postcode", "district",
    "website", "notes",
]  # fmt: skip


def _snapshot(obj: Any) -> dict[str, Any]:
    data = model_to_dict(obj, exclude=["tags", "search_text"])
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()
            if not hasattr(v, "pk")}  # fmt: skip


def _repoint(table: str, column: str, keep: int, drop: int, unique_with: list[str]) -> None:
    """Move rows from ``drop`` to ``keep``; where ``keep`` already has the same row, drop it."""
    with connection.cursor() as cursor:
        if unique_with:
            same = " AND ".join(f"k.{c} = d.{c}" for c in unique_with)
            cursor.execute(
                f"DELETE FROM {table} d WHERE d.{column} = %s AND EXISTS "
                f"(SELECT 1 FROM {table} k WHERE k.{column} = %s AND {same})",
                [drop, keep],
            )
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {column} = %s", [keep, drop])


@transaction.atomic
def contact_merge(*, keep: Contact, drop: Contact, acting_user: Any) -> Contact:
    """Merge ``drop`` into ``keep``: interactions, roles, tags, consents and access move;
    blank fields of ``keep`` take ``drop``'s values; ``drop``'s e-mail is kept as another."""
    if keep.pk == drop.pk:
        raise ValidationError(SAME_RECORD)
    snapshot = _snapshot(drop)
    for name in CONTACT_FILL:
        if not getattr(keep, name) and getattr(drop, name):
            setattr(keep, name, getattr(drop, name))
    emails = {e.lower() for e in [keep.email, *keep.other_emails] if e}
    keep.other_emails = [*keep.other_emails] + [
        e for e in [drop.email, *drop.other_emails] if e and e.lower() not in emails
    ]
    keep.is_restricted = keep.is_restricted or drop.is_restricted
    _repoint("crm_interaction_contacts", "contact_id", keep.pk, drop.pk, ["interaction_id"])
    _repoint("crm_contactrole", "contact_id", keep.pk, drop.pk, ["organisation_id", "role"])
    _repoint("crm_contact_tags", "contact_id", keep.pk, drop.pk, ["tag_id"])
    _repoint("crm_consent", "contact_id", keep.pk, drop.pk, [])
    with connection.cursor() as cursor:
        # Whoever could see the dropped (restricted) record can see the merged one.
        cursor.execute(
            "UPDATE guardian_userobjectpermission SET object_pk = %s WHERE object_pk = %s "
            "AND content_type_id = (SELECT id FROM django_content_type "
            "WHERE app_label = 'crm' AND model = 'contact') AND NOT EXISTS ("
            "SELECT 1 FROM guardian_userobjectpermission k WHERE k.object_pk = %s "
            "AND k.user_id = guardian_userobjectpermission.user_id "
            "AND k.permission_id = guardian_userobjectpermission.permission_id)",
            [str(keep.pk), str(drop.pk), str(keep.pk)],
        )
    keep.updated_by = acting_user
    keep.full_clean()
    keep.save()
    MergeRecord.objects.create(
        record_type="contact", kept_id=keep.pk, merged_id=drop.pk, merged_snapshot=snapshot,
        merged_by=acting_user,
    )  # fmt: skip
    drop_id = drop.pk
    announce(record_type="contact", ids=[drop_id], action=DELETED, acting_user=acting_user)
    Contact.objects.filter(pk=drop_id).delete()
    crm_audit(action="contact.merged", acting_user=acting_user, target=f"contact {keep.pk}",
              merged_id=drop_id)  # fmt: skip
    announce(record_type="contact", ids=[keep.pk], action=MERGED, acting_user=acting_user)
    return keep


@transaction.atomic
def organisation_merge(*, keep: Organisation, drop: Organisation, acting_user: Any) -> Organisation:
    if keep.pk == drop.pk:
        raise ValidationError(SAME_RECORD)
    snapshot = _snapshot(drop)
    for name in ORGANISATION_FILL:
        if not getattr(keep, name) and getattr(drop, name):
            setattr(keep, name, getattr(drop, name))
    names = {n.lower() for n in [keep.name, *keep.other_names]}
    keep.other_names = [*keep.other_names] + [
        n for n in [drop.name, *drop.other_names] if n.lower() not in names
    ]
    keep.areas_of_work = sorted({*keep.areas_of_work, *drop.areas_of_work})
    keep.beneficiaries = sorted({*keep.beneficiaries, *drop.beneficiaries})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_organisationidentifier SET is_preferred = false WHERE organisation_id = %s "
            "AND EXISTS (SELECT 1 FROM crm_organisationidentifier WHERE organisation_id = %s "
            "AND is_preferred)",
            [drop.pk, keep.pk],
        )
    _repoint("crm_organisationidentifier", "organisation_id", keep.pk, drop.pk, [])
    _repoint("crm_interaction_organisations", "organisation_id", keep.pk, drop.pk,
             ["interaction_id"])  # fmt: skip
    _repoint("crm_contactrole", "organisation_id", keep.pk, drop.pk, ["contact_id", "role"])
    _repoint("crm_organisation_tags", "organisation_id", keep.pk, drop.pk, ["tag_id"])
    with connection.cursor() as cursor:
        for column, other in (("from_organisation_id", "to_organisation_id"),
                              ("to_organisation_id", "from_organisation_id")):  # fmt: skip
            cursor.execute(
                f"DELETE FROM crm_organisationrelationship WHERE {column} = %s AND {other} = %s",
                [drop.pk, keep.pk],
            )
        _repoint("crm_organisationrelationship", "from_organisation_id", keep.pk, drop.pk,
                 ["to_organisation_id", "kind"])  # fmt: skip
        _repoint("crm_organisationrelationship", "to_organisation_id", keep.pk, drop.pk,
                 ["from_organisation_id", "kind"])  # fmt: skip
    keep.updated_by = acting_user
    keep.full_clean()
    keep.save()
    MergeRecord.objects.create(
        record_type="organisation", kept_id=keep.pk, merged_id=drop.pk,
        merged_snapshot=snapshot, merged_by=acting_user,
    )  # fmt: skip
    drop_id = drop.pk
    announce(record_type="organisation", ids=[drop_id], action=DELETED, acting_user=acting_user)
    Organisation.objects.filter(pk=drop_id).delete()
    crm_audit(action="organisation.merged", acting_user=acting_user,
              target=f"organisation {keep.pk}", merged_id=drop_id)  # fmt: skip
    announce(record_type="organisation", ids=[keep.pk], action=MERGED, acting_user=acting_user)
    return keep
