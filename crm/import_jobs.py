"""An import as staff experience it: upload, check (a dry run), adjust, confirm, watch.

Small files are checked and imported inside the request; larger ones in the background,
with progress written over a separate connection so the page can show it.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from tenants.background import member_task_start, side_connection_execute

from .importing import ImportRejected, ImportResult, records_import
from .models import ImportJob, ImportStatus

ALREADY_STARTED = "This import has already been started, or needs checking again first."
CRASHED = "The import stopped part-way ({error}). Nothing was written; try again."


def _progress_writer(job_id: int):
    schema = connection.schema_name
    sql = f"UPDATE {ImportJob._meta.db_table} SET percent = %s, phase = %s WHERE id = %s"

    def write(percent: int, phase: str) -> None:
        side_connection_execute(
            alias=settings.IMPORT_PROGRESS_DATABASE, schema_name=schema, sql=sql,
            params=[percent, phase[:80], job_id],
        )  # fmt: skip

    return write


def import_job_create(*, upload: UploadedFile, acting_user: Any, tag_name: str = "") -> ImportJob:
    job = ImportJob(
        original_name=upload.name[:255], created_by=acting_user, tag_name=tag_name.strip()
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    return job


def _store(job: ImportJob, result: ImportResult | None, status: str, message: str = "") -> None:
    job.status = status
    if result is not None:
        job.record_type = result.record_type
        job.total_rows = result.total_rows
        job.summary = result.as_summary()
        job.mapping = {str(k): v for k, v in result.mapping.items()}
        job.errors = [
            {"row": p.row, "column": p.column, "message": p.message} for p in result.problems
        ]
        job.summary["problem_count"] = result.problem_count
    if message:
        job.summary = {**(job.summary or {}), "message": message}
    job.save()


def _run(job: ImportJob, *, dry_run: bool) -> None:
    write = _progress_writer(job.pk)
    mapping = {int(k): v for k, v in job.mapping.items()} if job.mapping else None
    try:
        with job.file.open("rb") as handle:
            result = records_import(
                handle=handle, size=job.file.size, acting_user=job.created_by,
                filename=job.original_name, record_type=job.record_type or None,
                mapping=mapping, tag_name=job.tag_name, dry_run=dry_run, progress=write,
            )  # fmt: skip
    except ImportRejected as exc:
        job.refresh_from_db(fields=["percent", "phase"])
        _store(job, exc.result, ImportStatus.FAILED, exc.message)
        return
    except Exception as exc:  # a crash: the import's transaction has rolled back
        job.refresh_from_db(fields=["percent", "phase"])
        _store(job, None, ImportStatus.CRASHED, CRASHED.format(error=type(exc).__name__))
        raise
    job.refresh_from_db(fields=["percent", "phase"])
    job.percent = 100
    if dry_run:
        _store(job, result, ImportStatus.CHECKED)
    else:
        job.finished_at = timezone.now()
        _store(job, result, ImportStatus.DONE)


def import_job_task(job_id: int, dry_run: bool) -> None:
    """Background entry point (already on the member's schema)."""
    _run(ImportJob.objects.get(pk=job_id), dry_run=dry_run)


def _start(job: ImportJob, *, dry_run: bool, status: str) -> None:
    job.status = status
    job.percent = 0
    job.phase = "Waiting to start"
    job.save(update_fields=["status", "percent", "phase"])
    if job.file.size <= settings.IMPORT_INLINE_BYTES:
        _run(job, dry_run=dry_run)
        return
    args = (job.pk, dry_run)
    transaction.on_commit(
        lambda: member_task_start(
            schema_name=connection.schema_name,
            dotted_path="crm.import_jobs.import_job_task",
            args=args,
        )
    )


def import_job_check(*, job: ImportJob, record_type: str | None = None,
                     mapping: dict[int, str] | None = None) -> ImportJob:  # fmt: skip
    """Check the file (a dry run that rolls back): preview, exact counts, every problem."""
    if record_type:
        job.record_type = record_type
    if mapping is not None:
        job.mapping = {str(k): v for k, v in mapping.items()}
    job.save()
    _start(job, dry_run=True, status=ImportStatus.CHECKING)
    return job


def import_job_confirm(*, job: ImportJob, acting_user: Any) -> ImportJob:
    """Write a checked import: all of it, or (on any failure) none of it. The job is claimed
    atomically, so a double click or a second tab cannot run it twice."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.IMPORTING
    )
    if not claimed:
        raise ValueError(ALREADY_STARTED)
    job.refresh_from_db()
    _start(job, dry_run=False, status=ImportStatus.IMPORTING)
    return job
