"""The audit log's one writer: every service in every app records its deliberate acts here.

Not a service itself: it is the row a service writes, called inside that service's transaction
so the entry and the act it records stand or fall together.

Tenant assumptions: the log lives on the public schema (django-tenants keeps shared apps'
tables there, reachable from any schema); it names the member and the actor by plain id.
"""

from __future__ import annotations

from typing import Any

from .models import AuditEntry, Member


def audit_record(
    *,
    action: str,
    actor: Any = None,
    member: Member | None = None,
    target: str = "",
    **details: Any,
) -> AuditEntry:
    """Append one entry to the audit log (plain ids: the log outlives what it names)."""
    return AuditEntry.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        member_id=getattr(member, "pk", None),
        target=target[:200],
        details=details,
    )
