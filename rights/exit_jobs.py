"""The exit's background work: building a member's complete export on the queue's workers
(tenants/queue.py), with progress written over a separate connection so the page can show it
while the export's own snapshot transaction is open.

Tenant assumptions: the queue's boundary has put the connection on the member's schema.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tenants.queue import side_connection_execute

from .exit_export import export_build
from .exit_models import ExitState, MemberExit
from .exit_selectors import export_path_for

EXPORT_CRASHED = "The export stopped part-way ({error}). Start it again."


def _progress_writer(exit_id: int) -> Callable[[int, str], None]:
    schema = connection.schema_name  # type: ignore[attr-defined]
    sql = f"UPDATE {MemberExit._meta.db_table} SET progress = %s, phase = %s WHERE id = %s"

    def write(percent: int, phase: str) -> None:
        side_connection_execute(
            alias=settings.IMPORT_PROGRESS_DATABASE, schema_name=schema, sql=sql,
            params=[min(percent, 100), phase[:120], exit_id],
        )  # fmt: skip

    return write


def member_exit_export_run(exit_: MemberExit) -> MemberExit:
    """Build the export (on the member's schema: the caller put the connection there).

    Safe to run twice: a run claims the exit first, and a second finds it no longer waiting.
    """
    claimed = MemberExit.objects.filter(
        pk=exit_.pk, state__in=[ExitState.EXPORT_QUEUED, ExitState.EXPORTING]
    ).update(state=ExitState.EXPORTING)
    if not claimed:
        return exit_
    exit_.refresh_from_db()
    path = export_path_for(exit_)
    try:
        manifest = export_build(path=path, member_name=exit_.member.name,
                                progress=_progress_writer(exit_.pk))  # fmt: skip
    except Exception as exc:
        MemberExit.objects.filter(pk=exit_.pk).update(
            state=ExitState.EXPORT_FAILED, error=EXPORT_CRASHED.format(error=type(exc).__name__)
        )
        raise
    MemberExit.objects.filter(pk=exit_.pk).update(
        state=ExitState.EXPORT_READY, progress=100, phase="Ready", file_path=str(path),
        file_size=manifest["size"], sha256=manifest["sha256"], export_finished_at=timezone.now(),
    )  # fmt: skip
    exit_.refresh_from_db()
    return exit_


def member_exit_export_task(exit_id: int) -> None:
    """Queue entry point (already on the member's schema), under a session lock so that a
    second run of the same job waits for the first and then finds it done."""
    key = f"rights.member_exit:{exit_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        try:
            exit_ = MemberExit.objects.select_related("member").filter(pk=exit_id).first()
            if exit_ is not None:
                member_exit_export_run(exit_)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
