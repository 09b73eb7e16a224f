"""Provisioning members by cloning the template schema."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from tenants import provisioning, services
from tenants.models import AuditEntry, Domain, Member, MemberKind
from tenants.naming import schema_name_for


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _nothing_made(slug: str) -> bool:
    return (
        not Member.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not _schema_exists(schema_name_for(slug))
    )


@pytest.mark.django_db
def test_cloned_schema_matches_a_migrated_one():
    """A clone has exactly the tables, columns, indexes, constraints and sequences that
    running every migration produces."""
    member = services.member_create(name="Gamma Trust", slug="gamma-clone")
    provisioning.schema_migrate(target="reference_migrated")

    cloned = provisioning.schema_signature(member.schema_name)
    migrated = provisioning.schema_signature("reference_migrated")

    assert cloned["columns"], "the clone has no tables"
    for part in ("columns", "indexes", "constraints", "sequences", "triggers"):
        assert cloned[part] == migrated[part], part


@pytest.mark.django_db
def test_clone_carries_migration_history_and_points_at_itself():
    """A clone records every migration as applied, and no foreign key points into the
    template schema."""
    member = services.member_create(name="Delta Group", slug="delta")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{member.schema_name}".django_migrations')
        applied = set(cursor.fetchall())
        cursor.execute(
            """SELECT DISTINCT n.nspname FROM pg_constraint k
                 JOIN pg_class r ON r.oid = k.confrelid
                 JOIN pg_namespace n ON n.oid = r.relnamespace
                WHERE k.contype = 'f' AND k.connamespace = %s::regnamespace""",
            [member.schema_name],
        )
        referenced = {row[0] for row in cursor.fetchall()}
    assert provisioning.expected_migrations() <= applied
    assert provisioning.template_schema_name() not in referenced
    assert referenced <= {member.schema_name, "public"}


@pytest.mark.django_db
def test_member_create_makes_row_domain_schema_and_audit_entry():
    """Onboarding creates the member, its <slug>.<base> domain, its schema and a log entry."""
    member = services.member_create(
        name="Epsilon Aid", slug="epsilon", charity_number="1234567", district="Craven"
    )
    assert member.kind == MemberKind.MEMBER
    assert member.primary_domain_name == "epsilon.localhost"
    assert _schema_exists("epsilon")
    assert AuditEntry.objects.filter(action="member.created", member_id=member.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("alpha", "already exists"),
        ("www", "reserved"),
        ("template", "reserved"),
        ("public", "reserved"),
        ("pg-catalog", "reserved"),
        ("Bad Slug", "lower-case"),
        ("-leading", "lower-case"),
        ("double--hyphen", "lower-case"),
        ("x" * 41, "at most 40"),
    ],
)
def test_bad_slug_is_refused_with_a_clear_message_and_nothing_made(slug, message):
    """Duplicate, reserved and malformed web addresses are refused; nothing is created."""
    before = Member.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.member_create(name="Someone", slug=slug)
    assert message in " ".join(caught.value.messages)
    assert Member.objects.count() == before
    if slug not in {"alpha", "template", "public", "pg-catalog"}:  # these exist already
        assert _nothing_made(slug.strip().lower())


@pytest.mark.django_db
def test_failure_after_the_schema_was_made_leaves_nothing_behind(monkeypatch):
    """A crash after the schema exists rolls back the schema, the row and the domain."""

    def explode(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", explode)
    with pytest.raises(RuntimeError):
        services.member_create(name="Zeta Link", slug="zeta")
    assert _nothing_made("zeta")


@pytest.mark.django_db
def test_template_with_unapplied_migrations_is_refused():
    """Cloning a template that lacks a migration fails loudly and creates nothing."""
    template = provisioning.template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{template}".django_migrations WHERE id = '
            f"(SELECT max(id) FROM \"{template}\".django_migrations WHERE app = 'guardian')"
        )
    with pytest.raises(provisioning.TemplateError, match="lacks migrations"):
        services.member_create(name="Eta Hub", slug="eta")
    assert _nothing_made("eta")


@pytest.mark.django_db
def test_missing_template_is_refused():
    """No template schema: an error naming the fix, never a silent fall-back to migrating."""
    with pytest.raises(provisioning.TemplateError, match="does not exist"):
        provisioning.schema_clone(target="theta", template="no_such_template")
    assert not _schema_exists("theta")


@pytest.mark.django_db
def test_template_and_public_rows_are_hidden_from_application_code():
    """Member.organisations never yields the consortium or template rows; the default manager
    (which django-tenants migrates from) still has them."""
    kinds = set(Member.organisations.values_list("kind", flat=True))
    assert kinds == {MemberKind.MEMBER}
    assert Member.objects.filter(kind=MemberKind.TEMPLATE).count() == 1
    assert Member.objects.filter(kind=MemberKind.PUBLIC).count() == 1


@pytest.mark.django_db
def test_extensions_live_in_public():
    """pg_trgm, btree_gist and unaccent are installed once, in the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extname, extnamespace::regnamespace::text FROM pg_extension "
            "WHERE extname IN ('pg_trgm', 'btree_gist', 'unaccent')"
        )
        found = dict(cursor.fetchall())
    assert found == {"pg_trgm": "public", "btree_gist": "public", "unaccent": "public"}


