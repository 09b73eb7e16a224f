"""Every write of data sharing: agreements' lifecycle as members drive it (``agreements``),
what the consortium does to them (``enforcement``: rules, standing agreements, expiry), the
disclosure log (``disclosures``) and agreement templates (``templates``). The consortium's
rules themselves change through sharing.rule_services.

Tenant assumptions: none; everything written lives in the public schema, and the projection
names the provider's schema itself.
"""

from .agreements import (
    EDITABLE,
    NO_FIELDS,
    NO_RECIPIENTS,
    NO_RECORD_TYPES,
    NOT_AMENDABLE,
    NOT_AN_APPROVER,
    NOT_SIGNED,
    PROVIDER_AS_RECIPIENT,
    RULES_SUSPENDED,
    UNKNOWN_FIELDS,
    UNTICKED_FIELDS,
    WRONG_STATE,
    agreement_amend,
    agreement_approve,
    agreement_create,
    agreement_propose,
    agreement_resume,
    agreement_sign,
    agreement_suspend,
    agreement_terminate,
)
from .disclosures import disclosure_log, disclosure_record, disclosures_purge
from .enforcement import (
    agreement_join_standing,
    agreements_expire,
    agreements_suspend_breaking,
    agreements_terminate_for_exit,
)
from .templates import NOT_AN_OVERSEER, agreement_template_create

__all__ = [
    "EDITABLE",
    "NOT_AMENDABLE",
    "NOT_AN_APPROVER",
    "NOT_AN_OVERSEER",
    "NOT_SIGNED",
    "NO_FIELDS",
    "NO_RECIPIENTS",
    "NO_RECORD_TYPES",
    "PROVIDER_AS_RECIPIENT",
    "RULES_SUSPENDED",
    "UNKNOWN_FIELDS",
    "UNTICKED_FIELDS",
    "WRONG_STATE",
    "agreement_amend",
    "agreement_approve",
    "agreement_create",
    "agreement_join_standing",
    "agreement_propose",
    "agreement_resume",
    "agreement_sign",
    "agreement_suspend",
    "agreement_template_create",
    "agreement_terminate",
    "agreements_expire",
    "agreements_suspend_breaking",
    "agreements_terminate_for_exit",
    "disclosure_log",
    "disclosure_record",
    "disclosures_purge",
]
