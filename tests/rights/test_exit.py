"""A member's exit: the complete export, leaving, the grace period, the drop and its
certificate, cancelling, and who may do each."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from rights.exit_export import JSON_BATCH, schema_tables
from rights.exit_jobs import member_exit_export_task
from rights.exit_models import ExitState, MemberExit
from rights.exit_services import (
    member_exit_cancel,
    member_exit_confirm,
    member_exit_download,
    member_exit_export_decline,
    member_exit_export_start,
    member_exits_drop_due,
)
from sharing.models import SharedRecord, Status
from tenants.boundary import member_run
from tenants.models import AuditEntry, Member, Membership, Role
from tenants.services import member_create
from tests.conftest import host_of
from tests.factories.crm import (
    ContactFactory,
    ContactRoleFactory,
    InteractionFactory,
    OrganisationFactory,
)
from tests.factories.people import UserFactory
from tests.factories.sharing import AgreementFactory
from tests.tenants.test_sessions import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXIT_EXPORT_ROOT = tmp_path / "exits"


def leaving_member(name: str = "Leaving Trust") -> tuple[Member, object]:
    """A uniquely named member made by the provisioning service, with a manager (the test's
    transaction takes both away again)."""
    slug = f"exit-{uuid.uuid4().hex[:8]}"
    member = member_create(name=f"{name} {slug}", slug=slug)
    manager = UserFactory(member=member, role=Role.MANAGER, username=f"mgr-{slug}")
    return member, manager


def fill(member: Member, contacts: int = 5) -> None:
    def make() -> None:
        org = OrganisationFactory(tags=["Directory"])
        people = [ContactFactory(tags=["Newsletter"]) for _ in range(contacts)]
        ContactRoleFactory(contact=people[0], organisation=org)
        InteractionFactory(contacts=people[:2], organisations=[org])

    member_run(member, make)


def export_built(member: Member, manager) -> MemberExit:
    exit_ = member_exit_export_start(member=member, acting_user=manager)
    member_run(member, member_exit_export_task, exit_.pk)
    exit_.refresh_from_db()
    return exit_


def counts(schema: str) -> dict[str, int]:
    found = {}
    with connection.cursor() as cursor:
        for table in schema_tables(schema):
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table.name}"')
            found[table.name] = cursor.fetchone()[0]
    return found


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


# --- the export ---------------------------------------------------------------------------


def test_export_holds_every_table_with_its_rows_a_dictionary_and_valid_checksums():
    """The ZIP has every table of the member's schema (guardian's and the many-to-many
    tables too) as CSV and JSON with exactly its rows, a data dictionary that says what
    columns mean, and a checksum for every file that matches."""
    member, manager = leaving_member()
    fill(member)
    exit_ = export_built(member, manager)
    assert exit_.state == ExitState.EXPORT_READY
    assert exit_.progress == 100
    expected = counts(member.schema_name)
    assert {"crm_contact", "crm_contact_tags", "guardian_userobjectpermission"} <= set(expected)
    assert expected["crm_contact"] == 5

    with open(exit_.file_path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == exit_.sha256
    with zipfile.ZipFile(exit_.file_path) as archive:
        manifest = json.loads(archive.read("MANIFEST.json"))
        assert {t["name"]: t["rows"] for t in manifest["tables"]} == expected
        for table, rows in expected.items():
            assert len(json.loads(archive.read(f"tables/{table}.json"))) == rows, table
            reader = csv.reader(io.StringIO(archive.read(f"tables/{table}.csv").decode()))
            assert len(list(reader)) == rows + 1, table  # and the header row
        listed = {}
        for line in archive.read("checksums.sha256").decode().splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        files = {n for n in archive.namelist() if n != "checksums.sha256"}
        assert set(listed) == files
        for name, digest in listed.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        dictionary = list(
            csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode("utf-8-sig")))
        )
    meaning = {(r["table"], r["column"]): r["meaning"] for r in dictionary}
    assert meaning[("crm_contact", "is_restricted")].startswith("Restricted")
    assert "colleagues granted access" in meaning[("crm_contact", "is_restricted")]
    assert ("crm_contact_tags", "tag_id") in meaning


def _peak_export_kb(member: Member, manager, rows: int) -> float:
    import tracemalloc

    def grow() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO crm_contact (title, first_name, last_name, preferred_name, email, "
                "other_emails, phone, mobile, address_line1, address_line2, town, county, "
                "postcode, notes, is_restricted, created_at, updated_at, legal_hold) "
                "SELECT '', 'Person', 'Number ' || g, '', 'p' || g || '@example.org', '{}', '', "
                "'', repeat('x', 120), '', 'York', '', 'YO1 7HH', repeat('note ', 40), false, "
                "now(), now(), false FROM generate_series(1, %s) AS g",
                [rows],
            )

    member_run(member, grow)
    exit_ = member_exit_export_start(member=member, acting_user=manager)
    tracemalloc.start()
    try:
        member_run(member, member_exit_export_task, exit_.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    exit_.refresh_from_db()
    assert exit_.state == ExitState.EXPORT_READY
    return peak / 1024


def test_export_memory_does_not_grow_with_rows():
    """Rows are streamed into the ZIP: exporting 6,000 contacts takes no more memory at its
    peak than exporting 1,500 (within a small allowance), where a build in memory would take
    four times as much. (Both are above the server-side cursor's batch, whose rows are the
    most the export ever holds.)"""
    small, small_manager = leaving_member("Small")
    big, big_manager = leaving_member("Big")
    small_peak = _peak_export_kb(small, small_manager, 1500)
    big_peak = _peak_export_kb(big, big_manager, 6000)
    assert JSON_BATCH < 1500
    assert big_peak < small_peak * 1.25 + 256, (small_peak, big_peak)


# --- who may do what ------------------------------------------------------------------------


def test_only_the_members_managers_start_download_or_decline_the_export(user):
    """Staff, another member's manager and a consortium admin cannot start, download or
    decline a member's export; its manager can."""
    member, manager = leaving_member()
    staff = UserFactory(member=member, role=Role.STAFF)
    for someone in (staff, user("manager-a"), user("admin-c")):
        with pytest.raises(PermissionDenied):
            member_exit_export_start(member=member, acting_user=someone)
        with pytest.raises(PermissionDenied):
            member_exit_export_decline(member=member, acting_user=someone)
    exit_ = export_built(member, manager)
    for someone in (staff, user("admin-c")):
        with pytest.raises(PermissionDenied):
            member_exit_download(exit_=exit_, acting_user=someone)
    member_exit_download(exit_=exit_, acting_user=manager)
    assert AuditEntry.objects.filter(action="member_exit.export_downloaded",
                                     member_id=member.pk, actor_id=manager.pk).exists()  # fmt: skip
    exit_.refresh_from_db()
    assert exit_.state == ExitState.DOWNLOADED


