"""Retention: changing a member's schedules, and running them.

A run works on the member's schema. It first takes a session advisory lock for the member
(two runs never overlap; a run whose process dies loses the lock with its connection), marks
any run left "running" by a dead process as interrupted, and lists what each enabled
schedule would touch (``rights.retention_selectors.retention_due``: the preview's own
query, so the preview's counts are what a run does). Then the records are processed in
batches (``settings.RETENTION_BATCH``, 200 by default), each in a transaction of its own:
the batch is read again under row locks and checked still due (a legal hold placed
meanwhile wins), anonymised or deleted through crm's set-based services (events', for
registrations, one by one), which announce the change so projections and person keys follow
in the same transaction, and the run's counts are updated in that same transaction. A run
killed at any moment leaves every record untouched or fully processed, its counts saying
exactly which; the next run finds the rest still due and carries on. (One transaction a
record made a run of 10,000 records take minutes: a commit and a dozen queries each.)

The audit log gets one row per run with its counts, never a name.

Tenant assumptions: ``retention_run`` runs on the member's schema (its site's request, or a
job or command that entered it at its boundary); schedules and runs are public rows.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Manager
from django.utils import timezone

from crm import services as crm_services
from crm.models import ImportJob
from events.models import Registration
from events.services.anonymise import registration_anonymise, registration_remove
from tenants.audit import audit_record
from tenants.models import Member
from tenants.queue import member_task_defer

from .permissions import can_manage_retention
from .retention_models import (
    RecordType,
    RetentionAction,
    RetentionRun,
    RetentionSchedule,
    RunStatus,
    RunTrigger,
)
from .retention_selectors import RULES_FOR, RUN_ORDER, retention_due, retention_schedules_for

NOT_YOURS = "Only a manager or a data protection lead of this member may do that."
ALREADY_GOING = "A retention run is already going: wait for it to finish."
WRONG_RULE = "That rule does not apply to this kind of record."
PERIOD_RANGE = "Choose a period between 1 month and 100 years."
MAX_MONTHS = 1200
RUN_JOB = "rights.retention_tasks.retention_run_job"


# record type -> action -> the service that does it to a batch of records (their ids); for
# contacts and interactions set-based, for the few registrations and import files one by one.
def _each(manager: Manager[Any], service: Callable[[Any, Any], Any]) -> Callable[..., int]:
    def run(ids: list[int], acting_user: Any) -> int:
        for record in manager.filter(pk__in=ids).order_by("pk"):
            service(record, acting_user)
        return len(ids)

    return run


_PROCESS: dict[str, dict[str, Callable[[list[int], Any], int]]] = {
    RecordType.CONTACT: {
        RetentionAction.ANONYMISE: lambda ids, u: crm_services.contacts_anonymise(
            contact_ids=ids, acting_user=u),
        RetentionAction.DELETE: lambda ids, u: crm_services.contacts_remove(
            contact_ids=ids, acting_user=u),
    },
    RecordType.INTERACTION: {
        RetentionAction.ANONYMISE: lambda ids, u: crm_services.interactions_anonymise(
            interaction_ids=ids, acting_user=u),
        RetentionAction.DELETE: lambda ids, u: crm_services.interactions_remove(
            interaction_ids=ids, acting_user=u),
    },
    RecordType.REGISTRATION: {
        RetentionAction.ANONYMISE: _each(Registration.objects, lambda r, u: registration_anonymise(
            registration=r, acting_user=u)),
        RetentionAction.DELETE: _each(Registration.objects, lambda r, u: registration_remove(
            registration=r, acting_user=u)),
    },
    RecordType.IMPORT_FILE: {
        RetentionAction.ANONYMISE: _each(ImportJob.objects, lambda r, u: (
            crm_services.import_job_expire(job=r, keep_counts=True, acting_user=u))),
        RetentionAction.DELETE: _each(ImportJob.objects, lambda r, u: (
            crm_services.import_job_expire(job=r, keep_counts=False, acting_user=u))),
    },
}  # fmt: skip


def _require(acting_user: Any, member: Member) -> None:
    if not can_manage_retention(acting_user, member):
        raise PermissionDenied(NOT_YOURS)


@transaction.atomic
def retention_schedule_update(
    *, member: Member, record_type: str, rule: str, period_months: int, action: str,
    enabled: bool, acting_user: Any,
) -> RetentionSchedule:  # fmt: skip
    """Set the member's schedule for one kind of record (made from the default the first
    time). Unchanged values write nothing."""
    _require(acting_user, member)
    if rule not in RULES_FOR.get(record_type, ()):
        raise ValidationError({"rule": WRONG_RULE})
    if not 1 <= period_months <= MAX_MONTHS:
        raise ValidationError({"period": PERIOD_RANGE})
    current = next(s for s in retention_schedules_for(member=member)
                   if s.record_type == record_type)  # fmt: skip
    wanted = {"rule": rule, "period_months": period_months, "action": action, "enabled": enabled}
    if current.pk and all(getattr(current, k) == v for k, v in wanted.items()):
        return current
    before = {k: getattr(current, k) for k in wanted} if current.pk else {}
    for key, value in wanted.items():
        setattr(current, key, value)
    current.updated_by = acting_user
    current.full_clean()
    current.save()
    audit_record(action="retention.schedule_changed", actor=acting_user, member=member,
                 target=f"retention schedule {current.pk}", record_type=record_type,
                 before=before, after=wanted)  # fmt: skip
    return current


@transaction.atomic
def retention_run_request(*, member: Member, acting_user: Any) -> RetentionRun:
    """ "Run now": a run queued for the member, and its job, committed together."""
    _require(acting_user, member)
    if RetentionRun.objects.filter(
        member=member, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists():
        raise ValidationError(ALREADY_GOING)
    run = RetentionRun.objects.create(member=member, trigger=RunTrigger.MANUAL,
                                      requested_by=acting_user)  # fmt: skip
    audit_record(action="retention.run_requested", actor=acting_user, member=member,
                 target=f"retention run {run.pk}")  # fmt: skip
    member_task_defer(schema_name=member.schema_name, dotted_path=RUN_JOB, args=(run.pk,))
    return run


def _lock_key(member: Member) -> int:
    return zlib.crc32(f"retention:{member.pk}".encode()) - 2**31


def _lock_take(member: Member) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(member)])
        return bool(cursor.fetchone()[0])


def _lock_release(member: Member) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(member)])


def _process_batch(
    run: RetentionRun, schedule: RetentionSchedule, pks: list[int], today: dt.date,
    acting_user: Any,
) -> int:  # fmt: skip
    """Anonymise or delete a batch of records in one transaction, with the run's counts;
    returns how many were still due (a hold placed since, or an edit, keeps a record): those
    are read again under row locks first, so nothing changes them meanwhile."""
    with transaction.atomic():
        due = retention_due(schedule=schedule, today=today).filter(pk__in=pks)
        found = list(due.select_for_update(of=("self",)).values_list("pk", flat=True))
        if not found:
            return 0
        _PROCESS[schedule.record_type][schedule.action](found, acting_user)
        by_action = run.counts.setdefault(schedule.record_type, {})
        by_action[schedule.action] = by_action.get(schedule.action, 0) + len(found)
        RetentionRun.objects.filter(pk=run.pk).update(counts=run.counts)
        return len(found)


def retention_run(
    *, member: Member, acting_user: Any, trigger: str = RunTrigger.NIGHTLY,
    run: RetentionRun | None = None, today: dt.date | None = None,
) -> RetentionRun:  # fmt: skip
    """Run the member's enabled schedules now (on its schema); returns the run, whose
    ``counts`` say what it did. ``acting_user`` is who asked (None for the nightly job)."""
    if connection.schema_name != member.schema_name:  # type: ignore[attr-defined]
        raise ValueError("retention_run must run on the member's own schema")
    today = today or timezone.localdate()
    if run is None:
        run = RetentionRun.objects.create(member=member, trigger=trigger,
                                          requested_by=acting_user)  # fmt: skip
    if run.status in {RunStatus.DONE, RunStatus.FAILED}:
        return run  # a job run twice: the first did it
    if not _lock_take(member):
        if run.status == RunStatus.QUEUED and trigger == RunTrigger.NIGHTLY:
            run.delete()  # the run by hand that holds the lock does tonight's work
        return run
    try:
        RetentionRun.objects.filter(member=member, status=RunStatus.RUNNING).exclude(
            pk=run.pk).update(status=RunStatus.INTERRUPTED)  # fmt: skip
        schedules = [s for s in retention_schedules_for(member=member) if s.enabled and s.pk]
        plan = [(s, list(retention_due(schedule=s, today=today).values_list("pk", flat=True)))
                for s in schedules]  # fmt: skip
        run.planned = run.processed + sum(len(ids) for _, ids in plan)
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.save(update_fields=["planned", "status", "started_at"])
        try:
            size = max(1, settings.RETENTION_BATCH)
            for schedule, ids in plan:
                for start in range(0, len(ids), size):
                    _process_batch(run, schedule, ids[start : start + size], today, acting_user)
        except Exception as exc:
            run.status = RunStatus.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:500]
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            audit_record(action="retention.run_stopped", actor=acting_user, member=member,
                         target=f"retention run {run.pk}", counts=run.counts)  # fmt: skip
            return run
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        audit_record(action="retention.run_finished", actor=acting_user, member=member,
                     target=f"retention run {run.pk}", trigger=run.trigger,
                     counts=run.counts)  # fmt: skip
        return run
    finally:
        _lock_release(member)


def retention_nightly_queue(*, acting_user: Any = None) -> list[int]:
    """Queue tonight's run for every active member with a schedule in use; returns the runs'
    ids. Each run is a job of its own on its member's schema."""
    runs = []
    member_ids = set(
        RetentionSchedule.objects.filter(enabled=True).values_list("member_id", flat=True)
    )
    for member in Member.organisations.active().filter(pk__in=member_ids).order_by("pk"):
        with transaction.atomic():
            run = RetentionRun.objects.create(member=member, trigger=RunTrigger.NIGHTLY)
            member_task_defer(schema_name=member.schema_name, dotted_path=RUN_JOB,
                              args=(run.pk,))  # fmt: skip
        runs.append(run.pk)
    return runs


__all__ = [
    "RUN_ORDER",
    "retention_nightly_queue",
    "retention_run",
    "retention_run_request",
    "retention_schedule_update",
]
