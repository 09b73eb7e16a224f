"""An agreement's selection criteria have one definition (sharing.criteria): for any tags,
organisation types and districts, the shared directory's projection and the research pool
both pick exactly the organisations a plain reading of the criteria names."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import services as crm
from reporting import research
from reporting.models import PooledResponse
from reporting.pooling import agreement_pool
from sharing import services
from sharing.models import Agreement, RecordType, SharedRecord
from sharing.projection import agreement_backfill
from surveys import services as surveys

pytestmark = pytest.mark.django_db

TAGS = ["Directory 2026", "Sector survey", "Unused tag"]
ORG_TYPES = ["charity", "community", "social_enterprise", "cic"]
DISTRICTS = ["Ryedale", "Selby", "York", "Craven"]
SURVEY = "criteria-survey"


def _signed(agreement: Agreement, *signers) -> Agreement:
    for member, manager in signers:
        services.agreement_sign(agreement=agreement, member=member, acting_user=manager)
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def criteria_world(member_a, member_b, user, in_member):
    """Member A's organisations in every mix of tag, type and district (tags: one, the
    other, both, none), each of which answered the survey with research consent; an active
    directory agreement and an active research agreement from A, with the same criteria."""
    manager_a, manager_b = user("manager-a"), user("manager-b")
    with in_member(member_a):
        survey = surveys.survey_create(acting_user=manager_a, title="Criteria", code=SURVEY,
                                       year=2026, is_consortium=True)  # fmt: skip
        wave = survey.waves.get()
        section = surveys.section_add(wave=wave, title="About")
        surveys.question_add(wave=wave, section=section, code="staff", text="Staff",
                             kind="number")  # fmt: skip
        surveys.wave_set_status(wave=wave, status="open")
        tags = [crm.tag_get_or_create(name=name) for name in TAGS[:2]]
        tag_sets = [[], [tags[0]], [tags[1]], tags]
        mixes = itertools.product(ORG_TYPES[:3], DISTRICTS[:3], tag_sets)
        organisations = {}
        for n, (org_type, district, tagged) in enumerate(mixes):
            organisation = crm.organisation_create(
                acting_user=manager_a, name=f"Group {n}", org_type=org_type,
                district=district, tags=tagged,
            )  # fmt: skip
            organisations[organisation.pk] = (org_type, district, {t.name for t in tagged})
            surveys.response_enter(wave=wave, organisation=organisation, raw={"staff": "3"},
                                   research_consent=True, acting_user=manager_a)  # fmt: skip
    directory = services.agreement_create(
        provider=member_a, acting_user=manager_a, recipient_ids=[member_b.pk],
        title="Directory", purpose="directory", record_types=["organisation"],
        organisation_fields=["name", "district"],
    )  # fmt: skip
    services.agreement_propose(agreement=directory, acting_user=manager_a)
    _signed(directory, (member_a, manager_a), (member_b, manager_b))
    dataset = research.dataset_create(acting_user=user("admin-c"), title="Criteria",
                                      survey_code=SURVEY)  # fmt: skip
    pool = services.agreement_create(
        provider=member_a, acting_user=manager_a, recipient_ids=[], all_members=True,
        title="Research", purpose="research", record_types=["organisation"],
        organisation_fields=["district", "org_type"],
    )  # fmt: skip
    research.research_terms_set(agreement=pool, dataset=dataset, free_text_questions=[],
                                acting_user=manager_a)  # fmt: skip
    services.agreement_propose(agreement=pool, acting_user=manager_a)
    _signed(pool, (member_a, manager_a))
    return {"directory": directory, "pool": pool, "organisations": organisations}


def _with_criteria(agreement: Agreement, **criteria: list[str]) -> Agreement:
    Agreement.objects.filter(pk=agreement.pk).update(**criteria)
    agreement.refresh_from_db()
    return agreement


def _picked(organisations: dict, *, tags: list[str], org_types: list[str],
            districts: list[str]) -> set[int]:  # fmt: skip
    """The reference reading: every listed criterion must hold; an empty one holds for all."""
    return {
        pk for pk, (org_type, district, tagged) in organisations.items()
        if (not tags or tagged & set(tags)) and (not org_types or org_type in org_types)
        and (not districts or district in districts)
    }  # fmt: skip


def _subsets(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=len(values))


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])  # fmt: skip
@given(tags=_subsets(TAGS), org_types=_subsets(ORG_TYPES), districts=_subsets(DISTRICTS))
def test_the_pool_and_the_projection_pick_the_same_organisations(criteria_world, tags,
                                                                 org_types, districts):  # fmt: skip
    """Whatever the criteria (an empty list meaning "any"), the directory shares, and the
    pool takes the answers of, the same organisations: those the criteria name."""
    criteria = {"criteria_tags": tags, "criteria_org_types": org_types,
                "criteria_districts": districts}  # fmt: skip
    directory = _with_criteria(criteria_world["directory"], **criteria)
    SharedRecord.objects.filter(agreement=directory).delete()
    agreement_backfill(directory)
    pool = _with_criteria(criteria_world["pool"], **criteria)
    agreement_pool(pool)
    shared = set(
        SharedRecord.objects.filter(agreement=directory, record_type=RecordType.ORGANISATION)
        .values_list("record_id", flat=True)
    )  # fmt: skip
    pooled = set(
        PooledResponse.objects.filter(agreement_id=pool.pk).values_list("organisation_id",
                                                                        flat=True)
    )  # fmt: skip
    expected = _picked(criteria_world["organisations"], tags=tags, org_types=org_types,
                       districts=districts)  # fmt: skip
    assert shared == expected
    assert pooled == expected
