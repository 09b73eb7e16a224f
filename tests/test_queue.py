"""The queue (tenants/queue.py): jobs live in PostgreSQL, commit with the rows that asked
for them, survive the death of the worker running them, and run against the member they
were queued for.

Workers here are real `manage.py procrastinate worker` processes (tests/conftest.py); what
they do is read from pg_stat_activity and pg_locks, and every wait is bounded.
"""

from __future__ import annotations

import secrets
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings

from tests.conftest import (
    database_raw_connect,
    process_stop,
    queue_backends,
    queue_worker_start,
    wait_until,
)
from tests.threads import in_thread

QUEUE = "test-kill"


def _lock_waiters(lock_key: int) -> set[str]:
    """Names of the workers whose sessions wait for advisory lock ``lock_key``."""
    with database_raw_connect() as raw:
        rows = raw.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND NOT l.granted"
            " AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1",
            [lock_key],
        ).fetchall()
    return {name for (name,) in rows}


def _queued_job(job_id: int) -> tuple[str, int]:
    with database_raw_connect() as raw:
        return raw.execute(
            "SELECT status::text, attempts FROM public.procrastinate_jobs WHERE id = %s", [job_id]
        ).fetchone()


@pytest.mark.timeout(600)
def test_a_job_whose_worker_is_killed_mid_way_finishes_on_another(
    django_db_setup, django_db_blocker, tmp_path
):
    """Worker A takes a job and is killed (SIGKILL) while the job waits on a lock the test
    holds; worker B, started afterwards, takes the job over once A's heartbeat is stale, and
    the job finishes there, once, on the member's schema it was queued for."""
    from tenants.queue import member_task

    lock_key = secrets.randbelow(2**31)
    record = tmp_path / "ran.txt"
    logs = tmp_path / "workers.log"
    holder = database_raw_connect()
    holder.execute("SELECT pg_advisory_lock(%s)", [lock_key])
    worker_a = worker_b = None
    try:
        worker_a = queue_worker_start("commons-test-a", logs, queues=QUEUE)

        def defer() -> int:
            with transaction.atomic():
                return member_task.configure(queue=QUEUE).defer(
                    schema_name="alpha",
                    dotted_path="tests.queue_tasks.lock_wait_then_record",
                    args=[lock_key, str(record)],
                )

        job_id = in_thread(defer, blocker=django_db_blocker)
        wait_until(lambda: "commons-test-a" in _lock_waiters(lock_key),
                   what="worker A to be mid-job", process=worker_a, log_path=logs)  # fmt: skip
        assert _queued_job(job_id)[0] == "doing"

        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(timeout=30)
        # B serves the default queue too: the stalled-job check runs there.
        worker_b = queue_worker_start("commons-test-b", logs, queues=f"{QUEUE},default")
        wait_until(lambda: "commons-test-b" in _lock_waiters(lock_key),
                   what="worker B to take the job over", process=worker_b,
                   log_path=logs)  # fmt: skip

        holder.execute("SELECT pg_advisory_unlock(%s)", [lock_key])
        wait_until(lambda: _queued_job(job_id)[0] == "succeeded",
                   what="the job to finish on B", process=worker_b, log_path=logs)  # fmt: skip
        assert _queued_job(job_id)[1] == 2  # two attempts: A's, put back, and B's
        assert record.read_text().splitlines() == [f"{worker_b.pid} alpha"]
    finally:
        holder.close()
        for worker in (worker_a, worker_b):
            if worker is not None:
                process_stop(worker, grace=60)
        wait_until(lambda: not queue_backends("commons-test-a"),
                   what="worker A's sessions to end")  # fmt: skip
        with database_raw_connect() as raw:
            raw.execute("DELETE FROM public.procrastinate_jobs WHERE queue_name = %s", [QUEUE])


def _big_csv(domain: str, rows: int) -> SimpleUploadedFile:
    lines = ["First name,Last name,Email"]
    lines += [f"Queued,Person{i},queued{i}@{domain}" for i in range(rows)]
    return SimpleUploadedFile("queued.csv", ("\n".join(lines) + "\n").encode())


def _import_status(schema: str, job_id: int) -> str:
    from crm.models import ImportJob

    with database_raw_connect() as raw:
        (status,) = raw.execute(
            f'SELECT status FROM "{schema}".{ImportJob._meta.db_table} WHERE id = %s', [job_id]
        ).fetchone()
    return status


