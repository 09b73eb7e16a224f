"""The disclosure log's writes: each view, export or copy of shared records, and the one
way old entries leave (a purge under the retention policy, itself audited).

Tenant assumptions: none; the log lives in the public schema.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from sharing.models import Disclosure
from tenants.audit import audit_record
from tenants.models import Member

if TYPE_CHECKING:
    from tenants.permissions import AnyUser


def disclosure_record(*, acting_user: AnyUser, member: Member, records: list[Any], action: str,
                      reason: str = "") -> None:  # fmt: skip
    """Log ``acting_user``'s view, export or copy of shared records, per provider and
    agreement."""
    groups: dict[tuple[int, int, str], list[int]] = {}
    for record in records:
        key = (record.provider_id, record.agreement_id, record.record_type)
        groups.setdefault(key, []).append(record.record_id)
    Disclosure.objects.bulk_create([
        Disclosure(actor_id=getattr(acting_user, "pk", None), member_id=member.pk,
                   provider_id=provider_id, agreement_id=agreement_id, action=action,
                   record_type=record_type, record_ids=ids, reason=reason[:200])
        for (provider_id, agreement_id, record_type), ids in groups.items()
    ])  # fmt: skip


def disclosure_log(*, acting_user: AnyUser, member_id: int, provider_id: int, action: str,
                   record_type: str, record_ids: list[int], reason: str = "",
                   agreement_id: int | None = None) -> Disclosure:  # fmt: skip
    """Log one disclosure that is not a view of the shared directory (e.g. a contact's
    snapshot handed to an event's host)."""
    return Disclosure.objects.create(
        actor_id=getattr(acting_user, "pk", None), member_id=member_id, provider_id=provider_id,
        agreement_id=agreement_id, action=action, record_type=record_type,
        record_ids=record_ids, reason=reason[:200],
    )  # fmt: skip


PURGE_TOO_RECENT = "The disclosure log keeps at least a year: choose an earlier cut-off."
PURGE_KEEP_DAYS = 365


@transaction.atomic
def disclosures_purge(*, before: datetime.datetime, acting_user: Any, reason: str) -> int:
    """Remove disclosure-log entries older than ``before`` under the retention policy.

    The only way entries leave: ``public.commons_disclosures_purge`` (sharing migration 0014),
    a SECURITY DEFINER function owned by the owner role, the one context in which the log's
    trigger lets a DELETE through. The application role needs no superuser and cannot delete
    or change entries itself. The purge is written to the consortium audit log with who, when,
    how many and why, in the same transaction. Entries younger than a year never go (the
    function refuses them too).
    """
    if before > timezone.now() - datetime.timedelta(days=PURGE_KEEP_DAYS):
        raise ValidationError(PURGE_TOO_RECENT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.commons_disclosures_purge(%s)", [before])
        (removed,) = cursor.fetchone()
    audit_record(action="disclosures.purged", actor=acting_user, target=f"before {before}",
                 removed=removed, reason=reason)  # fmt: skip
    return int(removed)
