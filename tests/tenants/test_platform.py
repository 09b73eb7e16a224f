"""Platform guarantees: object permissions per schema, per-member cache keys, the audit log."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context
from guardian.shortcuts import assign_perm

from tenants.audit import audit_record
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_object_permission_check_in_public_answers_no_without_raising(user, member_a):
    """Guardian's tables live in member schemas; in public a check is a clean 'no'."""
    staff = user("staff-a")
    assert connection.schema_name == "public"
    assert staff.has_perm("tenants.view_member", member_a) is False


def test_object_permissions_are_per_member_schema(user, member_a, member_b):
    """A permission granted in member A's schema does not exist in member B's."""
    both = user("both-ab")
    with schema_context(member_a.schema_name):
        assign_perm("tenants.view_member", both, member_a)
        assert both.has_perm("tenants.view_member", member_a)
    both = user("both-ab")  # fresh permission cache
    with schema_context(member_b.schema_name):
        assert not both.has_perm("tenants.view_member", member_a)


def test_cache_keys_are_per_member(member_a, member_b):
    """A value cached while serving member A is invisible while serving member B."""
    with schema_context(member_a.schema_name):
        cache.set("dashboard", "alpha's numbers")
    with schema_context(member_b.schema_name):
        assert cache.get("dashboard") is None
    with schema_context(member_a.schema_name):
        assert cache.get("dashboard") == "alpha's numbers"


def test_rate_limit_keys_hold_across_members(member_a, member_b):
    """A rate limit or lockout counted on member A's site holds on B's and the consortium's:
    allauth's keys and ours under commons:limit: are kept once for all (tenants/cache.py)."""
    with schema_context(member_a.schema_name):
        cache.set("allauth:rl:test", [1.0])
        cache.set("commons:limit:test", 3)
    with schema_context(member_b.schema_name):
        assert cache.get("allauth:rl:test") == [1.0]
        assert cache.get("commons:limit:test") == 3
    assert cache.get("allauth:rl:test") == [1.0]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tenants_auditentry SET action = 'forged'",
        "DELETE FROM tenants_auditentry",
        "TRUNCATE tenants_auditentry",
    ],
)
def test_audit_log_is_append_only_in_the_database(statement):
    """The database itself refuses UPDATE, DELETE and TRUNCATE on the audit log."""
    audit_record(action="test.entry", target="x")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEntry.objects.filter(action="test.entry").exists()


def test_membership_changes_are_audited(client_for, user, member_a):
    """Adding and removing people writes who did it and when."""
    client = client_for(user("manager-a"), member_a)
    client.post(
        "/team/",
        {"email": "audit.me@example.org", "first_name": "Audit", "last_name": "Me",
         "role": "staff"},
    )  # fmt: skip
    entry = AuditEntry.objects.filter(action="membership.added").order_by("-id").first()
    assert entry.actor_id == user("manager-a").pk
    assert entry.member_id == member_a.pk
