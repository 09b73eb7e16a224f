"""The consortium's rules as they would be after a change: a field's limit or a purpose's
policy with new settings, checked against what Commons can share and what is locked, but not
saved. The rules pages preview them; sharing.rule_services checks them again before it saves.

Tenant assumptions: none — the rules live in the public schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from sharing.models import (
    NEVER_SHAREABLE_FIELDS,
    SHAREABLE_FIELDS,
    FieldRule,
    FieldRuleMode,
    Purpose,
    PurposePolicy,
    RecordType,
)

from .limits import POLICY_SETTINGS, FieldLimit, Policy, policy_of

RULE_LOCKED = (
    "This rule cannot be relaxed: Commons has no way to share {label}, whatever an agreement says."
)
UNKNOWN_FIELD = "There is no field “{field}” of {what}."
NO_PURPOSES = "Name at least one purpose, or choose “never shared”."
UNKNOWN_SETTINGS = "Unknown policy settings: {names}."
MONTHS_POSITIVE = "Give a number of months of at least 1, or leave it empty."


def _field_check(record_type: str, field: str) -> None:
    if record_type not in RecordType.values:
        raise ValidationError({"record_type": f"Unknown record type “{record_type}”."})
    known = SHAREABLE_FIELDS[record_type] | NEVER_SHAREABLE_FIELDS[record_type]
    if field not in known:
        what = RecordType(record_type).label.lower()
        raise ValidationError({"field": UNKNOWN_FIELD.format(field=field, what=what)})


def field_limit_proposed(*, record_type: str, field: str, mode: str,
                         purposes: list[str]) -> FieldLimit:  # fmt: skip
    """The rule as it would be (checked, not saved): for previews and for saving."""
    _field_check(record_type, field)
    if mode not in FieldRuleMode.values:
        raise ValidationError({"mode": f"Unknown choice “{mode}”."})
    purposes = sorted(set(purposes)) if mode == FieldRuleMode.PURPOSES else []
    if any(p not in Purpose.values for p in purposes):
        raise ValidationError({"purposes": "Choose purposes from the list."})
    if mode == FieldRuleMode.PURPOSES and not purposes:
        raise ValidationError({"purposes": NO_PURPOSES})
    current = FieldRule.objects.filter(record_type=record_type, field=field).first()
    if current is not None and current.locked and mode != FieldRuleMode.NEVER:
        label = current.label.lower()
        raise ValidationError({"mode": RULE_LOCKED.format(label=label)})
    return FieldLimit(record_type=record_type, field=field, mode=mode, purposes=tuple(purposes),
                      locked=bool(current and current.locked), set_at=timezone.now())  # fmt: skip


def policy_proposed(*, purpose: str, **changes: Any) -> Policy:
    """The purpose's policy with these settings changed (checked, not saved)."""
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": f"Unknown purpose “{purpose}”."})
    unknown = set(changes) - set(POLICY_SETTINGS)
    if unknown:
        raise ValueError(UNKNOWN_SETTINGS.format(names=", ".join(sorted(unknown))))
    errors = {}
    for name in ("max_term_months", "review_months"):
        if changes.get(name) is not None and changes[name] < 1:
            errors[name] = MONTHS_POSITIVE
    if errors:
        raise ValidationError(errors)
    row = PurposePolicy.objects.filter(purpose=purpose).prefetch_related("eligible_members").first()
    current = policy_of(row) if row else Policy(purpose=purpose)
    values = current.values() | changes
    return Policy(
        purpose=purpose, lawful_bases=tuple(sorted(values["lawful_bases"])),
        contacts_need_consent=bool(values["contacts_need_consent"]),
        admin_approval=values["admin_approval"], dpia_required=bool(values["dpia_required"]),
        max_term_months=values["max_term_months"], review_months=values["review_months"],
        parties_restricted=bool(values["parties_restricted"]),
        eligible_ids=frozenset(int(i) for i in values["eligible_members"]),
        set_at=timezone.now(),
    )  # fmt: skip
