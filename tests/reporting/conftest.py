from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from crm import services as crm
from reporting import research
from reporting.models import PooledResponse
from sharing import services as sharing
from surveys import services as surveys


def research_agreement(member, manager, *, title="Research 2026", fields=None, terms=None):
    """A research agreement from ``member`` (all members), its terms set, then signed."""
    agreement = sharing.agreement_create(
        provider=member, acting_user=manager, recipient_ids=[], all_members=True, title=title,
        purpose="research", record_types=["organisation"],
        organisation_fields=fields or ["district", "org_type", "identifiers"],
    )  # fmt: skip
    if terms is not None:
        research.research_terms_set(agreement=agreement, acting_user=manager, **terms)
    sharing.agreement_propose(agreement=agreement, acting_user=manager)
    sharing.agreement_sign(agreement=agreement, member=member, acting_user=manager)
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def pooled_world(member_a, member_b, in_member, user):
    """Members A and B each run "State of the Sector" 2026. Both surveyed Malton Men's Shed
    (the same charity number); A also an organisation that declined research, B a second
    organisation. Each has a research agreement feeding one dataset, letting through the
    free-text question "needs" but not "comments"."""
    dataset = research.dataset_create(acting_user=user("admin-c"), title="State of the Sector",
                                      survey_code="state-of-the-sector")  # fmt: skip
    made = {}
    for member, manager, when in ((member_a, "manager-a", 1), (member_b, "manager-b", 2)):
        with in_member(member):
            survey = surveys.survey_create(acting_user=None, title="State of the Sector",
                                           code="state-of-the-sector", year=2026,
                                           is_consortium=True)  # fmt: skip
            wave = survey.waves.get()
            section = surveys.section_add(wave=wave, acting_user=None, title="About")
            surveys.question_add(wave=wave, section=section, code="size", text="Size",
                                 kind="single", choices=["Small", "Large"],
                                 acting_user=None)  # fmt: skip
            surveys.question_add(wave=wave, section=section, code="staff", text="Staff",
                                 kind="number", acting_user=None)  # fmt: skip
            surveys.question_add(wave=wave, section=section, code="needs", text="Needs",
                                 kind="text", acting_user=None)  # fmt: skip
            surveys.question_add(wave=wave, section=section, code="comments", text="Comments",
                                 kind="text", acting_user=None)  # fmt: skip
            surveys.wave_set_status(wave=wave, acting_user=None, status="open")
            shed = crm.organisation_create(
                acting_user=None, name="Malton Men's Shed", district="Ryedale",
                org_type="charity", email="shed@example.org",
                identifiers=[("GB-CHC", "1100001")],
            )  # fmt: skip
            other = crm.organisation_create(
                acting_user=None, name=f"Other Group {member.slug}", district="Selby",
                org_type="community", email=f"other@{member.slug}.example.org",
            )  # fmt: skip
            for org, consent in ((shed, True), (other, member is member_b)):
                response = surveys.response_enter(
                    wave=wave, organisation=org, acting_user=None, research_consent=consent,
                    raw={"size": "Small", "staff": "4", "needs": "Funding",
                         "comments": f"Ask for {org.name} at shed@example.org"},
                )  # fmt: skip
                # A answered first: its answer is the one the pool keeps.
                response.submitted_at = timezone.now() - datetime.timedelta(days=10 - when)
                response.save(update_fields=["submitted_at"])
        agreement = research_agreement(
            member, user(manager),
            terms={"dataset": dataset, "free_text_questions": ["needs"]},
        )  # fmt: skip
        made[member.slug] = {"agreement": agreement, "wave": wave, "shed": shed, "other": other}
    return {"dataset": dataset, **made}


def pool_rows(*, dataset, provider_id, agreement_id, year=2026, rows, start=10_000):
    """Synthetic pooled responses (attributes, answers) for table tests; kept and unique."""
    PooledResponse.objects.bulk_create([
        PooledResponse(dataset=dataset, provider_id=provider_id, agreement_id=agreement_id,
                       response_id=start + i, organisation_id=start + i, year=year,
                       match_key=f"k{provider_id}-{i}",
                       attributes=attributes, answers=answers, submitted_at=timezone.now(),
                       kept=True)
        for i, (attributes, answers) in enumerate(rows)
    ])  # fmt: skip