@pytest.mark.timeout(600)
def test_a_large_import_is_checked_and_imported_by_a_worker(queue_worker, django_db_blocker):
    """A file over the inline limit is checked, then imported, by a queue worker, on the
    member's schema, and the job ends "done" with every row written."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from crm import import_jobs
    from crm.models import Contact, ImportJob

    domain = f"queue-{secrets.token_hex(4)}.example.net"
    staff = in_thread(lambda: get_user_model().objects.get(username="staff-b"),
                      blocker=django_db_blocker)  # fmt: skip

    def upload() -> int:
        with schema_context("beta"), override_settings(IMPORT_INLINE_BYTES=0):
            job = import_jobs.import_job_create(upload=_big_csv(domain, 300), acting_user=staff)
            import_jobs.import_job_check(job=job)
            return job.pk

    def confirm() -> None:
        with schema_context("beta"), override_settings(IMPORT_INLINE_BYTES=0):
            import_jobs.import_job_confirm(job=ImportJob.objects.get(pk=job_id),
                                           acting_user=staff)  # fmt: skip

    def written() -> tuple[int, dict]:
        with schema_context("beta"):
            job = ImportJob.objects.get(pk=job_id)
            return Contact.objects.filter(email__endswith=domain).count(), job.summary

    def clean() -> None:
        with schema_context("beta"), transaction.atomic():
            Contact.objects.filter(email__endswith=domain).delete()
            ImportJob.objects.filter(pk=job_id).delete()

    job_id = in_thread(upload, blocker=django_db_blocker)
    try:
        wait_until(lambda: _import_status("beta", job_id) == "checked",
                   what="the check to finish", process=queue_worker)  # fmt: skip
        in_thread(confirm, blocker=django_db_blocker)
        wait_until(lambda: _import_status("beta", job_id) == "done",
                   what="the import to finish", process=queue_worker)  # fmt: skip
        count, summary = in_thread(written, blocker=django_db_blocker)
        assert (count, summary["new"]) == (300, 300)
    finally:
        in_thread(clean, blocker=django_db_blocker)


def _queued_for(job_pk: int):
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.filter(
        task_name="tenants.member_task", args__args=[job_pk, True]
    )


@override_settings(IMPORT_INLINE_BYTES=0)
def test_a_job_rolled_back_with_its_transaction_leaves_nothing_queued(at_a, user):
    """The queue's job is written in the caller's transaction: it is there beside the
    import's new status, and gone with it when that transaction rolls back."""
    from crm import import_jobs

    job = import_jobs.import_job_create(upload=_big_csv("example.net", 3),
                                        acting_user=user("staff-a"))  # fmt: skip
    rollback = transaction.savepoint()
    import_jobs.import_job_check(job=job)
    assert _queued_for(job.pk).get().args["schema_name"] == "alpha"
    transaction.savepoint_rollback(rollback)
    assert not _queued_for(job.pk).exists()
    job.refresh_from_db()
    assert job.status == "uploaded"


@override_settings(IMPORT_INLINE_BYTES=0)
def test_an_import_that_cannot_be_queued_is_not_left_running(at_a, user, monkeypatch):
    """If the job cannot be queued, the import's claim is undone with it: the import stays
    checked (ready to confirm again), not "importing" for ever."""
    from crm import import_jobs
    from crm.models import ImportStatus

    job = import_jobs.import_job_create(upload=_big_csv("example.net", 3),
                                        acting_user=user("staff-a"))  # fmt: skip
    job.status = ImportStatus.CHECKED
    job.save()

    def refuse(**kwargs):
        raise RuntimeError("the queue is unreachable")

    monkeypatch.setattr(import_jobs, "member_task_defer", refuse)
    with pytest.raises(RuntimeError):
        import_jobs.import_job_confirm(job=job, acting_user=user("staff-a"))
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED


