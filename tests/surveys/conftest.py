from __future__ import annotations

import pytest

from crm import services as crm
from surveys import services


@pytest.fixture
def survey_at(in_member, user):
    """``survey_at(member)``: an open consortium survey wave at ``member`` with one question of
    each kind, and two organisations (one with a charity number) invited to it."""

    def make(member, *, code="state-of-the-sector", year=2026, charity="1100001"):
        with in_member(member):
            survey = services.survey_create(
                acting_user=None, title="State of the Sector", code=code, year=year,
                is_consortium=True,
            )  # fmt: skip
            wave = survey.waves.get()
            about = services.section_add(wave=wave, acting_user=None, title="About you")
            services.question_add(
                wave=wave,
                acting_user=None,
                section=about,
                code="size",
                text="How big?",
                kind="single",
                choices=["Small", "Large"],
                required=True,
            )
            services.question_add(
                wave=wave,
                acting_user=None,
                section=about,
                code="areas",
                text="Areas?",
                kind="multiple",
                choices=["Food", "Sport", "Arts"],
            )
            services.question_add(
                wave=wave,
                acting_user=None,
                section=about,
                code="staff",
                text="Paid staff?",
                kind="number",
                required=True,
            )
            services.question_add(
                wave=wave,
                acting_user=None,
                section=about,
                code="mood",
                text="Optimistic?",
                kind="likert",
            )
            services.question_add(
                wave=wave,
                acting_user=None,
                section=about,
                code="comments",
                text="Anything?",
                kind="text",
            )
            services.wave_set_status(wave=wave, acting_user=None, status="open")
            named = crm.organisation_create(
                acting_user=None, name="Malton Men's Shed", district="Ryedale",
                email="shed@example.org", identifiers=[("GB-CHC", charity)] if charity else [],
            )  # fmt: skip
            other = crm.organisation_create(acting_user=None, name="Filey Walkers",
                                            district="Scarborough")  # fmt: skip
            services.invitations_create(wave=wave, organisation_ids=[named.pk, other.pk],
                                        acting_user=None)  # fmt: skip
            invitations = {i.organisation.name: i for i in wave.invitations.all()}
        return {"survey": survey, "wave": wave, "org": named, "other": other,
                "invitations": invitations}  # fmt: skip

    return make
