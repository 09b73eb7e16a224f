"""Snapshots: a project's frozen copy of one wave of a dataset, under the project's own
pseudonyms, holding only what research agreements in force let into the pool.

Tenant assumptions: public schema only (the pool and snapshots live there).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reporting.models import (
    DatasetQuestion,
    PooledResponse,
    ResearchDataset,
    ResearchProject,
    Snapshot,
    SnapshotRow,
)
from reporting.pseudonyms import pseudonym
from sharing.models import Agreement, Purpose, Status

from .access import project_require_open, project_require_researcher

NO_SNAPSHOT = "Take a snapshot of this wave first."
NO_SUCH_WAVE = "Choose one of this dataset's waves (years)."


def active_research_agreements() -> list[int]:
    """Research agreements in force today: active, and within their dates (an agreement
    past its end date counts as ended before the nightly expiry marks it so)."""
    today = timezone.localdate()
    return list(
        Agreement.objects.filter(status=Status.ACTIVE, purpose=Purpose.RESEARCH,
                                 start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("pk", flat=True)
    )  # fmt: skip


@transaction.atomic
def snapshot_take(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  acting_user: Any) -> Snapshot:  # fmt: skip
    """Freeze one wave of a dataset for the project (the kept response per organisation)."""
    project_require_open(project)
    project_require_researcher(project, acting_user)
    if not project.datasets.filter(pk=dataset.pk).exists():
        raise PermissionDenied("This project has not been given that dataset.")
    if not DatasetQuestion.objects.filter(dataset=dataset, year=year).exists():
        raise ValidationError({"year": NO_SUCH_WAVE})
    snapshot, created = Snapshot.objects.get_or_create(
        project=project, dataset=dataset, year=year, defaults={"taken_by": acting_user}
    )
    if created:
        pooled = PooledResponse.objects.filter(
            dataset=dataset, year=year, kept=True, agreement_id__in=active_research_agreements()
        )
        SnapshotRow.objects.bulk_create([
            SnapshotRow(snapshot=snapshot, pseudonym=pseudonym(project, p.match_key),
                        provider_id=p.provider_id, agreement_id=p.agreement_id,
                        response_id=p.response_id, attributes=p.attributes,
                        answers=p.answers)
            for p in pooled.iterator(chunk_size=2000)
        ], batch_size=2000)  # fmt: skip
    return snapshot


def snapshot_get(project: ResearchProject, dataset: ResearchDataset, year: int) -> Snapshot:
    """The project's snapshot of this wave; a table or extract needs one taken first."""
    snapshot = Snapshot.objects.filter(project=project, dataset=dataset, year=year).first()
    if snapshot is None:
        raise ValidationError(NO_SNAPSHOT)
    return snapshot