def test_only_consortium_admins_confirm_and_only_after_download_or_decline(user):
    """A member's manager cannot confirm its own leaving; an admin cannot confirm before the
    export is downloaded or declined."""
    member, manager = leaving_member()
    exit_ = export_built(member, manager)
    with pytest.raises(PermissionDenied):
        member_exit_confirm(exit_=exit_, acting_user=manager)
    with pytest.raises(ValidationError, match="download the complete export"):
        member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))
    member_exit_export_decline(member=member, acting_user=manager)
    exit_ = member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))
    assert exit_.state == ExitState.LEAVING
    with pytest.raises(PermissionDenied):
        member_exit_cancel(exit_=exit_, acting_user=manager)


# --- leaving --------------------------------------------------------------------------------


def test_leaving_ends_agreements_memberships_sessions_and_tokens(user, member_a):
    """Confirming the leaving terminates its agreements (the recipient's shared records go
    at once), removes every membership, ends its staff's sessions there and their API
    tokens, and closes its site."""
    member, manager = leaving_member()
    member_run(member, lambda: OrganisationFactory(name="Shared Group"))
    agreement = AgreementFactory(provider=member, recipients=[member_a], in_force=True)
    assert SharedRecord.objects.filter(agreement=agreement).exists()
    staff = UserFactory(member=member, role=Role.STAFF, username=f"staff-{member.slug}")
    Token.objects.create(user=staff)
    browser = signed_in(staff, member)
    session_key = browser.session.session_key
    assert UserSession.objects.filter(session_key=session_key).exists()

    exit_ = member_exit_export_decline(member=member, acting_user=manager)
    member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))

    agreement.refresh_from_db()
    assert agreement.status == Status.TERMINATED
    assert not SharedRecord.objects.filter(agreement=agreement).exists()
    assert not Membership.objects.filter(member=member).exists()
    assert not UserSession.objects.filter(session_key=session_key).exists()
    assert not Token.objects.filter(user=staff).exists()
    member.refresh_from_db()
    assert not member.is_active
    closed = Client(HTTP_HOST=host_of(member)).get("/")
    assert closed.status_code == 410
    assert "site is closed" in closed.content.decode()


