"""The consortium's sharing rules, read: the limits every agreement must keep, and which of
them an agreement breaks (each message names the rule, and says why).

Writes (changing a rule, standing agreements) live in sharing.rule_services; the lifecycle in
sharing.services asks ``agreement_breaches`` before an agreement is created, proposed, signed,
activated or resumed; the projection asks ``projection_limits`` before it writes a field.

Tenant assumptions: none — the rules live in the public schema.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import (
    NEVER_SHAREABLE_FIELDS,
    SHAREABLE_FIELDS,
    Agreement,
    FieldRule,
    FieldRuleMode,
    LawfulBasis,
    Purpose,
    PurposePolicy,
    RecordType,
    RuleChange,
    Status,
)

# What a breach says: the rule, when it was set, and what to change.
FIELD_NEVER = (
    "The consortium's rule “{label} of {what} {verb} never shared” (set {date}) means this "
    "cannot be shared: {field}."
)
FIELD_PURPOSES = (
    "The consortium's rule “{label} of {what} {verb} shared only for {purposes}” (set {date}) "
    "means this cannot be shared for {purpose}: {field}."
)
LAWFUL_BASIS = (
    "The consortium's rule for {purpose} (set {date}) allows only these lawful bases: "
    "{bases}. Choose one of them."
)
CONSENT = (
    "The consortium's rule for {purpose} (set {date}) shares contacts only with their "
    "recorded consent: tick “only contacts who consented to sharing”."
)
DPIA = (
    "The consortium's rule for {purpose} (set {date}) requires a data protection impact "
    "assessment: give its reference."
)
TERM = (
    "The consortium's rule for {purpose} (set {date}) limits agreements to {months} months: "
    "set an end date no later than {latest}."
)
REVIEW = (
    "The consortium's rule for {purpose} (set {date}) asks for a review at least every "
    "{months} months: set a review date no later than {latest}."
)
NOT_ELIGIBLE = (
    "The consortium's rule for {purpose} (set {date}) lets only these members be party to "
    "such agreements: {eligible}. {outsiders} {verb} not among them."
)
ALL_MEMBERS_RESTRICTED = (
    "The consortium's rule for {purpose} (set {date}) lets only named members be party to "
    "such agreements, so it cannot be shared with all members: name the recipients."
)

POLICY_SETTINGS = (
    "lawful_bases", "contacts_need_consent", "admin_approval", "dpia_required",
    "max_term_months", "review_months", "parties_restricted", "eligible_members",
)  # fmt: skip


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


def agreement_breaches(
    agreement: Agreement, *, recipient_ids: list[int], rules: Rules
) -> dict[str, list[str]]:
    """Every rule ``agreement`` breaks, by the form field to change: {} when it keeps them."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    purpose = agreement.purpose
    policy = rules.policy(purpose)
    purpose_label = Purpose(purpose).label.lower() if purpose in Purpose.values else purpose
    for record_type in agreement.record_types:
        what = RecordType(record_type).label.lower()
        for name in agreement.fields_for(record_type):
            limit = rules.limit(record_type, name)
            if limit is None or limit.permits(purpose):
                continue
            template = FIELD_NEVER if limit.mode == FieldRuleMode.NEVER else FIELD_PURPOSES
            add(f"{record_type}_fields", template.format(
                label=limit.label, what=what, date=day(limit.set_at), field=name, verb=limit.verb,
                purposes=purposes_phrase(limit.purposes), purpose=purpose_label,
            ))  # fmt: skip
    if policy.lawful_bases and agreement.lawful_basis not in policy.lawful_bases:
        bases = ", ".join(LawfulBasis(b).label.lower() for b in policy.lawful_bases)
        add(
            "lawful_basis",
            LAWFUL_BASIS.format(
                purpose=purpose_label, date=day(policy.date_of("lawful_bases")), bases=bases
            ),
        )
    if (policy.contacts_need_consent and RecordType.CONTACT in agreement.record_types
            and not agreement.requires_consent):  # fmt: skip
        add("requires_consent", CONSENT.format(
            purpose=purpose_label, date=day(policy.date_of("contacts_need_consent"))))  # fmt: skip
    if policy.dpia_required and not agreement.dpia_reference.strip():
        add("dpia_reference", DPIA.format(
            purpose=purpose_label, date=day(policy.date_of("dpia_required"))))  # fmt: skip
    if policy.max_term_months and agreement.start_date:
        latest = add_months(agreement.start_date, policy.max_term_months)
        if agreement.end_date is None or agreement.end_date > latest:
            add("end_date", TERM.format(
                purpose=purpose_label, date=day(policy.date_of("max_term_months")),
                months=policy.max_term_months, latest=day(latest)))  # fmt: skip
    if policy.review_months and agreement.start_date:
        latest = add_months(agreement.start_date, policy.review_months)
        if agreement.review_date is None or agreement.review_date > latest:
            add("review_date", REVIEW.format(
                purpose=purpose_label, date=day(policy.date_of("review_months")),
                months=policy.review_months, latest=day(latest)))  # fmt: skip
    if policy.parties_restricted:
        date = day(policy.date_of("parties_restricted"))
        if agreement.all_members:
            add("all_members", ALL_MEMBERS_RESTRICTED.format(purpose=purpose_label, date=date))
        _eligibility(agreement, recipient_ids, policy, purpose_label, date, add)
    return errors


