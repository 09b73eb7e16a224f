"""An agreement's selection criteria, defined once: which of the provider's records it picks
(its tags, organisation types and districts; never a record whose processing is
restricted under Art. 18; for contacts, never a restricted one, and only
with consent where the agreement or the consortium's rules ask for it).

The shared directory's projection (sharing.projection) and the research pool
(reporting.pooling) both select through ``agreement_selection``, so the two can never pick
different records for the same terms.

Tenant assumptions: none — the SQL names the provider's schema explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenants.provisioning import quote_ident

from .models import RecordType
from .rules import ProjectionLimits, projection_limits

if TYPE_CHECKING:
    from .models import Agreement

# Parameter names the fragments use: prefixed, so that they cannot meet a caller's own.
TAGS, ORG_TYPES, DISTRICTS = "criteria_tags", "criteria_org_types", "criteria_districts"
TAG_LINKS = {
    RecordType.CONTACT: ("crm_contact_tags", "contact_id"),
    RecordType.ORGANISATION: ("crm_organisation_tags", "organisation_id"),
}


@dataclass(frozen=True)
class Selection:
    """SQL conditions on one record table (by its alias) and the named parameters they use."""

    conditions: tuple[str, ...]
    params: dict[str, list[str]]

    @property
    def sql(self) -> str:
        return " AND ".join(self.conditions) or "TRUE"


def contacts_need_consent(agreement: Agreement, limits: ProjectionLimits) -> bool:
    """Whether only contacts whose latest sharing consent is a yes may be picked: the
    agreement says so, or the consortium's rules do for its purpose."""
    return agreement.requires_consent or agreement.purpose in limits.consent_purposes


def agreement_selection(agreement: Agreement, record_type: str, *, schema: str,
                        alias: str = "r",
                        limits: ProjectionLimits | None = None) -> Selection:  # fmt: skip
    """The conditions a row ``alias`` of the provider's ``record_type`` table (in ``schema``)
    must meet to be picked by ``agreement``. ``limits`` are the consortium's rules as the
    projection read them; for contacts they are read here when not given."""
    s = quote_ident(schema)
    # A record whose processing is restricted (Art. 18) is never shared until it is lifted.
    conditions: list[str] = [f"{alias}.processing_restricted_at IS NULL"]
    if record_type == RecordType.CONTACT:
        # Nothing of a restricted contact is ever shared, whatever an agreement says (the
        # consortium's locked rule "restricted"; no setting turns this clause off).
        conditions.append(f"NOT {alias}.is_restricted")
        if contacts_need_consent(agreement, limits or projection_limits()):
            conditions.append(
                f"(SELECT c.status FROM {s}.crm_consent c WHERE c.contact_id = {alias}.id "
                "AND c.purpose = 'sharing' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1) "
                "= 'granted'"
            )
    else:
        if agreement.criteria_org_types:
            conditions.append(f"{alias}.org_type = ANY(%({ORG_TYPES})s)")
        if agreement.criteria_districts:
            conditions.append(f"{alias}.district = ANY(%({DISTRICTS})s)")
    if agreement.criteria_tags:
        table, fk = TAG_LINKS[RecordType(record_type)]
        conditions.append(
            f"EXISTS (SELECT 1 FROM {s}.{table} t JOIN {s}.crm_tag g ON g.id = t.tag_id "
            f"WHERE t.{fk} = {alias}.id AND g.name = ANY(%({TAGS})s))"
        )
    params = {
        TAGS: list(agreement.criteria_tags),
        ORG_TYPES: list(agreement.criteria_org_types),
        DISTRICTS: list(agreement.criteria_districts),
    }
    return Selection(conditions=tuple(conditions), params=params)
