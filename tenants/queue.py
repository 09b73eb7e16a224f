"""The queue: background work for one member, kept in PostgreSQL by procrastinate.

A job is a row in the public schema's ``procrastinate_jobs``, written on the caller's own
connection, so it commits or rolls back with whatever the caller wrote beside it. Workers
(``manage.py procrastinate worker``) run the jobs; each job names the member's schema and
enters it at this boundary, so the work itself never chooses a schema.

A worker that dies mid-job stops sending heartbeats; after ``QUEUE_STALLED_SECONDS`` its
running jobs are put back in the queue by ``stalled_jobs_retry`` (every worker schedules it)
and another worker runs them again. Work run this way must therefore be safe to run twice.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string
from procrastinate import App, Blueprint, JobContext
from procrastinate.exceptions import ConnectorException

from .boundary import member_run

tasks = Blueprint()


@tasks.task(name="tenants.member_task")
def member_task(*, schema_name: str, dotted_path: str, args: list[Any]) -> None:
    """Run ``dotted_path(*args)`` on ``schema_name``'s schema (in the worker)."""
    member_run(schema_name, import_string(dotted_path), *args)


def member_task_defer(*, schema_name: str, dotted_path: str, args: tuple[Any, ...] = ()) -> int:
    """Queue ``dotted_path(*args)`` to run on ``schema_name``'s schema; returns the job's id.

    The job is written on the default connection, inside the caller's transaction: if that
    rolls back, no job is left behind, and no worker sees the job before it commits.
    """
    return member_task.defer(schema_name=schema_name, dotted_path=dotted_path, args=list(args))


@tasks.task(
    name="tenants.stalled_jobs_retry", pass_context=True,
    queueing_lock="tenants.stalled_jobs_retry",
)  # fmt: skip
async def stalled_jobs_retry(context: JobContext, timestamp: int) -> list[int]:
    """Put back in the queue every job whose worker stopped sending heartbeats; returns
    their ids. Scheduled by ``queue_ready`` on every worker."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=settings.QUEUE_STALLED_SECONDS)
    retried = []
    for job in stalled:
        # Another worker's check may have put it back first: then it is no longer running.
        with contextlib.suppress(ConnectorException):
            await manager.retry_job(job)
            retried.append(job.id)
    return [job_id for job_id in retried if job_id is not None]


@tasks.task(name="tenants.finished_jobs_remove", pass_context=True)
async def finished_jobs_remove(context: JobContext, timestamp: int) -> None:
    """Forget jobs that succeeded more than ``QUEUE_KEEP_HOURS`` ago (failed ones stay, for
    whoever looks into them)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=settings.QUEUE_KEEP_HOURS)


@tasks.task(name="tenants.dormant_memberships_suspend", queueing_lock="tenants.dormant")
def dormant_memberships_suspend(timestamp: int) -> int:
    """Suspend dormant memberships at every member (``tenants.review_services``); returns how
    many. Safe to run twice: a second run finds them suspended already."""
    from .review_services import memberships_suspend_dormant

    return len(memberships_suspend_dormant(acting_user=None))


def queue_ready(app: App) -> None:
    """Register the tasks and their schedules on procrastinate's app (its
    ``PROCRASTINATE_ON_APP_READY`` hook), so the schedule is read from settings once they
    are ready rather than when this module is imported."""
    app.add_tasks_from(tasks, namespace="")
    app.periodic(cron=settings.QUEUE_STALLED_CHECK_CRON, periodic_id="stalled")(stalled_jobs_retry)
    app.periodic(cron="17 * * * *", periodic_id="finished")(finished_jobs_remove)
    app.periodic(cron=settings.COMMONS_DORMANT_CRON, periodic_id="dormant")(
        dormant_memberships_suspend
    )
    # Apps above tenants add their own jobs: an app config's ``queue_plug(app)`` (tenants
    # imports none of them; the app registry is complete by the time this runs).
    for config in django_apps.get_app_configs():
        plug = getattr(config, "queue_plug", None)
        if plug is not None:
            plug(app)


def side_connection_execute(*, alias: str, schema_name: str, sql: str, params: list) -> None:
    """Run one statement on connection ``alias`` (autocommit), on ``schema_name``.

    For progress reports that must be visible while the main connection's transaction is
    still open (an import's, say).
    """
    other = connections[alias]
    if alias != "default":
        other.set_schema(schema_name)  # type: ignore[attr-defined]  # django-tenants' wrapper
    with other.cursor() as cursor:
        cursor.execute(sql, params)