@pytest.mark.django_db
def test_add_member_command_reports_progress_and_errors(capsys):
    """`add_member` prints progress and a result; a bad slug is a CommandError, nothing made."""
    call_command("add_member", "Iota Partnership", slug="iota", district="Hambleton")
    out = capsys.readouterr().out
    assert "4/4" in out
    assert "Added Iota Partnership at iota.localhost" in out
    with pytest.raises(CommandError, match="already exists"):
        call_command("add_member", "Iota Again", slug="iota")
    with pytest.raises(CommandError, match="reserved"):
        call_command("add_member", "Admin", slug="admin")
    assert _nothing_made("admin")


@pytest.mark.django_db
@pytest.mark.timeout(600)  # 17 members made twice: minutes on a loaded machine
def test_demo_provisioning_makes_17_members_and_is_repeatable():
    """The demo makes 17 members with a manager and a staff member each, and a second run
    reuses them."""
    from demo.provision import DEMO_MEMBERS, demo_provision

    first = demo_provision()
    count = Member.organisations.count()
    second = demo_provision()
    assert len(DEMO_MEMBERS) == 17
    assert Member.organisations.count() == count
    assert {m.slug for m in DEMO_MEMBERS} <= set(
        Member.organisations.values_list("slug", flat=True)
    )
    assert [c.username for c in first] == [c.username for c in second]
    from sharing.models import Agreement, SharedRecord, StandingAgreement

    # Every demo member joined the standing directory agreement (once, however many runs).
    standing = StandingAgreement.objects.get(name="Directory of local groups")
    joined = Agreement.objects.filter(status="active", all_members=True, standing=standing)
    assert joined.count() == 17
    assert SharedRecord.objects.filter(record_type="organisation").exists()
    from events.models import Booking, Event, Registration, Resource

    assert Resource.objects.filter(owner__isnull=True).count() == 3
    assert Event.objects.filter(status="published").count() >= 30
    assert Registration.objects.filter(member__isnull=False).exists()
    assert Registration.objects.filter(attended=True).exists()
    assert Booking.objects.filter(series__isnull=False).exists()
    assert not SharedRecord.objects.filter(data__has_key="phone").exists()
    # Surveys and research: members pool State of the Sector; a project has released a table.
    from reporting.models import PooledResponse, ResearchOutput, ResearchProject

    assert Agreement.objects.filter(status="active", purpose="research").count() == 6
    assert PooledResponse.objects.filter(kept=True).count() > 100
    assert ResearchProject.objects.count() == 1
    assert ResearchOutput.objects.filter(status="released").count() == 1
    # People's rights (issue 14): an open subject access request at two members, a closed
    # erasure, retention switched on at York CVS, a breach on its clock, a register.
    from rights.models import Breach, ProcessingActivity, RetentionSchedule, RightsRequest

    sar = RightsRequest.objects.get(kind="access", status="open")
    assert sorted(sar.tasks.values_list("member__slug", flat=True)) == ["ryedale", "york-cvs"]
    erasure = RightsRequest.objects.get(kind="erasure")
    assert erasure.status == "done"
    assert list(erasure.tasks.values_list("member__slug", "status")) == [("harrogate", "done")]
    assert set(RetentionSchedule.objects.filter(enabled=True).values_list(
        "member__slug", flat=True)) == {"york-cvs"}  # fmt: skip
    assert Breach.objects.get().status == "open"
    assert ProcessingActivity.objects.filter(member__slug="york-cvs").count() == 2
    for spec in DEMO_MEMBERS:
        roles = set(
            Member.organisations.get(slug=spec.slug).memberships.values_list("role", flat=True)
        )
        assert roles == {"manager", "staff"} or spec.slug in {"ryedale", "malton", "scarborough"}