def test_schema_survives_the_grace_period_then_the_drop_writes_a_certificate(user):
    """During the grace period the schema and its rows stay; once it is over the scheduled
    job drops the schema and writes a certificate of every table's rows, the export's
    checksum and who confirmed; the export file goes too."""
    member, manager = leaving_member()
    fill(member)
    exit_ = export_built(member, manager)
    member_exit_download(exit_=exit_, acting_user=manager)
    exit_ = member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))
    schema = member.schema_name
    before = counts(schema)
    assert exit_.grace_until > timezone.now() + timedelta(days=29)

    assert member_exits_drop_due() == []
    assert schema_exists(schema)

    MemberExit.objects.filter(pk=exit_.pk).update(grace_until=timezone.now() - timedelta(seconds=1))
    dropped = member_exits_drop_due()
    assert [e.pk for e in dropped] == [exit_.pk]
    assert not schema_exists(schema)
    exit_.refresh_from_db()
    assert exit_.state == ExitState.DROPPED
    certificate = exit_.certificate
    assert {t["table"]: t["rows"] for t in certificate["tables"]} == before
    assert certificate["export"]["sha256"] == exit_.sha256 != ""
    assert certificate["confirmed_by"]
    assert certificate["dropped_at"]
    assert not exit_.file_path
    # The member's row stays (agreements and events name it), but not as a schema to migrate.
    assert not Member.objects.filter(pk=member.pk).exists()
    assert Member.organisations.filter(pk=member.pk, is_active=False).exists()
    assert member_exits_drop_due() == []  # a second run finds nothing to do


def test_cancel_within_grace_gives_access_back(user):
    """Cancelling within the grace period reopens the site and gives everyone their
    membership back, as it was; once the grace period is over it cannot be cancelled."""
    member, manager = leaving_member()
    staff = UserFactory(member=member, role=Role.STAFF)
    exit_ = member_exit_export_decline(member=member, acting_user=manager)
    exit_ = member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))
    assert not Membership.objects.filter(member=member).exists()

    member_exit_cancel(exit_=exit_, acting_user=user("admin-c"))
    member.refresh_from_db()
    assert member.is_active
    assert Membership.objects.get(member=member, user=manager).role == Role.MANAGER
    assert Membership.objects.get(member=member, user=staff).role == Role.STAFF

    exit_ = member_exit_export_decline(member=member, acting_user=manager)
    exit_ = member_exit_confirm(exit_=exit_, acting_user=user("admin-c"))
    MemberExit.objects.filter(pk=exit_.pk).update(grace_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="grace period has ended"):
        member_exit_cancel(exit_=exit_, acting_user=user("admin-c"))


def test_export_start_is_queued_with_the_exit_row(user):
    """Starting the export writes the exit and a queue job for the member's schema together."""
    member, manager = leaving_member()
    exit_ = member_exit_export_start(member=member, acting_user=manager)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'tenants.member_task' "
            "ORDER BY id DESC LIMIT 1"
        )
        args = cursor.fetchone()[0]
    args = json.loads(args) if isinstance(args, str) else args
    assert args["schema_name"] == member.schema_name
    assert args["args"] == [exit_.pk]
    assert member_exit_export_start(member=member, acting_user=manager).pk == exit_.pk
