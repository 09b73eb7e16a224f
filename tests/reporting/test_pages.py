"""The member dashboard, the report builder and the consortium's aggregate reports."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from crm import services as crm
from crm.dashboard import Chart, chart_register
from reporting.dashboard import charts_for
from reporting.models import SavedReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_a(member_a, in_member):
    with in_member(member_a):
        york = crm.organisation_create(acting_user=None, name="York Food Bank", district="York",
                                       areas_of_work=["Food"])  # fmt: skip
        crm.organisation_create(acting_user=None, name="Selby Shed", district="Selby",
                                areas_of_work=["Food", "Health and wellbeing"])  # fmt: skip
        ada = crm.contact_create(acting_user=None, first_name="Ada", last_name="Visible")
        crm.contact_create(acting_user=None, first_name="Hidden", last_name="Person",
                           is_restricted=True)  # fmt: skip
        crm.consent_record(contact=ada, purpose="marketing", status="granted", acting_user=None)
        today = timezone.localdate()
        for kind, minutes in (("call", 30), ("call", 15), ("meeting", 60)):
            crm.interaction_create(acting_user=None, kind=kind, date=today,
                                   duration_minutes=minutes, summary="Check-in",
                                   organisations=[york])  # fmt: skip
    return york


def test_home_page_is_the_dashboard_with_a_table_beside_each_chart(crm_a, client_for, user,
                                                                   member_a):  # fmt: skip
    """Every chart is an SVG image with a title, and its numbers are in a table; restricted
    contacts are not counted for colleagues who cannot see them."""
    body = client_for(user("staff-a"), member_a).get("/").content.decode()
    for title in ("Contacts and organisations over time", "Interactions by type per month",
                  "Organisations by locality", "Organisations by area of work",
                  "Consent coverage"):  # fmt: skip
        assert title in body
    assert body.count('role="img"') == 5
    assert body.count("<caption>") >= 5
    assert "Share of your 1 contacts" in body  # the restricted contact is not counted
    assert "Phone call" in body
    assert "Food" in body


def test_a_chart_is_added_by_registering_a_function(client_for, user, member_a, crm_a):
    """Another app (events) adds a chart by registering one function with crm's registry;
    reporting draws it without importing that app."""
    from crm import dashboard

    def attendance(request):
        return Chart("attendance", "Event attendance", ["Jan"], {"Attended": [12]})

    before = list(dashboard._charts)
    try:
        chart_register(attendance, order=60)
        assert "Event attendance" in client_for(user("staff-a"), member_a).get("/").content.decode()
    finally:
        dashboard._charts[:] = before
    assert all(c.key != "attendance" for c in charts_for(_request(user("staff-a"))))


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_report_builder_runs_saves_and_exports(crm_a, client_for, user, member_a):
    client = client_for(user("staff-a"), member_a)
    query = "record_type=interaction&rows=kind&cols=&measure=duration"
    page = client.get(f"/reports/?{query}").content.decode()
    assert "Phone call" in page
    assert ">45<" in page
    assert ">60<" in page
    saved = client.post(f"/reports/?{query}", {"name": "Time by type"})
    assert saved.status_code == 302
    report = SavedReport.objects.get(member=member_a, name="Time by type")
    assert report.spec["measure"] == "duration"
    again = client.get(f"/reports/?saved={report.pk}").content.decode()
    assert "Time by type" in again
    assert ">45<" in again
    csv = client.get(f"/reports/?{query}&export=csv").content.decode("utf-8-sig")
    assert "Phone call,45" in csv
    xlsx = client.get(f"/reports/?{query}&export=xlsx")
    assert xlsx.content[:2] == b"PK"
    two_way = client.get("/reports/?record_type=organisation&rows=district&cols=area"
                         "&measure=count").content.decode()  # fmt: skip
    assert "Health and wellbeing" in two_way
    bad = client.get("/reports/?record_type=contact&rows=district&measure=duration")
    assert bad.status_code == 400
    assert "Only interactions have a duration." in bad.content.decode()


def test_saved_reports_belong_to_their_member(crm_a, client_for, user, member_a, member_b):
    """Another member's saved report is the same not-found as a missing one, on the page and
    in the selector."""
    from reporting import selectors

    report = SavedReport.objects.create(member=member_a, name="Ours", spec={
        "record_type": "organisation", "rows": "district", "cols": "", "measure": "count",
        "filters": {}})  # fmt: skip
    assert client_for(user("staff-b"), member_b).get(f"/reports/?saved={report.pk}"
                                                     ).status_code == 404  # fmt: skip
    assert list(selectors.saved_reports_of(member=member_b)) == []
    for member, report_id in ((member_b, report.pk), (member_a, report.pk + 1000)):
        with pytest.raises(SavedReport.DoesNotExist):
            selectors.saved_report_get(member=member, report_id=report_id)
    assert selectors.saved_report_get(member=member_a, report_id=report.pk) == report


def test_saving_a_report_is_audited_and_needs_a_name(crm_a, client_for, user, member_a):
    """Saving a report writes an audit row naming who saved it and for which member; a
    report without a name is not saved, and the page says why."""
    from tenants.models import AuditEntry

    client = client_for(user("staff-a"), member_a)
    query = "record_type=organisation&rows=district&cols=&measure=count"
    refused = client.post(f"/reports/?{query}", {"name": "   "}, follow=True)
    assert "Give the report a name to save it." in refused.content.decode()
    assert not SavedReport.objects.filter(member=member_a).exists()
    assert not AuditEntry.objects.filter(action="report.saved").exists()
    assert client.post(f"/reports/?{query}", {"name": "By locality"}).status_code == 302
    entry = AuditEntry.objects.get(action="report.saved")
    assert (entry.actor_id, entry.member_id, entry.target) == (
        user("staff-a").pk, member_a.pk, "By locality")  # fmt: skip
    assert SavedReport.objects.get(member=member_a).created_by == user("staff-a")


def test_consortium_reports_count_per_member_for_admins_only(crm_a, client_for, user, member_b,
                                                             in_member):  # fmt: skip
    with in_member(member_b):
        crm.organisation_create(acting_user=None, name="Beta York Group", district="York")
        crm.interaction_create(acting_user=None, kind="visit",
                               date=timezone.localdate() - datetime.timedelta(days=1),
                               summary="Visit")  # fmt: skip
    admin = client_for(user("admin-c"), None)
    page = admin.get("/reports/?report=districts").content.decode()
    assert "Alpha Voluntary Action" in page
    assert "Beta Community Network" in page
    assert "Selby" in page
    csv = admin.get("/reports/?report=districts&export=csv").content.decode("utf-8-sig")
    assert "Alpha Voluntary Action,1,1,2\nBeta Community Network,0,1,1" in csv.replace("\r", "")
    quarters = admin.get("/reports/?report=quarters").content.decode()
    assert " Q" in quarters
    assert client_for(user("staff-a"), None).get("/reports/").status_code == 403
    assert client_for(user("researcher-r"), None).get("/reports/").status_code == 403


def test_consortium_reports_read_no_personal_columns():
    """The aggregate SQL run in every member's schema names only district, date and counts
    (the consortium reports and the consortium surveys' coverage alike)."""
    import inspect

    from reporting import aggregates, consortium_surveys

    for module in (aggregates, consortium_surveys):
        source = inspect.getsource(module)
        for personal in ("first_name", "last_name", "email", "phone", "mobile", "crm_contact",
                         "notes", "postcode"):  # fmt: skip
            assert personal not in source, (module.__name__, personal)


def test_consortium_surveys_count_per_member_and_locality_and_copy_definitions(
    client_for, user, member_a, member_b, in_member
):
    """Admins see invited versus responded per member and per locality for a consortium
    survey, and can send its definition to a member that does not run it yet."""
    from surveys import services as surveys
    from surveys.models import Survey
    from tenants.models import AuditEntry

    with in_member(member_a):
        survey = surveys.survey_create(acting_user=None, title="State of the Sector",
                                       code="sots", year=2026, is_consortium=True,
                                       consent_wording="May the consortium use it?")  # fmt: skip
        wave = survey.waves.get()
        section = surveys.section_add(wave=wave, acting_user=None, title="About")
        surveys.question_add(
            wave=wave,
            acting_user=None,
            section=section,
            code="size",
            text="Size?",
            kind="single",
            choices=["Small", "Large"],
            required=True,
        )
        surveys.wave_set_status(wave=wave, acting_user=None, status="open")
        orgs = [crm.organisation_create(acting_user=None, name=f"Group {i}",
                                        district="York" if i < 2 else "Selby")
                for i in range(3)]  # fmt: skip
        surveys.invitations_create(wave=wave, organisation_ids=[o.pk for o in orgs],
                                   acting_user=None)  # fmt: skip
        surveys.response_enter(wave=wave, organisation=orgs[0], raw={"size": "Small"},
                               research_consent=True, acting_user=None)  # fmt: skip
    admin = client_for(user("admin-c"), None)
    page = admin.get("/reports/surveys/?code=sots").content.decode()
    assert "Invited and responded per member" in page
    assert "Invited and responded per locality" in page
    assert '<th scope="row">Selby</th><td class="num">1</td><td class="num">0</td>' in page
    assert '<th scope="row">York</th><td class="num">2</td><td class="num">1</td>' in page
    sent = admin.post("/reports/surveys/", {"code": "sots", "source": member_a.pk,
                                            "targets": [member_b.pk]})  # fmt: skip
    assert sent.status_code == 302
    with in_member(member_b):
        copied = Survey.objects.get(code="sots")
        assert copied.is_consortium
        assert copied.created_by == user("admin-c")  # the admin who sent it, not no one
        assert list(copied.waves.get().questions.values_list("code", flat=True)) == ["size"]
        assert copied.waves.get().status == "draft"
        assert copied.waves.get().consent_wording == "May the consortium use it?"
    entry = AuditEntry.objects.get(action="surveys.definition_copied")
    assert entry.actor_id == user("admin-c").pk
    assert entry.details["members"] == [member_b.name]
    assert client_for(user("staff-a"), None).get("/reports/surveys/").status_code == 403