def _eligibility(agreement: Agreement, recipient_ids: list[int], policy: Policy,
                 purpose_label: str, date: str, add: Any) -> None:  # fmt: skip
    from tenants.models import Member

    names = dict(
        Member.objects.filter(
            pk__in=[agreement.provider_id, *recipient_ids, *policy.eligible_ids]
        ).values_list("pk", "name")
    )
    eligible = ", ".join(sorted(names[i] for i in policy.eligible_ids if i in names)) or "none yet"
    for where, ids in (("purpose", [agreement.provider_id]), ("recipients", recipient_ids)):
        outsiders = sorted(names.get(i, str(i)) for i in ids if i not in policy.eligible_ids)
        if outsiders:
            add(
                where,
                NOT_ELIGIBLE.format(
                    purpose=purpose_label,
                    date=date,
                    eligible=eligible,
                    outsiders=" and ".join(outsiders),
                    verb="is" if len(outsiders) == 1 else "are",
                ),
            )


def recipients_of(agreement: Agreement) -> list[int]:
    return [p.member_id for p in agreement.parties.all() if p.role == "recipient"]


def agreements_breaking(rules: Rules) -> list[tuple[Agreement, dict[str, list[str]]]]:
    """Active agreements that ``rules`` (e.g. a proposed change) would break, in provider
    order."""
    found = []
    candidates = (
        Agreement.objects.filter(status=Status.ACTIVE)
        .select_related("provider")
        .prefetch_related("parties")
        .order_by("provider_id", "pk")
    )
    for agreement in candidates:
        breaches = agreement_breaches(agreement, recipient_ids=recipients_of(agreement),
                                      rules=rules)  # fmt: skip
        if breaches:
            found.append((agreement, breaches))
    return found


def breaches_text(breaches: dict[str, list[str]]) -> str:
    return " ".join(message for messages in breaches.values() for message in messages)


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


def _months(n: int) -> str:
    return "1 month" if n == 1 else f"{n} months"


def policy_sentences(policy: Policy, member_names: dict[int, str]) -> list[tuple[str, str]]:
    """Each setting of a purpose's policy in plain English, by setting name."""
    sentences = []
    if policy.lawful_bases:
        bases = ", ".join(LawfulBasis(b).label.lower() for b in policy.lawful_bases)
        sentences.append(("lawful_bases", f"The lawful basis must be one of: {bases}."))
    else:
        sentences.append(("lawful_bases", "Any lawful basis may be given."))
    sentences.append(("contacts_need_consent", (
        "Contacts are shared only if they have recorded their consent to sharing."
        if policy.contacts_need_consent
        else "Each agreement says whether contacts need recorded consent."
    )))  # fmt: skip
    default = " (the consortium's default)" if policy.admin_approval is None else ""
    sentences.append(("admin_approval", (
        f"A consortium admin must approve each agreement before it starts{default}."
        if policy.approval_needed
        else f"The parties' signatures are enough; no consortium approval is needed{default}."
    )))  # fmt: skip
    sentences.append(("dpia_required", (
        "A data protection impact assessment (DPIA) is required, and its reference recorded."
        if policy.dpia_required
        else "No DPIA reference is required."
    )))  # fmt: skip
    sentences.append(("max_term_months", (
        f"An agreement lasts at most {_months(policy.max_term_months)}, then must be renewed."
        if policy.max_term_months
        else "There is no longest term."
    )))  # fmt: skip
    sentences.append(("review_months", (
        f"An agreement is reviewed at least every {_months(policy.review_months)}."
        if policy.review_months
        else "There is no set review interval."
    )))  # fmt: skip
    if policy.parties_restricted:
        names = sorted(member_names.get(i, str(i)) for i in policy.eligible_ids)
        sentences.append(("parties_restricted", (
            f"Only these members may be party: {', '.join(names)}." if names
            else "No member may be party yet: none is named."
        )))  # fmt: skip
    else:
        sentences.append(("parties_restricted", "Any member may be party."))
    return sentences


