"""Which of the consortium's rules an agreement breaks: each message names the rule, when it
was set, and what to change.

Tenant assumptions: none — the rules and agreements live in the public schema.
"""

from __future__ import annotations

from typing import Any

from sharing.models import (
    Agreement,
    FieldRuleMode,
    LawfulBasis,
    PartyRole,
    Purpose,
    RecordType,
    Status,
)

from .limits import Policy, Rules, add_months, day, purposes_phrase

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
    return [p.member_id for p in agreement.parties.all() if p.role == PartyRole.RECIPIENT]


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
