"""Who may do what in reporting and research: the predicates of reporting/permissions.py and
the services that rely on them. No one at all (``None``) is refused everywhere."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from reporting import permissions, research
from reporting.models import OutputStatus, ResearchDataset, ResearchTerms
from sharing import services as sharing
from tenants.models import AuditEntry
from tenants.roles import RESEARCHERS

from .conftest import pool_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_researcher(db):
    """A researcher named on no project."""
    person = get_user_model().objects.create_user(username="researcher-x", password="x" * 20)
    person.groups.add(Group.objects.get(name=RESEARCHERS))
    return get_user_model().objects.get(pk=person.pk)  # fresh: permissions are cached


@pytest.fixture
def project_with_table(pooled_world, member_a, user):
    """A project naming researcher-r, a snapshot of 2026 and one table that passed."""
    dataset = pooled_world["dataset"]
    pool_rows(dataset=dataset, provider_id=member_a.pk,
              agreement_id=pooled_world["alpha"]["agreement"].pk,
              rows=[({"district": "York"}, {"size": "Small"})] * 12)  # fmt: skip
    project = research.project_create(
        acting_user=user("admin-c"), title="Named", purpose="Who may act",
        ethics_reference="E-1", end_date="2099-12-31", researcher_ids=[user("researcher-r").pk],
        dataset_ids=[dataset.pk],
    )  # fmt: skip
    research.snapshot_take(project=project, dataset=dataset, year=2026,
                           acting_user=user("researcher-r"))  # fmt: skip
    table = research.table_produce(project=project, dataset=dataset, year=2026,
                                   researcher=user("researcher-r"), rows="district")  # fmt: skip
    return project, dataset, table


def test_every_predicate_refuses_no_one(member_a, pooled_world, user):
    """``None`` is no admin, no researcher, named on no project and manages no member."""
    project = research.project_create(
        acting_user=user("admin-c"), title="P", purpose="P", ethics_reference="E",
        end_date="2099-12-31", researcher_ids=[user("researcher-r").pk], dataset_ids=[],
    )  # fmt: skip
    assert not permissions.can_administer(None)
    assert not permissions.can_research(None)
    assert not permissions.can_see_outputs(None)
    assert not permissions.can_research_project(None, project)
    assert not permissions.can_set_research_terms(None, member_a)
    assert permissions.can_administer(user("admin-c"))
    assert permissions.can_research_project(user("researcher-r"), project)
    assert permissions.can_set_research_terms(user("manager-a"), member_a)
    assert not permissions.can_set_research_terms(user("staff-a"), member_a)


@pytest.mark.parametrize("who", [None, "staff-a", "researcher-r"])
def test_research_set_up_is_for_consortium_admins_only(who, user):
    """Creating a dataset, a project or changing the disclosure settings refuses anyone but
    a consortium admin, and no one at all."""
    actor = user(who) if who else None
    with pytest.raises(PermissionDenied, match="Only a consortium admin"):
        research.dataset_create(acting_user=actor, title="D", survey_code="d")
    with pytest.raises(PermissionDenied):
        research.project_create(acting_user=actor, title="P", purpose="P", ethics_reference="E",
                                end_date="2099-12-31", researcher_ids=[user("researcher-r").pk],
                                dataset_ids=[])  # fmt: skip
    with pytest.raises(PermissionDenied):
        research.settings_update(acting_user=actor, threshold=3)
    assert not ResearchDataset.objects.filter(title="D").exists()


@pytest.mark.parametrize("who", [None, "staff-a", "manager-b", "admin-c"])
def test_research_terms_are_set_by_a_manager_of_the_provider_only(who, pooled_world, member_a,
                                                                  member_b, user):  # fmt: skip
    """Only a manager of the providing member says what its research agreement pools; no one
    at all is refused too (it used to be waved through)."""
    draft = sharing.agreement_create(
        provider=member_a, acting_user=user("manager-a"), recipient_ids=[member_b.pk],
        title="R draft", purpose="research", record_types=["organisation"],
        organisation_fields=["district"],
    )  # fmt: skip
    with pytest.raises(PermissionDenied, match="Only a manager of the provider"):
        research.research_terms_set(agreement=draft, dataset=pooled_world["dataset"],
                                    free_text_questions=[],
                                    acting_user=user(who) if who else None)  # fmt: skip
    assert not ResearchTerms.objects.filter(agreement=draft).exists()


def test_setting_research_terms_is_audited(pooled_world, member_a, member_b, user):
    """Setting (or changing) an agreement's research terms writes an audit row naming the
    manager and the providing member; setting the same terms again writes none."""
    manager = user("manager-a")
    draft = sharing.agreement_create(
        provider=member_a, acting_user=manager, recipient_ids=[member_b.pk], title="R audited",
        purpose="research", record_types=["organisation"], organisation_fields=["district"],
    )  # fmt: skip
    for _ in range(2):
        research.research_terms_set(agreement=draft, dataset=pooled_world["dataset"],
                                    free_text_questions=["needs"], acting_user=manager)  # fmt: skip
    entries = AuditEntry.objects.filter(action="research.terms_set", target="R audited")
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.actor_id, entry.member_id) == (manager.pk, member_a.pk)
    assert entry.details["free_text"] == ["needs"]


def test_a_researcher_not_named_on_the_project_cannot_act_on_it(project_with_table,
                                                                other_researcher):  # fmt: skip
    """Snapshots, tables, extracts, reviews and releases are the named researchers' alone,
    whatever the page in front of the service checked."""
    project, dataset, table = project_with_table
    for actor in (other_researcher, None):
        with pytest.raises(PermissionDenied):
            research.snapshot_take(project=project, dataset=dataset, year=2026,
                                   acting_user=actor)  # fmt: skip
        with pytest.raises(PermissionDenied):
            research.table_produce(project=project, dataset=dataset, year=2026,
                                   researcher=actor, rows="district")  # fmt: skip
        with pytest.raises(PermissionDenied):
            research.extract_produce(project=project, dataset=dataset, year=2026,
                                     researcher=actor, quasi_identifiers=["district"])  # fmt: skip
        with pytest.raises(PermissionDenied):
            research.review_request(output=table, acting_user=actor, note="Needed")
        with pytest.raises(PermissionDenied):
            research.output_release(output=table, acting_user=actor)
    table.refresh_from_db()
    assert table.status == OutputStatus.PASSED
    assert project.outputs.count() == 1


def test_a_review_is_released_by_a_consortium_admin_only(project_with_table, user):
    """A researcher sends a table to review; neither they nor no one at all may release it."""
    _, _, table = project_with_table
    research.review_request(output=table, acting_user=user("researcher-r"), note="Needed")
    for actor in (user("researcher-r"), None):
        with pytest.raises(PermissionDenied):
            research.review_release(output=table, acting_user=actor, reason="Fine",
                                    show_hidden=False)  # fmt: skip
    research.review_release(output=table, acting_user=user("admin-c"), reason="Fine",
                            show_hidden=False)  # fmt: skip
    entry = AuditEntry.objects.get(action="research.output_released_on_review")
    assert entry.actor_id == user("admin-c").pk


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/reports/", "admin-c"),
        ("/reports/surveys/", "admin-c"),
        ("/research/admin/", "admin-c"),
        ("/research/releases/", "admin-c"),
        ("/research/", "researcher-r"),
    ],
)
def test_consortium_pages_answer_403_to_the_wrong_role(path, allowed, client_for, user):
    """The view decorators: the right role sees the page, the other role and member staff
    get the 403 page, and a visitor is sent to sign in."""
    assert client_for(user(allowed), None).get(path).status_code == 200
    for other in {"admin-c", "researcher-r", "staff-a"} - {allowed}:
        assert client_for(user(other), None).get(path).status_code == 403
    assert client_for(None, None).get(path).status_code == 302
