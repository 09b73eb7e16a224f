"""The consortium's sharing rules, read: the limits every agreement must keep (``limits``),
which of them an agreement breaks (``breaches``), and the rules in plain English
(``wording``).

Writes (changing a rule, standing agreements) live in sharing.rule_services; the lifecycle in
sharing.services asks ``agreement_breaches`` before an agreement is created, proposed, signed,
activated or resumed; the projection asks ``projection_limits`` before it writes a field.

Tenant assumptions: none — the rules live in the public schema.
"""

from .breaches import (
    agreement_breaches,
    agreements_breaking,
    breaches_text,
    recipients_of,
)
from .limits import (
    POLICY_SETTINGS,
    FieldLimit,
    Policy,
    ProjectionLimits,
    Rules,
    add_months,
    approval_needed,
    day,
    field_label,
    field_limit_of,
    field_limit_proposed,
    policy_of,
    policy_proposed,
    projection_limits,
    purposes_phrase,
    rules_current,
    verb_for,
)
from .wording import (
    joining_terms,
    policy_sentences,
    rules_summary,
    standing_dates,
    standing_lines,
)

__all__ = [
    "POLICY_SETTINGS",
    "FieldLimit",
    "Policy",
    "ProjectionLimits",
    "Rules",
    "add_months",
    "agreement_breaches",
    "agreements_breaking",
    "approval_needed",
    "breaches_text",
    "day",
    "field_label",
    "field_limit_of",
    "field_limit_proposed",
    "joining_terms",
    "policy_of",
    "policy_proposed",
    "policy_sentences",
    "projection_limits",
    "purposes_phrase",
    "recipients_of",
    "rules_current",
    "rules_summary",
    "standing_dates",
    "standing_lines",
    "verb_for",
]
