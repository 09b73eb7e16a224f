"""What every CRM write shares: applying allowed field changes (``_fields_apply``, for the
services of this package only), and the audit row that a deliberate act (a delete, a merge, a
restriction change, a new tag, a bulk tag, an import) leaves.

Tenant assumptions: the connection is on the member's schema; the audit log is public and
names the member by id.
"""

from __future__ import annotations

from typing import Any

from crm.selectors import member_here
from crm.validators import normalise_postcode
from tenants.audit import audit_record

UNKNOWN_FIELD = "{field} cannot be changed here."


def _fields_apply(instance: Any, allowed: set[str], changes: dict[str, Any]) -> None:
    """Set ``changes`` on ``instance``; a field outside ``allowed`` is refused."""
    for field, value in changes.items():
        if field not in allowed:
            raise ValueError(UNKNOWN_FIELD.format(field=field))
        setattr(instance, field, value)
    if getattr(instance, "postcode", None):
        instance.postcode = normalise_postcode(instance.postcode)
    if getattr(instance, "email", None):
        instance.email = instance.email.strip()


def crm_audit(*, action: str, acting_user: Any, target: str, **details: Any) -> None:
    """One audit row for a deliberate act in this member's CRM. Targets are ids, never
    names: the log is read on the consortium's site, where a restricted contact's name
    must never appear."""
    audit_record(action=action, actor=acting_user, member=member_here(), target=target,
                 **details)  # fmt: skip
