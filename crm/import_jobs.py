"""An import as staff experience it: upload, check (a dry run), adjust, confirm, watch.

Small files are checked and imported inside the request; larger ones on the queue's workers
(tenants/queue.py), with progress written over a separate connection so the page can show it.
A queued check or import may run twice (its worker died, and another took the job over), so
each run first claims the job, and an import's rows and its "done" commit together.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from tenants.queue import member_task_defer, side_connection_execute

from .importing import ImportRejected, ImportResult, records_import
from .models import ImportJob, ImportStatus

ALREADY_STARTED = "This import has already been started, or needs checking again first."
CRASHED = "The import stopped part-way ({error}). Nothing was written; try again."
ABANDONED = (
    "This import was left unfinished for more than {hours} hours, so its file was removed. "
    "Nothing was imported from it: upload the file again to import it."
)
FILE_GONE = "This import's file has been removed. Upload the file again to import it."
FINISHED = {ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CRASHED}


def _schema() -> str:
    """The member's schema the connection is on (django-tenants' connection, untyped)."""
    return connection.schema_name  # type: ignore[attr-defined]


def _progress_writer(job_id: int):
    schema = _schema()
    sql = f"UPDATE {ImportJob._meta.db_table} SET percent = %s, phase = %s WHERE id = %s"

    def write(percent: int, phase: str) -> None:
        side_connection_execute(
            alias=settings.IMPORT_PROGRESS_DATABASE, schema_name=schema, sql=sql,
            params=[percent, phase[:80], job_id],
        )  # fmt: skip

    return write


def _file_remove(job: ImportJob) -> None:
    """Remove the uploaded file: kept only while someone may still check or confirm it."""
    if job.file.name:
        job.file.storage.delete(job.file.name)
    job.file = ""


def import_jobs_clean(*, older_than: timedelta | None = None) -> int:
    """Remove the files of abandoned imports (left unfinished, or failed and not re-checked,
    for longer than ``older_than``) and any upload no import refers to; returns how many
    files were removed. Unfinished jobs are marked as failed, saying why.

    Tenant assumptions: the connection is on the member's schema; only its folder is read.
    """
    from django.core.files.storage import default_storage

    age = older_than or timedelta(hours=settings.IMPORT_ABANDONED_HOURS)
    cutoff = timezone.now() - age
    removed = 0
    # A job being checked or imported keeps its file however old: its worker is reading it.
    working = [ImportStatus.CHECKING, ImportStatus.IMPORTING]
    old = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="")
    for job in old.exclude(status__in=working):
        _file_remove(job)
        if job.status not in FINISHED:
            job.status = ImportStatus.FAILED
            hours = int(age.total_seconds() // 3600)
            job.summary = {**(job.summary or {}), "message": ABANDONED.format(hours=hours)}
        job.save(update_fields=["file", "status", "summary"])
        removed += 1
    folder = f"imports/{_schema()}"
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return removed
    known = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    for name in names:
        path = f"{folder}/{name}"
        if path not in known and default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed


def import_job_create(*, upload: UploadedFile, acting_user: Any, tag_name: str = "") -> ImportJob:
    """Keep an upload for checking; abandoned imports' files are cleaned up first."""
    import_jobs_clean()
    name = upload.name or "upload"
    job = ImportJob(original_name=name[:255], created_by=acting_user, tag_name=tag_name.strip())
    job.file.save(name, upload, save=False)
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
        # An import's rows and its "done" commit together, so a second run of the same job
        # finds it done (a run that dies part-way leaves neither).
        with transaction.atomic():
            with job.file.open("rb") as handle:
                result = records_import(
                    handle=handle, size=job.file.size, acting_user=job.created_by,
                    filename=job.original_name, record_type=job.record_type or None,
                    mapping=mapping, tag_name=job.tag_name, dry_run=dry_run, progress=write,
                )  # fmt: skip
            job.refresh_from_db(fields=["percent", "phase"])
            job.percent = 100
            if dry_run:
                _store(job, result, ImportStatus.CHECKED)
                return
            job.finished_at = timezone.now()
            imported, job.file = job.file.name, ""
            _store(job, result, ImportStatus.DONE)
    except ImportRejected as exc:
        job.refresh_from_db(fields=["percent", "phase"])
        if exc.result is None:
            # The file itself was refused (size, not a table, encoding): no mapping can
            # rescue it, so it is not kept. Row problems keep it for "check again" until
            # the import is abandoned.
            _file_remove(job)
        _store(job, exc.result, ImportStatus.FAILED, exc.message)
        return
    except Exception as exc:  # a crash: the import's transaction has rolled back
        job.refresh_from_db(fields=["percent", "phase"])
        _store(job, None, ImportStatus.CRASHED, CRASHED.format(error=type(exc).__name__))
        raise
    # Only once "done" is committed: a run that died before would still need the file.
    job.file.storage.delete(imported)


def import_job_task(job_id: int, dry_run: bool) -> None:
    """Queue entry point (already on the member's schema).

    Runs only a job still waiting for it. A second run of the same job (its worker died, or
    only looked dead, and another took the job over) waits for any run still going, then
    finds the job finished and does nothing.
    """
    waiting = ImportStatus.CHECKING if dry_run else ImportStatus.IMPORTING
    key = f"crm.import_job:{_schema()}:{job_id}"
    with connection.cursor() as cursor:
        # A session lock, not a transaction's: the run commits more than once on its way.
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        try:
            job = ImportJob.objects.filter(pk=job_id, status=waiting).first()
            if job is not None:
                _run(job, dry_run=dry_run)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def _start(job: ImportJob, *, dry_run: bool, status: str, claim_from: str | None = None) -> None:
    """Check or import the file now (a small one) or on the queue. The job's new status
    and its place in the queue commit together, or neither does; ``claim_from`` claims the
    job from that status first, so a double click or a second tab cannot start it twice."""
    queued = job.file.size > settings.IMPORT_INLINE_BYTES
    with transaction.atomic():
        if claim_from is not None:
            claimed = ImportJob.objects.filter(pk=job.pk, status=claim_from).update(status=status)
            if not claimed:
                raise ValueError(ALREADY_STARTED)
            job.refresh_from_db()
        job.status = status
        job.percent = 0
        job.phase = "Waiting to start"
        job.save(update_fields=["status", "percent", "phase"])
        if queued:
            member_task_defer(
                schema_name=_schema(),
                dotted_path="crm.import_jobs.import_job_task",
                args=(job.pk, dry_run),
            )
    if not queued:
        _run(job, dry_run=dry_run)


def import_job_check(*, job: ImportJob, record_type: str | None = None,
                     mapping: dict[int, str] | None = None) -> ImportJob:  # fmt: skip
    """Check the file (a dry run that rolls back): preview, exact counts, every problem."""
    if not job.file:
        raise ValueError(FILE_GONE)
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
    _start(job, dry_run=False, status=ImportStatus.IMPORTING, claim_from=ImportStatus.CHECKED)
    return job
