"""Writes of reporting on a member's site: saved reports. (Research writes are in
:mod:`reporting.research`, the pool's in :mod:`reporting.pooling`.)

Tenant assumptions: saved reports live in the public schema, each tied to its member; the
caller names the member (the site's tenant).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.audit import audit_record
from tenants.models import Member

from .models import SavedReport

REPORT_NAME_NEEDED = "Give the report a name to save it."


@transaction.atomic
def report_save(
    *, member: Member, name: str, spec: dict[str, Any], acting_user: Any
) -> SavedReport:
    """Save a report-builder query under a name, for the member's staff to run again."""
    name = name.strip()
    if not name:
        raise ValidationError(REPORT_NAME_NEEDED)
    report = SavedReport(member=member, name=name, spec=spec, created_by=acting_user)
    report.full_clean()
    report.save()
    audit_record(action="report.saved", actor=acting_user, member=member, target=name)
    return report
