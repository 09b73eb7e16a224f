"""Reads of imports: which a user may see (their own; a manager sees everyone's).

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crm.models import ImportJob
from tenants.permissions import can_manage_people

from .team import member_here


def import_jobs_visible_to(*, user: Any) -> QuerySet[ImportJob]:
    """Imports ``user`` may see, newest first: their own; a manager here sees everyone's."""
    jobs = ImportJob.objects.select_related("created_by")
    member = member_here()
    if member is not None and can_manage_people(user, member):
        return jobs
    return jobs.filter(created_by=user)


def import_job_get_for_user(*, user: Any, job_id: int) -> ImportJob:
    """One import ``user`` may see; another's (for staff) raises DoesNotExist, as a missing id."""
    return import_jobs_visible_to(user=user).get(pk=job_id)
