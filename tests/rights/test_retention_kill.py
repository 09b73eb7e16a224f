"""A retention run killed with SIGKILL mid-way (issue 14): every record is either untouched
or fully anonymised, the run's counts say exactly how many, and a second run completes.

The run is a real `manage.py retention_run` process on the test database. The test holds a
row lock on one of the due contacts, waits (through the database: the run's counts and
pg_locks) until the run has processed the ones before it and is waiting for that lock, and
kills it there. No sleeps.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys

import pytest
from django.db import transaction

from tests.conftest import ROOT, _database_url, database_raw_connect, wait_until
from tests.threads import in_thread

COUNT = 12
LOCKED = 7  # the run processes six (two batches of three), then waits for the seventh


def _run_process(name: str, log) -> subprocess.Popen:
    # Batches of three: the run commits 1-3 and 4-6, then waits for the seventh's batch.
    env = {**os.environ, "DATABASE_URL": _database_url(), "COMMONS_RETENTION_BATCH": "3",
           "DJANGO_SETTINGS_MODULE": "consortium.settings.test", "PGAPPNAME": name}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "manage.py", "retention_run", "--member", "alpha"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _sessions(name: str) -> list[int]:
    with database_raw_connect() as raw:
        return [
            pid
            for (pid,) in raw.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name]
            ).fetchall()
        ]


def _waiting(name: str) -> bool:
    with database_raw_connect() as raw:
        return bool(
            raw.execute(
                "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE a.application_name = %s AND NOT l.granted",
                [name],
            ).fetchone()
        )


def _latest_run_processed(member_id: int) -> int:
    with database_raw_connect() as raw:
        row = raw.execute(
            "SELECT counts FROM public.rights_retentionrun WHERE member_id = %s"
            " ORDER BY id DESC LIMIT 1",
            [member_id],
        ).fetchone()
    counts = row[0] if row else {}
    return sum(sum(by.values()) for by in counts.values())


@pytest.mark.timeout(600)
def test_a_run_killed_mid_way_leaves_each_record_whole_and_a_rerun_completes(
    django_db_setup, django_db_blocker, tmp_path
):
    from django_tenants.utils import schema_context

    from crm.models import Contact
    from crm.services.anonymise import ANONYMISED_CONTACT
    from rights.models import RetentionRun, RetentionSchedule
    from rights.retention_services import retention_schedule_update
    from tenants.models import Member
    from tests.factories.crm import ContactFactory

    tag = f"Killed{secrets.token_hex(3)}"
    old = dt.datetime(2012, 5, 1, 12, tzinfo=dt.UTC)

    def make() -> tuple[int, list[int]]:
        member = Member.organisations.get(slug="alpha")
        with schema_context("alpha"), transaction.atomic():
            ids = [
                ContactFactory(first_name=f"{tag}{i}", last_name=tag, email=f"{tag}{i}@ex.org").pk
                for i in range(COUNT)
            ]
            Contact.objects.filter(pk__in=ids).update(created_at=old, updated_at=old)
            from django.contrib.auth import get_user_model

            retention_schedule_update(
                member=member, record_type="contact", rule="no_activity", period_months=36,
                action="anonymise", enabled=True,
                acting_user=get_user_model().objects.get(username="manager-a"),
            )  # fmt: skip
        return member.pk, sorted(ids)

    def states() -> dict[str, int]:
        with schema_context("alpha"):
            rows = Contact.objects.filter(pk__in=ids)
            whole = rows.filter(first_name__startswith=tag, last_name=tag,
                                email__startswith=tag).count()  # fmt: skip
            done = rows.filter(first_name="", last_name=ANONYMISED_CONTACT, email="",
                               phone="", postcode="").count()  # fmt: skip
            return {"untouched": whole, "anonymised": done, "all": rows.count()}

    def clean() -> None:
        with schema_context("alpha"), transaction.atomic():
            Contact.objects.filter(pk__in=ids).delete()
            RetentionSchedule.objects.filter(member_id=member_id).delete()
            RetentionRun.objects.filter(member_id=member_id).delete()

    member_id, ids = in_thread(make, blocker=django_db_blocker)
    holder = database_raw_connect()
    log_path = tmp_path / "run.log"
    try:
        holder.execute("BEGIN")
        holder.execute(
            f'SELECT id FROM "alpha".{Contact._meta.db_table} WHERE id = %s FOR UPDATE',
            [ids[LOCKED - 1]],
        )
        with log_path.open("ab") as log:
            first = _run_process("retention-kill-a", log)
        wait_until(lambda: _latest_run_processed(member_id) == LOCKED - 1
                   and _waiting("retention-kill-a"),
                   what="the run to wait on the locked contact", process=first,
                   log_path=log_path)  # fmt: skip
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        holder.execute("ROLLBACK")
        wait_until(lambda: not _sessions("retention-kill-a"),
                   what="the killed run's session to end")  # fmt: skip

        after_kill = in_thread(states, blocker=django_db_blocker)
        assert after_kill["all"] == COUNT
        assert after_kill["untouched"] + after_kill["anonymised"] == COUNT  # nothing half done
        assert after_kill["anonymised"] == LOCKED - 1 == _latest_run_processed(member_id)

        with log_path.open("ab") as log:
            second = _run_process("retention-kill-b", log)
            assert second.wait(timeout=300) == 0, log_path.read_text()[-3000:]
        assert in_thread(states, blocker=django_db_blocker) == {
            "untouched": 0, "anonymised": COUNT, "all": COUNT}  # fmt: skip
        statuses = in_thread(lambda: list(
            RetentionRun.objects.filter(member_id=member_id).order_by("pk")
            .values_list("status", "counts")), blocker=django_db_blocker)  # fmt: skip
        assert statuses == [
            ("interrupted", {"contact": {"anonymise": LOCKED - 1}}),
            ("done", {"contact": {"anonymise": COUNT - LOCKED + 1}}),
        ]
    finally:
        holder.close()
        in_thread(clean, blocker=django_db_blocker)
