"""The consortium's rules as read: the limit on each field, each purpose's policy, a snapshot
of them all (``rules_current``), and the few the projection needs on its hot path; and a
changed limit or policy as it would be (``field_limit_proposed``, ``policy_proposed``):
checked against what Commons can share and what is locked, not saved, for the rules pages'
previews and for sharing.rule_services to check again before it saves.

Tenant assumptions: none — the rules live in the public schema.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from sharing.models import (
    NEVER_SHAREABLE_FIELDS,
    SHAREABLE_FIELDS,
    FieldRule,
    FieldRuleMode,
    Purpose,
    PurposePolicy,
    RecordType,
    RuleChange,
)

POLICY_SETTINGS = (
    "lawful_bases", "contacts_need_consent", "admin_approval", "dpia_required",
    "max_term_months", "review_months", "parties_restricted", "eligible_members",
)  # fmt: skip

RULE_LOCKED = (
    "This rule cannot be relaxed: Commons has no way to share {label}, whatever an agreement says."
)
UNKNOWN_FIELD = "There is no field “{field}” of {what}."
NO_PURPOSES = "Name at least one purpose, or choose “never shared”."
UNKNOWN_SETTINGS = "Unknown policy settings: {names}."
MONTHS_POSITIVE = "Give a number of months of at least 1, or leave it empty."


def day(moment: datetime.datetime | datetime.date | None) -> str:
    if moment is None:
        return "when Commons was set up"
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment).date()
    return f"{moment.day} {moment:%B %Y}"


def add_months(start: datetime.date, months: int) -> datetime.date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))  # fmt: skip


def field_label(record_type: str, name: str) -> str:
    labels = SHAREABLE_FIELDS[record_type] | NEVER_SHAREABLE_FIELDS[record_type]
    return labels.get(name, name)


def verb_for(label: str) -> str:
    """ "is" or "are": "Notes of contacts are", "Postcode of organisations is"."""
    first = label.split()[0].lower()
    return "are" if first.endswith(("s", "ies")) and first != "address" else "is"


def purposes_phrase(purposes: list[str] | tuple[str, ...]) -> str:
    labels = [Purpose(p).label.lower() for p in purposes]
    if not labels:
        return "no purpose"
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


@dataclass(frozen=True)
class FieldLimit:
    record_type: str
    field: str
    mode: str
    purposes: tuple[str, ...] = ()
    locked: bool = False
    set_at: datetime.datetime | None = None

    @property
    def label(self) -> str:
        return field_label(self.record_type, self.field)

    def permits(self, purpose: str) -> bool:
        if self.mode == FieldRuleMode.NEVER:
            return False
        return self.mode == FieldRuleMode.ANY or purpose in self.purposes

    def sentence(self) -> str:
        what = RecordType(self.record_type).label.lower()
        if self.field == "restricted":
            return "Nothing of a restricted contact is ever shared."
        if self.mode == FieldRuleMode.NEVER:
            return f"{self.label} of {what} {self.verb} never shared."
        if self.mode == FieldRuleMode.PURPOSES:
            purposes = purposes_phrase(self.purposes)
            return f"{self.label} of {what} {self.verb} shared only for {purposes}."
        return f"{self.label} of {what} may be shared for any purpose an agreement names."

    @property
    def verb(self) -> str:
        return verb_for(self.label)


@dataclass(frozen=True)
class Policy:
    purpose: str
    lawful_bases: tuple[str, ...] = ()
    contacts_need_consent: bool = False
    admin_approval: bool | None = None
    dpia_required: bool = False
    max_term_months: int | None = None
    review_months: int | None = None
    parties_restricted: bool = False
    eligible_ids: frozenset[int] = frozenset()
    set_at: datetime.datetime | None = None
    # When each setting was last set (from the rule log), else set_at.
    dates: dict[str, datetime.datetime] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return Purpose(self.purpose).label

    @property
    def approval_needed(self) -> bool:
        if self.admin_approval is None:
            return bool(settings.COMMONS_SHARING_ADMIN_APPROVAL)
        return self.admin_approval

    @property
    def required_fields(self) -> frozenset[str]:
        """The agreement form's fields this policy requires to be filled in (what
        ``agreement_breaches`` asks of them), so the form marks them required."""
        required = {
            "lawful_basis": bool(self.lawful_bases),
            "dpia_reference": self.dpia_required,
            "end_date": bool(self.max_term_months),
            "review_date": bool(self.review_months),
        }
        return frozenset(name for name, needed in required.items() if needed)

    def date_of(self, setting: str) -> datetime.datetime | None:
        return self.dates.get(setting, self.set_at)

    def values(self) -> dict[str, Any]:
        """The settings as plain values (for the rule log)."""
        return {
            "lawful_bases": list(self.lawful_bases),
            "contacts_need_consent": self.contacts_need_consent,
            "admin_approval": self.admin_approval, "dpia_required": self.dpia_required,
            "max_term_months": self.max_term_months, "review_months": self.review_months,
            "parties_restricted": self.parties_restricted,
            "eligible_members": sorted(self.eligible_ids),
        }  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """A snapshot of every rule; ``with_field`` and ``with_policy`` make a proposed one."""

    fields: dict[tuple[str, str], FieldLimit]
    policies: dict[str, Policy]

    def policy(self, purpose: str) -> Policy:
        return self.policies.get(purpose) or Policy(purpose=purpose)

    def limit(self, record_type: str, name: str) -> FieldLimit | None:
        return self.fields.get((record_type, name))

    def with_field(self, limit: FieldLimit) -> Rules:
        return Rules(fields={**self.fields, (limit.record_type, limit.field): limit},
                     policies=self.policies)  # fmt: skip

    def with_policy(self, policy: Policy) -> Rules:
        return Rules(fields=self.fields, policies={**self.policies, policy.purpose: policy})


def field_limit_of(rule: FieldRule) -> FieldLimit:
    return FieldLimit(record_type=rule.record_type, field=rule.field, mode=rule.mode,
                      purposes=tuple(rule.purposes), locked=rule.locked,
                      set_at=rule.set_at)  # fmt: skip


def policy_of(row: PurposePolicy, dates: dict[str, datetime.datetime] | None = None) -> Policy:
    return Policy(
        purpose=row.purpose, lawful_bases=tuple(row.lawful_bases),
        contacts_need_consent=row.contacts_need_consent, admin_approval=row.admin_approval,
        dpia_required=row.dpia_required, max_term_months=row.max_term_months,
        review_months=row.review_months, parties_restricted=row.parties_restricted,
        eligible_ids=frozenset(m.pk for m in row.eligible_members.all()), set_at=row.set_at,
        dates=dates or {},
    )  # fmt: skip


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


def _setting_dates() -> dict[str, dict[str, datetime.datetime]]:
    """When each purpose's settings were last changed, from the rule log."""
    dates: dict[str, dict[str, datetime.datetime]] = {}
    latest = (
        RuleChange.objects.filter(rule__startswith="purpose:")
        .order_by("rule", "-at")
        .distinct("rule")
        .values_list("rule", "at")
    )
    for rule, at in latest:
        _kind, purpose, setting = [*rule.split(":"), "", ""][:3]
        dates.setdefault(purpose, {})[setting] = at
    return dates


