"""The disclosure log's writes: each view, export or copy of shared records, and the one
way old entries leave (a purge under the retention policy, itself audited).

Tenant assumptions: none; the log lives in the public schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from sharing.models import Disclosure
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


@transaction.atomic
def disclosures_purge(*, before: Any, acting_user: Any, reason: str) -> int:
    """Remove disclosure-log entries older than ``before`` under the retention policy.

    The only way entries leave: the append-only triggers are bypassed for this one
    transaction (session_replication_role, which needs a superuser connection), and the
    purge itself is written to the consortium audit log with who, when, how many and why.
    """
    from django.db import connection

    from tenants.audit import audit_record

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM public.sharing_disclosure WHERE at < %s", [before])
        removed = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
    audit_record(action="disclosures.purged", actor=acting_user, target=f"before {before}",
                 removed=removed, reason=reason)  # fmt: skip
    return removed
