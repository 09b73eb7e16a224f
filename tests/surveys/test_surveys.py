"""Surveys: definitions with versioned questions, validated answers, one response per
organisation through an unguessable link, staff entry and invited-versus-responded counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from surveys import answers, selectors, services
from surveys.models import Response

pytestmark = pytest.mark.django_db

GOOD = {"size": "Small", "areas": ["Food", "Arts"], "staff": "3", "mood": "4",
        "comments": "We need volunteers"}  # fmt: skip


def test_answers_are_checked_against_each_question(survey_at, member_a, in_member):
    """Required answers, choices, numbers and the Likert range are enforced, with an error
    per question; clean values come back typed."""
    world = survey_at(member_a)
    with in_member(member_a):
        with pytest.raises(ValidationError) as caught:
            answers.answers_clean(wave=world["wave"], raw={
                "size": "", "areas": ["Knitting"], "staff": "lots", "mood": "9"})  # fmt: skip
        assert caught.value.message_dict == {
            "size": [answers.REQUIRED], "areas": [answers.NOT_A_CHOICE],
            "staff": [answers.NOT_A_NUMBER], "mood": [answers.NOT_A_CHOICE],
        }  # fmt: skip
        clean = answers.answers_clean(wave=world["wave"], raw=GOOD)
    assert clean == {"size": "Small", "areas": ["Food", "Arts"], "staff": 3, "mood": 4,
                     "comments": "We need volunteers"}  # fmt: skip


def test_a_new_wave_keeps_question_codes(survey_at, member_a, in_member):
    """Next year's wave starts from this year's questions with the same codes, and can be
    changed without touching last year's."""
    world = survey_at(member_a)
    with in_member(member_a):
        wave = services.wave_create(survey=world["survey"], year=2027, acting_user=None)
        assert list(wave.questions.values_list("code", flat=True)) == list(
            world["wave"].questions.values_list("code", flat=True))  # fmt: skip
        services.question_add(wave=wave, acting_user=None, section=wave.sections.get(), code="new",
                              text="New in 2027", kind="text")  # fmt: skip
        assert not world["wave"].questions.filter(code="new").exists()
        with pytest.raises(ValidationError):
            services.wave_create(survey=world["survey"], year=2027, acting_user=None)
        with pytest.raises(ValidationError):  # open waves are fixed
            services.section_add(wave=world["wave"], acting_user=None, title="Late")


def test_public_link_answers_once_without_signing_in(survey_at, member_a, in_member, client):
    """The link works with no sign-in, shows errors without saving, records consent, and a
    second submission is refused; a guessed token is 404."""
    world = survey_at(member_a)
    token = world["invitations"]["Malton Men's Shed"].token
    assert len(token) >= 40
    client.defaults["HTTP_HOST"] = "alpha.localhost"
    page = client.get(f"/respond/{token}/")
    assert page.status_code == 200
    assert "Malton Men&#x27;s Shed" in page.content.decode()
    bad = client.post(f"/respond/{token}/", {"q-size": "", "q-staff": "x"})
    assert bad.status_code == 400
    assert "Answer this question." in bad.content.decode()
    with in_member(member_a):
        assert not Response.objects.exists()
    ok = client.post(f"/respond/{token}/", {"q-size": "Small", "q-areas": ["Food", "Sport"],
                                            "q-staff": "12", "q-mood": "5",
                                            "research_consent": "yes"})  # fmt: skip
    assert "Thank you" in ok.content.decode()
    with in_member(member_a):
        response = Response.objects.get()
        assert response.answers == {"size": "Small", "areas": ["Food", "Sport"], "staff": 12,
                                    "mood": 5}  # fmt: skip
        assert response.research_consent
        assert response.consent_wording == world["wave"].consent_wording
        with pytest.raises(ValidationError):
            services.response_submit(
                token=token, raw=GOOD, research_consent=False, acting_user=None
            )
    assert client.get("/respond/not-a-real-token/").status_code == 404


def test_a_link_is_only_good_on_its_own_members_site(survey_at, member_a, member_b, client):
    """Another member's site does not know the token: 404."""
    world = survey_at(member_a)
    token = world["invitations"]["Malton Men's Shed"].token
    client.defaults["HTTP_HOST"] = "beta.localhost"
    assert client.get(f"/respond/{token}/").status_code == 404


