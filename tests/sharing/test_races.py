"""Races between a provider's edits and agreement changes, on two real connections.

Each test commits real data (uniquely named) from worker threads, each with its own
connection, and removes what it made through the services afterwards. Without the
per-provider advisory locks these interleavings leave a stale or forbidden shared record.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from crm import services as crm
from crm.models import Contact
from sharing import services
from sharing.models import Agreement, SharedRecord
from tenants.models import Member
from tests.threads import in_thread

pytestmark = pytest.mark.timeout(60)


def start(fn: Callable[[], None]) -> tuple[threading.Thread, dict]:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    return worker, box


def finish(*pairs: tuple[threading.Thread, dict]) -> None:
    for worker, box in pairs:
        worker.join(timeout=30)
        assert not worker.is_alive(), "a connection is stuck waiting"
        if "error" in box:
            raise box["error"]


@pytest.fixture
def race(django_db_setup, django_db_blocker):
    """Committed data for one race: a tagged, consenting contact at member A, an agreement
    A -> B on that tag; removed through the services afterwards."""
    with django_db_blocker.unblock():
        name = f"Race {uuid.uuid4().hex[:8]}"
        users = get_user_model().objects
        world = {
            "a": Member.organisations.get(slug="alpha"),
            "b": Member.organisations.get(slug="beta"),
            "manager_a": users.get(username="manager-a"),
            "manager_b": users.get(username="manager-b"),
            "tag": name,
        }

        def setup() -> None:
            connection.set_tenant(world["a"])
            tag = crm.tag_get_or_create(name=name, acting_user=None)
            world["contact"] = crm.contact_create(
                acting_user=None, first_name="Racing", last_name=name.replace(" ", ""),
                tags=[tag],
            )  # fmt: skip
            crm.consent_record(contact=world["contact"], purpose="sharing", status="granted",
                               acting_user=None)  # fmt: skip
            world["tag_obj"] = tag

        in_thread(setup)

        def agreement(sign_b: bool = True) -> Agreement:
            def make() -> Agreement:
                made = services.agreement_create(
                    provider=world["a"], acting_user=world["manager_a"],
                    recipient_ids=[world["b"].pk], title=name, purpose="directory",
                    record_types=["contact"], contact_fields=["first_name", "last_name"],
                    criteria_tags=[name],
                )  # fmt: skip
                services.agreement_propose(agreement=made, acting_user=world["manager_a"])
                services.agreement_sign(agreement=made, member=world["a"],
                                        acting_user=world["manager_a"])  # fmt: skip
                if sign_b:
                    services.agreement_sign(agreement=made, member=world["b"],
                                            acting_user=world["manager_b"])  # fmt: skip
                return made

            return in_thread(make)

        world["agreement"] = agreement
        yield world

        def teardown() -> None:
            for made in Agreement.objects.filter(title=name).exclude(
                status__in=["terminated", "superseded"]
            ):
                services.agreement_terminate(agreement=made, member=world["a"],
                                             acting_user=world["manager_a"])  # fmt: skip
            connection.set_tenant(world["a"])
            for contact in Contact.objects.filter(last_name__startswith=name.replace(" ", "")):
                crm.contact_delete(contact=contact, acting_user=None)
            connection.set_schema_to_public()

        in_thread(teardown)


class Other:
    """The other connection of a race: its backend pid once it has one, and whether its
    change has returned."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.connected = threading.Event()
        self.done = threading.Event()

    def run(self, started: threading.Event, change: Callable[[], None]) -> None:
        """Once the edit is open, make ``change`` on this thread's own connection."""
        assert started.wait(30), "the edit never started"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.connected.set()
        try:
            change()
        finally:
            self.done.set()


