"""The consortium's rules in plain English, for the rules pages, the add-member page and the
rule log; and the dates a standing agreement's member agreement takes from them.

Tenant assumptions: none — the rules live in the public schema.
"""

from __future__ import annotations

import datetime
from typing import Any

from sharing.models import (
    Agreement,
    FieldRuleMode,
    LawfulBasis,
    Purpose,
    RecordType,
    StandingAgreement,
    Status,
)

from .limits import POLICY_SETTINGS, Policy, add_months, field_label, rules_current


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


def joining_terms() -> list[dict[str, Any]]:
    """What joining the consortium means for sharing, before a member joins (the add-member
    page shows it)."""
    return [
        {"title": standing.name, "purpose": standing.get_purpose_display(),
         "description": standing.description, "lines": standing_lines(standing, joining=True)}
        for standing in StandingAgreement.objects.filter(is_active=True)
    ]  # fmt: skip
