"""The disclosure-log purge as an ordinary application role (sharing migration 0014).

Each test creates ``commons_app_test`` (no superuser, no ownership) with the grants
deploy/README.md gives the application role, at their widest (every table's DML), and
becomes it with ``SET LOCAL ROLE`` inside the test's transaction, which is rolled back with
the role itself. Only the triggers then stand between that role and the log.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sharing import services
from sharing.models import AgreementEvent, Disclosure
from sharing.services.disclosures import PURGE_TOO_RECENT
from tenants.models import AuditEntry

APP_ROLE = "commons_app_test"


def _entry(member_a, member_b, *, years_ago: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sharing_disclosure (at, member_id, provider_id, action, record_type,"
            " record_ids, reason) VALUES (now() - make_interval(years => %s), %s, %s, 'view',"
            " 'contact', '{7}', '') RETURNING id",
            [years_ago, member_b.pk, member_a.pk],
        )
        return cursor.fetchone()[0]


def _refused(statement: str, match: str = "append-only") -> None:
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def _flag_on() -> None:
    """What an application could try: the purge's flag, set by itself."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('commons.purging_disclosures', 'on', true)")


@pytest.fixture
def as_app_role(db):
    """Become an application role: LOGIN, no superuser, DML on every public table, the
    sequences, and EXECUTE on the purge function, as deploy/README.md grants."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOINHERIT")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"
        )
        cursor.execute(
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"
        )
        cursor.execute(
            f"GRANT EXECUTE ON FUNCTION public.commons_disclosures_purge(timestamptz) TO {APP_ROLE}"
        )
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (APP_ROLE, False)
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_an_application_role_purges_through_the_service(member_a, member_b, as_app_role):
    """A role that is no superuser removes old entries through the service, keeps the rest,
    and the purge is in the audit log."""
    old = _entry(member_a, member_b, years_ago=3)
    recent = _entry(member_a, member_b, years_ago=0)
    cutoff = timezone.now() - datetime.timedelta(days=730)
    removed = services.disclosures_purge(before=cutoff, acting_user=None, reason="policy 4.2")
    assert removed == 1
    assert not Disclosure.objects.filter(pk=old).exists()
    assert Disclosure.objects.filter(pk=recent).exists()
    entry = AuditEntry.objects.get(action="disclosures.purged")
    assert entry.details == {"removed": 1, "reason": "policy 4.2"}


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM sharing_disclosure",
        "UPDATE sharing_disclosure SET reason = 'x'",
        "UPDATE sharing_disclosure SET at = at - interval '5 years'",
        # TRUNCATE is never granted; the statement trigger would refuse it too.
        "TRUNCATE sharing_disclosure",
    ],
)
@pytest.mark.parametrize("flag", [False, True])
def test_an_application_role_cannot_change_the_log_itself(
    member_a, member_b, as_app_role, statement, flag
):
    """Direct UPDATE, DELETE and TRUNCATE are refused, even after the role sets the purge's
    flag itself (any role may set a placeholder setting: the trigger does not trust it)."""
    _entry(member_a, member_b, years_ago=3)
    refused = "append-only|permission denied" if statement.startswith("TRUNCATE") else "append-only"
    if flag:
        _flag_on()
    _refused(statement, refused)
    assert Disclosure.objects.count() == 1


def test_the_flag_opens_no_other_append_only_table(member_a, as_app_role):
    """The audit log and the agreement history ignore the flag: still append-only."""
    AuditEntry.objects.create(action="disclosures.purged", target="t", details={})
    AgreementEvent.objects.create(agreement_id=1, action="proposed")
    for statement in ("DELETE FROM tenants_auditentry", "DELETE FROM sharing_agreementevent",
                      "UPDATE tenants_auditentry SET target = 'x'"):  # fmt: skip
        _flag_on()
        _refused(statement)


def test_the_flag_does_not_outlive_the_purge(member_a, member_b, as_app_role):
    """After a purge in the same transaction a direct DELETE is still refused."""
    _entry(member_a, member_b, years_ago=3)
    _entry(member_a, member_b, years_ago=0)
    services.disclosures_purge(
        before=timezone.now() - datetime.timedelta(days=730), acting_user=None, reason="r"
    )
    _refused("DELETE FROM sharing_disclosure")


def test_the_database_keeps_a_year_whatever_the_caller_asks(member_a, member_b, as_app_role):
    """The service refuses a cut-off younger than a year; so does the function, called
    directly with everything in reach."""
    _entry(member_a, member_b, years_ago=0)
    with pytest.raises(ValidationError) as raised:
        services.disclosures_purge(before=timezone.now(), acting_user=None, reason="r")
    assert raised.value.messages == [PURGE_TOO_RECENT]
    _refused("SELECT public.commons_disclosures_purge('infinity')", "at least a year")
    assert Disclosure.objects.count() == 1


def test_a_role_without_the_grant_cannot_purge(member_a, member_b, db):
    """EXECUTE is not PUBLIC's: a role the deployment did not grant it to is refused."""
    _entry(member_a, member_b, years_ago=3)
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE commons_stranger_test NOSUPERUSER")
        cursor.execute("GRANT USAGE ON SCHEMA public TO commons_stranger_test")
        cursor.execute("SET LOCAL ROLE commons_stranger_test")
    try:
        _refused("SELECT public.commons_disclosures_purge(now() - interval '2 years')",
                 "permission denied")  # fmt: skip
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert Disclosure.objects.count() == 1