def _other_blocked(other: Other, timeout: float = 30.0) -> None:
    """Return once the other connection waits on a lock (or has already finished, which a
    missing lock allows and the test's assertions then catch); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    assert other.connected.wait(timeout), "the other connection never started"
    with connection.cursor() as cursor:
        while not other.done.is_set():
            # Inside a transaction pg_stat_activity is a snapshot: refresh it each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [other.pid]
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            assert time.monotonic() < deadline, "the other connection neither waited nor ended"
            other.done.wait(0.02)


def _hold_edit(world: dict, started: threading.Event, edit: Callable[[], None],
               other: Other) -> None:  # fmt: skip
    """A provider's edit, inside a transaction kept open until the other connection is seen
    waiting for its lock."""
    connection.set_tenant(world["a"])
    with transaction.atomic():
        edit()
        started.set()
        _other_blocked(other)


def test_termination_waits_for_an_open_edit_and_leaves_nothing(race):
    """An edit re-projects inside an open transaction while the agreement is terminated on
    another connection: when both have committed, nothing of it is visible."""
    agreement = race["agreement"]()
    started = threading.Event()

    def edit() -> None:
        fresh = Contact.objects.get(pk=race["contact"].pk)
        crm.contact_update(contact=fresh, acting_user=None, first_name="Edited")

    other = Other()
    editing = start(lambda: _hold_edit(race, started, edit, other))

    def terminate() -> None:
        services.agreement_terminate(agreement=agreement, member=race["b"],
                                     acting_user=race["manager_b"])  # fmt: skip

    finish(editing, start(lambda: other.run(started, terminate)))
    assert in_thread(lambda: SharedRecord.objects.filter(agreement_id=agreement.pk).count()) == 0


def test_suspension_waits_for_an_open_edit_and_leaves_nothing(race):
    """The same race with a suspension."""
    agreement = race["agreement"]()
    started = threading.Event()

    def edit() -> None:
        fresh = Contact.objects.get(pk=race["contact"].pk)
        crm.contact_update(contact=fresh, acting_user=None, last_name=fresh.last_name + "x")

    other = Other()
    editing = start(lambda: _hold_edit(race, started, edit, other))

    def suspend() -> None:
        services.agreement_suspend(agreement=agreement, member=race["a"],
                                   acting_user=race["manager_a"])  # fmt: skip

    finish(editing, start(lambda: other.run(started, suspend)))
    assert in_thread(lambda: SharedRecord.objects.filter(agreement_id=agreement.pk).count()) == 0


def test_activation_backfill_waits_for_an_open_edit_and_includes_it(race):
    """A record is tagged (so it now matches) in an open transaction while the last
    signature activates the agreement on another connection: the record is shared, with its
    committed values."""
    agreement = race["agreement"](sign_b=False)
    started = threading.Event()

    def edit() -> None:
        fresh = Contact.objects.get(pk=race["contact"].pk)
        late = crm.contact_create(acting_user=None, first_name="Late",
                                  last_name=fresh.last_name + "Late")  # fmt: skip
        crm.consent_record(contact=late, purpose="sharing", status="granted", acting_user=None)
        crm.tags_bulk_apply(record_type="contact", ids=[late.pk], tag=race["tag_obj"],
                            acting_user=None)  # fmt: skip

    other = Other()
    editing = start(lambda: _hold_edit(race, started, edit, other))

    def sign() -> None:
        services.agreement_sign(agreement=agreement, member=race["b"],
                                acting_user=race["manager_b"])  # fmt: skip

    finish(editing, start(lambda: other.run(started, sign)))
    names = in_thread(
        lambda: sorted(SharedRecord.objects.filter(agreement_id=agreement.pk)
                       .values_list("display_name", flat=True))
    )  # fmt: skip
    assert len(names) == 2
    assert any(n.startswith("Late ") for n in names)


def test_rule_tightening_waits_for_an_open_edit_and_leaves_nothing_forbidden(race):
    """A provider's edit re-projects a field inside an open transaction while a consortium
    admin forbids that field on another connection: the rule change waits for the edit's
    lock, then suspends the agreement; nothing of it, and no forbidden field, remains."""
    from sharing import rule_services
    from sharing.models import FieldRule, RuleChange
    from tenants.models import AuditEntry

    agreement = race["agreement"]()
    admin = get_user_model().objects.get(username="admin-c")
    started = threading.Event()

    def edit() -> None:
        fresh = Contact.objects.get(pk=race["contact"].pk)
        crm.contact_update(contact=fresh, acting_user=None, last_name=fresh.last_name + "y")

    other = Other()
    editing = start(lambda: _hold_edit(race, started, edit, other))

    def tighten() -> None:
        rule_services.field_rule_set(record_type="contact", field="last_name", mode="never",
                                     purposes=[], acting_user=admin)  # fmt: skip

    try:
        finish(editing, start(lambda: other.run(started, tighten)))
        state = in_thread(lambda: (
            Agreement.objects.get(pk=agreement.pk).status,
            SharedRecord.objects.filter(agreement_id=agreement.pk).count(),
            SharedRecord.objects.filter(record_type="contact", data__has_key="last_name").count(),
        ))  # fmt: skip
        assert state == ("suspended", 0, 0)
    finally:

        def restore() -> None:
            FieldRule.objects.filter(record_type="contact", field="last_name").delete()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                RuleChange.objects.filter(rule="field:contact:last_name").delete()
                AuditEntry.objects.filter(
                    action="sharing.rule_changed", details__rule="field:contact:last_name"
                ).delete()

        in_thread(restore)
