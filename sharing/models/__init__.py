"""Data-sharing agreements, the shared directory (a projection), the disclosure log and the
consortium's rules. All in the public schema; member records are referred to by plain ids (no
foreign key points into a member's schema).

A package by section; every model is exported here, where Django and the migrations look.
"""

from .agreements import (
    NEVER_SHAREABLE_FIELDS,
    PERSONAL_FIELDS,
    SHAREABLE_FIELDS,
    AccessMode,
    Agreement,
    AgreementEvent,
    AgreementParty,
    AgreementTemplate,
    LawfulBasis,
    PartyRole,
    Purpose,
    RecordType,
    Status,
)
from .directory import Disclosure, DisclosureAction, OrganisationLink, SharedRecord, SharedWord
from .person_keys import PersonKey, PersonKeyKind
from .rules import FieldRule, FieldRuleMode, PurposePolicy, RuleChange, StandingAgreement

__all__ = [
    "NEVER_SHAREABLE_FIELDS",
    "PERSONAL_FIELDS",
    "SHAREABLE_FIELDS",
    "AccessMode",
    "Agreement",
    "AgreementEvent",
    "AgreementParty",
    "AgreementTemplate",
    "Disclosure",
    "DisclosureAction",
    "FieldRule",
    "FieldRuleMode",
    "LawfulBasis",
    "OrganisationLink",
    "PartyRole",
    "PersonKey",
    "PersonKeyKind",
    "Purpose",
    "PurposePolicy",
    "RecordType",
    "RuleChange",
    "SharedRecord",
    "SharedWord",
    "StandingAgreement",
    "Status",
]
