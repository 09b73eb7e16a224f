"""Legal hold on a contact, an organisation or an interaction: while it is on, retention
schedules never anonymise or delete the record (nor, for a contact or organisation, the
interactions it took part in).

Placing or lifting a hold is a deliberate act of a manager or a data protection lead of the
member, with a reason, and it leaves an audit row (ids and the reason: never the record's
contents). Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from crm.changes import SAVED, announce
from crm.models import Contact, Interaction, Organisation
from crm.permissions import can_set_legal_hold

from .common import crm_audit

NOT_A_HOLDER = "Only a manager or a data protection lead here may place or lift a legal hold."
REASON_NEEDED = "Say why: the reason is kept in the audit log."
REASON_MAX = 300

HeldRecord = Contact | Organisation | Interaction


def _kind(record: HeldRecord) -> str:
    return record._meta.model_name or "record"


@transaction.atomic
def legal_hold_set(*, record: HeldRecord, hold: bool, reason: str, acting_user: Any) -> bool:
    """Put ``record`` on legal hold (``hold``) or lift it; returns whether anything changed.

    The record is read again under a row lock, so two managers pressing at once leave one
    change and one audit row."""
    if not can_set_legal_hold(acting_user):
        raise PermissionDenied(NOT_A_HOLDER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_NEEDED})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX} characters."})
    current = type(record).objects.select_for_update().get(pk=record.pk)
    if current.legal_hold == hold:
        record.legal_hold = hold
        return False
    type(record).objects.filter(pk=record.pk).update(legal_hold=hold)
    record.legal_hold = hold
    kind = _kind(record)
    if kind in ("contact", "organisation"):
        announce(record_type=kind, ids=[record.pk], action=SAVED, acting_user=acting_user)
    action = f"{kind}.legal_hold_placed" if hold else f"{kind}.legal_hold_lifted"
    crm_audit(action=action, acting_user=acting_user, target=f"{kind} {record.pk}",
              reason=reason)  # fmt: skip
    return True