def test_invited_versus_responded_per_locality(survey_at, member_a, in_member):
    """Coverage counts invitations and responses per district, staff entries included."""
    world = survey_at(member_a)
    with in_member(member_a):
        services.response_enter(wave=world["wave"], organisation=world["other"], raw=GOOD,
                                research_consent=False, acting_user=None)  # fmt: skip
        coverage = {c.locality: (c.invited, c.responded) for c in
                    selectors.wave_coverage(wave=world["wave"])}  # fmt: skip
    assert coverage == {"Ryedale": (1, 0), "Scarborough": (1, 1), "All localities": (2, 1)}


def test_staff_pages_define_invite_and_enter(client_for, user, member_a, in_member, survey_at):
    """Staff create a survey, add a section and a question, see links, and enter answers."""
    client = client_for(user("staff-a"), member_a)
    created = client.post("/surveys/", {"title": "Volunteering", "code": "volunteering",
                                        "year": "2026"})  # fmt: skip
    assert created.status_code == 302
    wave_url = created["Location"]
    assert client.post(f"{wave_url}questions/", {"title": "Basics", "section-only": "1"}
                       ).status_code == 302  # fmt: skip
    with in_member(member_a):
        from surveys.models import Wave

        wave = Wave.objects.get(survey__code="volunteering")
        section = wave.sections.get()
    bad = client.post(f"{wave_url}questions/", {"section": section.pk, "code": "pick",
                                                "text": "Pick", "kind": "single",
                                                "choices": "Only one"})  # fmt: skip
    assert bad.status_code == 400
    assert services.NEEDS_CHOICES in bad.content.decode()
    world = survey_at(member_a, code="other-survey")
    page = client.get(f"/surveys/waves/{world['wave'].pk}/").content.decode()
    assert world["invitations"]["Filey Walkers"].token in page
    assert "All localities" in page
    entered = client.post(
        f"/surveys/waves/{world['wave'].pk}/enter/{world['other'].pk}/",
        {"q-size": "Large", "q-staff": "2", "research_consent": "no"},
    )
    assert entered.status_code == 302
    with in_member(member_a):
        assert Response.objects.get(organisation=world["other"]).source == "staff"


def test_every_survey_write_by_staff_is_audited_under_their_member(client_for, user, member_a,
                                                                    in_member):  # fmt: skip
    """Creating a survey, adding a section and a question, opening the wave, inviting and
    entering answers each write an audit row naming who did it and for which member; an
    organisation answering through its own link is no one signed in and writes none."""
    from crm import services as crm
    from tenants.models import AuditEntry

    staff = user("staff-a")
    client = client_for(staff, member_a)
    wave_url = client.post("/surveys/", {"title": "Audited", "code": "audited",
                                         "year": "2026"})["Location"]  # fmt: skip
    client.post(f"{wave_url}questions/", {"title": "Basics", "section-only": "1"})
    with in_member(member_a):
        from surveys.models import Wave

        wave = Wave.objects.get(survey__code="audited")
        section = wave.sections.get()
        organisation = crm.organisation_create(acting_user=None, name="Audited Group")
        answering = crm.organisation_create(acting_user=None, name="Answering Group")
    client.post(f"{wave_url}questions/", {"section": section.pk, "code": "size",
                                          "text": "Size", "kind": "number"})  # fmt: skip
    client.post(f"{wave_url}status/", {"status": "open"})
    client.post(f"{wave_url}invite/", {"district": "", "tag": ""})
    client.post(f"/surveys/waves/{wave.pk}/enter/{organisation.pk}/", {"q-size": "3"})
    with in_member(member_a):
        token = wave.invitations.get(organisation=answering).token
    entries = AuditEntry.objects.filter(action__startswith="surveys.", target="audited 2026")
    assert {e.action for e in entries} == {
        "surveys.survey_created", "surveys.section_added", "surveys.question_added",
        "surveys.wave_status_changed", "surveys.invitations_sent", "surveys.response_entered",
    }  # fmt: skip
    assert {(e.actor_id, e.member_id) for e in entries} == {(staff.pk, member_a.pk)}
    before = AuditEntry.objects.count()
    with in_member(member_a):
        services.response_submit(
            token=token, raw={"size": "4"}, research_consent=False, acting_user=None
        )
        assert Response.objects.filter(wave=wave).count() == 2
    assert AuditEntry.objects.count() == before


def test_survey_pages_need_a_membership(client_for, user, member_a):
    """Staff pages are not open: an outsider gets 403."""
    assert client_for(user("outsider"), member_a).get("/surveys/").status_code == 403
