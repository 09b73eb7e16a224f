"""Demo data for surveys and research: a consortium survey run by several members over two
years, their research agreements feeding a dataset, and a research project with a released
table. Reuses what exists.

Tenant assumptions: called on the public schema; enters each member's schema itself.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Member

SURVEY_CODE = "state-of-the-sector"
SURVEY_MEMBERS = ("york-cvs", "ryedale", "malton", "harrogate", "scarborough", "selby")
QUESTIONS = [
    ("About your organisation", [
        ("size", "How many people does your organisation support in a year?", "single",
         ["Fewer than 100", "100 to 999", "1,000 or more"], True),
        ("paid-staff", "How many paid staff do you have?", "number", [], True),
        ("volunteers", "How many volunteers do you have?", "number", [], False),
    ]),
    ("Your situation", [
        ("demand", "Demand for our services has grown this year.", "likert", [], True),
        ("finances", "How are your finances compared with last year?", "single",
         ["Better", "About the same", "Worse"], True),
        ("challenges", "Your biggest challenges", "multiple",
         ["Funding", "Volunteers", "Premises", "Energy costs", "Staff recruitment"], False),
        ("needs", "What support would help you most?", "text", [], False),
        ("comments", "Anything else you would like to tell us?", "text", [], False),
    ]),
]  # fmt: skip
NEEDS = ["Bid writing support", "Help recruiting trustees", "Cheaper premises",
         "Volunteer recruitment", "Digital skills", "Training for staff"]  # fmt: skip


def _survey_fill(member_slug: str, staff: Any) -> None:
    """Two waves (2025 closed, 2026 open) of the consortium survey in this member's schema,
    with invitations to every organisation and answers from about six in ten."""
    from crm.models import Organisation
    from surveys import services
    from surveys.models import Invitation, Response, Survey

    if Survey.objects.filter(code=SURVEY_CODE).exists():
        return
    rng = random.Random(f"survey-{member_slug}")  # noqa: S311 - demo data
    survey = services.survey_create(
        acting_user=staff, title="State of the Sector", code=SURVEY_CODE, year=2025,
        is_consortium=True,
        description="The consortium's yearly survey of local voluntary and community groups.",
    )  # fmt: skip
    first = survey.waves.get()
    for title, questions in QUESTIONS:
        section = services.section_add(wave=first, title=title, acting_user=staff)
        for code, text, kind, choices, required in questions:
            services.question_add(wave=first, section=section, code=code, text=text, kind=kind,
                                  choices=choices, required=required,
                                  acting_user=staff)  # fmt: skip
    second = services.wave_create(survey=survey, year=2026, acting_user=staff)
    organisations = list(Organisation.objects.values_list("pk", "income_band"))
    now = timezone.now()
    for wave, status, days_ago in ((first, "closed", 400), (second, "open", 30)):
        services.wave_set_status(wave=wave, status="open", acting_user=staff)
        Invitation.objects.bulk_create(
            [Invitation(wave=wave, organisation_id=pk, invited_by=staff) for pk, _ in organisations]
        )
        responses = []
        for pk, band in organisations:
            if rng.random() > 0.6:
                continue
            big = band in ("medium", "large", "major")
            answers = {
                "size": rng.choice(["100 to 999", "1,000 or more"] if big else
                                   ["Fewer than 100", "Fewer than 100", "100 to 999"]),
                "paid-staff": rng.randint(3, 40) if big else rng.choice([0, 0, 1, 2, 3]),
                "volunteers": rng.randint(2, 80),
                "demand": rng.choices([1, 2, 3, 4, 5], [1, 2, 4, 8, 5])[0],
                "finances": rng.choices(["Better", "About the same", "Worse"], [2, 4, 4])[0],
                "challenges": rng.sample(QUESTIONS[1][1][2][3], rng.randint(1, 3)),
            }  # fmt: skip
            if rng.random() < 0.5:
                answers["needs"] = rng.choice(NEEDS)
            if rng.random() < 0.2:
                answers["comments"] = "Please call our chair about this."
            responses.append(Response(
                wave=wave, organisation_id=pk, answers=answers,
                research_consent=rng.random() < 0.85, consent_wording=wave.consent_wording,
                source="link", submitted_at=now - timedelta(days=days_ago - rng.randint(0, 20)),
            ))  # fmt: skip
        Response.objects.bulk_create(responses, batch_size=1000)
        if status == "closed":
            services.wave_set_status(wave=wave, status="closed", acting_user=staff)


def demo_research(*, admin: Any, researcher: Any) -> None:
    """Surveys at a few members, research agreements into one dataset, a project."""
    from sharing import services as sharing
    from sharing.models import Agreement, Purpose

    from . import research
    from .models import ResearchDataset, ResearchProject

    users = get_user_model().objects
    # Fresh copies: a user object caches its permissions from before its groups were set.
    admin, researcher = users.get(pk=admin.pk), users.get(pk=researcher.pk)
    dataset = ResearchDataset.objects.filter(survey_code=SURVEY_CODE).first()
    if dataset is None:
        dataset = research.dataset_create(
            acting_user=admin, title="State of the Sector", survey_code=SURVEY_CODE,
            description="Pooled, pseudonymised responses to the consortium's yearly survey.",
        )  # fmt: skip
    for slug in SURVEY_MEMBERS:
        member = Member.organisations.filter(slug=slug).first()
        if member is None:
            continue
        staff = users.filter(username=f"{slug}-staff").first()
        manager = users.get(username=f"{slug}-manager")
        with schema_context(member.schema_name), transaction.atomic():
            _survey_fill(slug, staff)
        if Agreement.objects.filter(provider=member, purpose=Purpose.RESEARCH).exists():
            continue
        # The other members running the survey (the consortium's research rules name who may
        # be party) are the recipients, and each signs.
        partner_members = list(
            Member.organisations.filter(slug__in=SURVEY_MEMBERS).exclude(pk=member.pk)
        )
        partners = [m.pk for m in partner_members]
        agreement = sharing.agreement_create(
            provider=member, acting_user=manager, recipient_ids=partners,
            title="State of the Sector research", purpose=Purpose.RESEARCH,
            record_types=["organisation"],
            organisation_fields=["district", "org_type", "areas_of_work", "identifiers"],
            expected_benefit="Evidence of the sector's needs for funders and councils.",
            retention="Pooled answers leave the dataset when this agreement ends.",
            # What the consortium's research rules ask for (demo.provision sets them).
            lawful_basis="public_task", dpia_reference="DPIA-12",
            review_date=timezone.localdate() + timedelta(days=150),
            end_date=timezone.localdate() + timedelta(days=700),
        )  # fmt: skip
        research.research_terms_set(
            agreement=agreement, dataset=dataset, free_text_questions=["needs"], acting_user=manager
        )
        sharing.agreement_propose(agreement=agreement, acting_user=manager)
        sharing.agreement_sign(agreement=agreement, member=member, acting_user=manager)
        for partner in partner_members:
            partner_manager = users.get(username=f"{partner.slug}-manager")
            sharing.agreement_sign(agreement=agreement, member=partner, acting_user=partner_manager)
        agreement.refresh_from_db()
        if agreement.status != "active":  # research needs the consortium admin's approval
            sharing.agreement_approve(agreement=agreement, acting_user=admin)

    if ResearchProject.objects.filter(title="Sector health 2025–2026").exists():
        return
    project = research.project_create(
        acting_user=admin, title="Sector health 2025–2026",
        purpose="How demand, finances and volunteering changed across North Yorkshire.",
        ethics_reference="UoY-ETH-2026-117 / DPIA-12", end_date=timezone.localdate().replace(
            year=timezone.localdate().year + 1),
        researcher_ids=[researcher.pk], dataset_ids=[dataset.pk],
    )  # fmt: skip
    for year in (2025, 2026):
        research.snapshot_take(project=project, dataset=dataset, year=year,
                               acting_user=researcher)  # fmt: skip
    table = research.table_produce(
        project=project,
        dataset=dataset,
        year=2026,
        researcher=researcher,
        rows="district",
        cols="finances",
    )
    # Released, so it counts for the differencing check of later tables.
    research.output_release(output=table, acting_user=researcher)
    # A draft with small cells, to show suppression and its explanations.
    research.table_produce(
        project=project,
        dataset=dataset,
        year=2026,
        researcher=researcher,
        rows="district",
        cols="demand",
    )
