"""The consortium's agreement templates: starting points for the agreements members make
most. Consortium admins add them; every addition is in the audit log.

Tenant assumptions: none — templates live in the public schema.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sharing.models import AgreementTemplate
from sharing.permissions import can_oversee_sharing
from tenants.permissions import permission_require

NOT_AN_OVERSEER = "Only a consortium admin can add agreement templates."
TEMPLATE_FIELDS = frozenset({
    "name", "description", "purpose", "all_members", "record_types", "contact_fields",
    "organisation_fields", "criteria_tags", "requires_consent", "access_mode",
    "expected_benefit", "retention", "security_notes",
})  # fmt: skip


@transaction.atomic
def agreement_template_create(*, acting_user: Any, **fields: Any) -> AgreementTemplate:
    """A new template members can start an agreement from."""
    from tenants.audit import audit_record

    permission_require(can_oversee_sharing(acting_user), NOT_AN_OVERSEER)
    unknown = set(fields) - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"Unknown agreement template fields: {sorted(unknown)}")
    template = AgreementTemplate(**fields)
    template.full_clean()
    template.save()
    audit_record(action="sharing.agreement_template_created", actor=acting_user,
                 target=template.name, template_id=template.pk)  # fmt: skip
    return template