@override_settings(IMPORT_INLINE_BYTES=0)
def test_a_second_run_of_a_queued_import_writes_nothing(at_a, user):
    """A job run again after it finished (its worker died before telling the queue) finds
    the import done and writes nothing more: the rows and "done" committed together."""
    from crm import import_jobs
    from crm.models import Contact, ImportJob, ImportStatus

    job = import_jobs.import_job_create(upload=_big_csv("twice.example.net", 4),
                                        acting_user=user("staff-a"))  # fmt: skip
    import_jobs.import_job_check(job=job)
    import_jobs.import_job_task(job.pk, True)
    import_jobs.import_job_confirm(job=ImportJob.objects.get(pk=job.pk),
                                   acting_user=user("staff-a"))  # fmt: skip
    import_jobs.import_job_task(job.pk, False)
    done = ImportJob.objects.get(pk=job.pk)
    assert (done.status, done.summary["new"]) == (ImportStatus.DONE, 4)
    import_jobs.import_job_task(job.pk, False)
    import_jobs.import_job_task(job.pk, True)
    again = ImportJob.objects.get(pk=job.pk)
    assert (again.status, again.summary, again.finished_at) == (
        ImportStatus.DONE, done.summary, done.finished_at,
    )  # fmt: skip
    assert Contact.objects.filter(email__endswith="@twice.example.net").count() == 4


def test_the_queue_lives_once_in_the_public_schema(db):
    """The queue's tables are in the public schema only: not in the template a member is
    cloned from, nor in a member provisioned now, whose jobs go to the one queue."""
    from tenants.queue import member_task_defer
    from tenants.services import member_create

    member = member_create(name="Gamma Voluntary Action", slug="gamma")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables"
            " WHERE table_name = 'procrastinate_jobs'"
        )
        assert [schema for (schema,) in cursor.fetchall()] == ["public"]
    connection.set_tenant(member)
    job_id = member_task_defer(schema_name=member.schema_name, dotted_path="builtins.print")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args ->> 'schema_name' FROM public.procrastinate_jobs WHERE id = %s", [job_id]
        )
        assert cursor.fetchone() == (member.schema_name,)


@pytest.mark.timeout(600)
def test_a_run_started_while_another_holds_the_job_waits_then_writes_nothing(
    django_db_setup, django_db_blocker
):
    """A second run of an import (its first worker only looked dead) waits while the first
    holds the job, then finds it done and writes nothing: no row is imported twice."""
    import threading

    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from crm import import_jobs
    from crm.models import Contact, ImportJob, ImportStatus

    domain = f"held-{secrets.token_hex(4)}.example.net"

    def upload() -> int:
        with schema_context("beta"):
            staff = get_user_model().objects.get(username="staff-b")
            job = import_jobs.import_job_create(upload=_big_csv(domain, 5), acting_user=staff)
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
            return job.pk

    def second_run() -> None:
        with schema_context("beta"):
            import_jobs.import_job_task(job_id, False)

    def written() -> int:
        with schema_context("beta"):
            return Contact.objects.filter(email__endswith=domain).count()

    def clean() -> None:
        with schema_context("beta"):
            Contact.objects.filter(email__endswith=domain).delete()
            for job in ImportJob.objects.filter(pk=job_id):
                job.file.delete(save=False)
                job.delete()

    first = database_raw_connect()
    with django_db_blocker.unblock():
        job_id = in_thread(upload)
        (lock,) = first.execute(
            "SELECT hashtextextended(%s, 0)", [f"crm.import_job:beta:{job_id}"]
        ).fetchone()
        try:
            first.execute("SELECT pg_advisory_lock(%s)", [lock])
            runner = threading.Thread(target=in_thread, args=(second_run,))
            runner.start()
            wait_until(lambda: _lock_waited(lock) or not runner.is_alive(),
                       what="the second run to wait")  # fmt: skip
            assert runner.is_alive(), "the second run went ahead while the first held the job"
            # The first run finishes: its rows and "done" commit together (no rows here).
            first.execute(
                f"UPDATE beta.{ImportJob._meta.db_table} SET status = 'done' WHERE id = %s",
                [job_id],
            )
            first.execute("SELECT pg_advisory_unlock(%s)", [lock])
            runner.join(timeout=240)
            assert not runner.is_alive()
            assert in_thread(written) == 0
            assert _import_status("beta", job_id) == ImportStatus.DONE
        finally:
            first.close()
            in_thread(clean)


def _lock_waited(lock: int) -> bool:
    """Whether a session waits for advisory lock ``lock`` (a bigint: two halves in pg_locks)."""
    with database_raw_connect() as raw:
        (waiting,) = raw.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
            [(lock >> 32) & 0xFFFFFFFF, lock & 0xFFFFFFFF],
        ).fetchone()
    return waiting > 0