def rules_summary() -> dict[str, Any]:
    """Every rule in plain English with the date it was set, for the rules pages."""
    from tenants.models import Member

    from .models import StandingAgreement

    rules = rules_current()
    limits = sorted(
        (limit for limit in rules.fields.values() if limit.mode != FieldRuleMode.ANY),
        key=lambda limit: (limit.mode != FieldRuleMode.NEVER, limit.record_type, limit.label),
    )
    names = dict(Member.objects.values_list("pk", "name"))
    policies = []
    for purpose in Purpose.values:
        policy = rules.policy(purpose)
        dates = {
            name: max(filter(None, [policy.date_of(name), policy.date_of("eligible_members")]))
            if name == "parties_restricted" and policy.date_of(name)
            else policy.date_of(name)
            for name in POLICY_SETTINGS
        }
        policies.append({
            "purpose": purpose, "label": policy.label, "policy": policy,
            "sentences": [(name, sentence, dates[name])
                          for name, sentence in policy_sentences(policy, names)],
        })  # fmt: skip
    standing = [
        {"standing": s, "lines": standing_lines(s)}
        for s in StandingAgreement.objects.filter(is_active=True)
    ]
    return {
        "never": [limit for limit in limits if limit.mode == FieldRuleMode.NEVER],
        "purpose_only": [limit for limit in limits if limit.mode == FieldRuleMode.PURPOSES],
        "policies": policies,
        "standing": standing,
    }


def standing_dates(purpose: str, *, start: datetime.date) -> dict[str, datetime.date]:
    """The review and end dates a standing agreement's new member agreement takes from the
    purpose's rules (the consortium set both, so the terms keep them by construction)."""
    policy = rules_current().policy(purpose)
    dates = {"start_date": start}
    if policy.review_months:
        dates["review_date"] = add_months(start, policy.review_months)
    if policy.max_term_months:
        dates["end_date"] = add_months(start, policy.max_term_months)
    return dates


def standing_lines(standing: Any, *, joining: bool = False) -> list[str]:
    """A standing agreement in plain English: what every member (or the one joining) shares,
    with whom, and what it may do about it."""
    shared = []
    for record_type in standing.record_types:
        labels = [field_label(record_type, f) for f in standing.fields_for(record_type)]
        shared.append(f"{RecordType(record_type).label.lower()}: {', '.join(labels)}")
    which = (f"only records tagged {' or '.join(standing.criteria_tags)}"
             if standing.criteria_tags else "every record")  # fmt: skip
    who = "The new member shares" if joining else "Every member shares"
    lines = [
        f"{who} its {'; and its '.join(shared)} ({which}) with all members, from the moment "
        "it joins, for as long as the agreement stands.",
        f"Recipients may: {standing.get_access_mode_display().lower()}.",
    ]
    if RecordType.CONTACT in standing.record_types and standing.requires_consent:
        lines.append("Contacts are shared only if they consented to sharing.")
    if joining:
        members = (
            Agreement.objects.filter(standing=standing, status=Status.ACTIVE)
            .values("provider_id").distinct().count()
        )  # fmt: skip
        lines.append(
            f"In return it sees what the {members} member{'s' if members != 1 else ''} already "
            "in this agreement share under it."
            if members
            else "It is the first member to join: it will see what others share as they join."
        )
    lines.append("A member's managers can suspend or end its part at any time, from Agreements.")
    return lines