def rules_current() -> Rules:
    dates = _setting_dates()
    return Rules(
        fields={(r.record_type, r.field): field_limit_of(r) for r in FieldRule.objects.all()},
        policies={
            p.purpose: policy_of(p, dates.get(p.purpose))
            for p in PurposePolicy.objects.prefetch_related("eligible_members")
        },
    )


def approval_needed(purpose: str) -> bool:
    """Whether agreements of this purpose need a consortium admin's approval."""
    admin_approval = (
        PurposePolicy.objects.filter(purpose=purpose).values_list("admin_approval", flat=True)
    ).first()
    return Policy(purpose=purpose, admin_approval=admin_approval).approval_needed


@dataclass(frozen=True)
class ProjectionLimits:
    """What the projection needs of the rules, read in one query on the hot path."""

    fields: dict[tuple[str, str], FieldLimit]
    consent_purposes: frozenset[str]

    def permits(self, purpose: str, record_type: str, name: str) -> bool:
        limit = self.fields.get((record_type, name))
        return limit is None or limit.permits(purpose)


def projection_limits() -> ProjectionLimits:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT record_type, field, mode, purposes FROM public.sharing_fieldrule "
            "WHERE mode <> 'any' UNION ALL "
            "SELECT '', purpose, 'consent', '{}' FROM public.sharing_purposepolicy "
            "WHERE contacts_need_consent"
        )
        rows = cursor.fetchall()
    fields, consent = {}, set()
    for record_type, name, mode, purposes in rows:
        if mode == "consent":
            consent.add(name)
        else:
            fields[(record_type, name)] = FieldLimit(record_type, name, mode, tuple(purposes))
    return ProjectionLimits(fields=fields, consent_purposes=frozenset(consent))
