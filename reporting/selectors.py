"""Reads of reporting on a member's site: a member's saved reports, and no one else's.

Tenant assumptions: saved reports live in the public schema, each tied to its member; the
caller names the member (the site's tenant).
"""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Member

from .models import SavedReport


def saved_reports_of(*, member: Member) -> QuerySet[SavedReport]:
    """The member's saved reports, by name."""
    return SavedReport.objects.filter(member=member)


def saved_report_get(*, member: Member, report_id: int) -> SavedReport:
    """One of the member's saved reports; another member's and a missing one raise the same
    ``SavedReport.DoesNotExist``."""
    return saved_reports_of(member=member).get(pk=report_id)
