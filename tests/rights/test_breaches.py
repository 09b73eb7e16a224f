"""The breach log: the 72-hour clock, decisions appended not edited, the affected members'
leads told, and who sees a breach."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from rights import breach_selectors, breach_services
from rights.breach_models import Breach, BreachEntry, RiskLevel, risk_level
from rights.breach_selectors import breach_clock
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=False)

T = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def _breach(found_at=T, **fields) -> Breach:
    return Breach(found_at=found_at, title="t", what_happened="w", found_by="f", **fields)


def test_the_clock_runs_72_hours_from_when_it_was_found():
    """Found at T: due at T+72h; hours left count down, under a day is due soon, past it
    is overdue (the bar full)."""
    breach = _breach()
    assert breach.due_at == T + datetime.timedelta(hours=72)
    fresh = breach_clock(breach, now=T + datetime.timedelta(minutes=30))
    assert (fresh.state, fresh.hours_left, fresh.label) == ("running", 71, "71 hours left")
    soon = breach_clock(breach, now=T + datetime.timedelta(hours=60))
    assert (soon.state, soon.hours_left, soon.overdue) == ("due-soon", 12, False)
    last = breach_clock(breach, now=T + datetime.timedelta(hours=71, minutes=30))
    assert last.label == "Less than an hour left"
    late = breach_clock(breach, now=T + datetime.timedelta(hours=75))
    assert (late.state, late.overdue, late.label) == ("overdue", True, "Overdue by 3 hours")
    assert (late.bar_value, late.bar_max) == (72, 72)


def test_the_clock_stops_when_reported_or_decided_not_reportable():
    """A report stops the clock (late if after the 72 hours); so does deciding not to."""
    on_time = breach_clock(_breach(reported_at=T + datetime.timedelta(hours=30)),
                           now=T + datetime.timedelta(hours=100))  # fmt: skip
    assert (on_time.state, on_time.overdue) == ("reported", False)
    assert on_time.label == "Reported to the ICO 30 hours after it was found"
    late = breach_clock(_breach(reported_at=T + datetime.timedelta(hours=80)))
    assert late.overdue
    assert late.label.endswith("(late)")
    not_needed = breach_clock(_breach(report_to_ico="no"), now=T + datetime.timedelta(hours=99))
    assert (not_needed.state, not_needed.overdue) == ("not-reportable", False)


@pytest.mark.parametrize(
    ("likelihood", "severity", "risk"),
    [("remote", "minimal", RiskLevel.NONE), ("possible", "minimal", RiskLevel.NONE),
     ("remote", "severe", RiskLevel.RISK), ("possible", "significant", RiskLevel.RISK),
     ("possible", "severe", RiskLevel.HIGH), ("likely", "severe", RiskLevel.HIGH)],
)  # fmt: skip
def test_risk_is_likelihood_times_severity(likelihood, severity, risk):
    assert risk_level(likelihood, severity) == risk


def test_recording_tells_the_affected_members_leads(
    member_a,
    member_b,
    lead_a,
    lead_b,
    consortium_lead,
    breach_details,
    django_capture_on_commit_callbacks,
):
    """The consortium lead records a breach affecting both members: each member's lead gets
    an e-mail linking to it on their own site; it is audited and has its first decision."""
    with django_capture_on_commit_callbacks(execute=True):
        breach = breach_services.breach_record(
            acting_user=consortium_lead, member=None, members=[member_a, member_b],
            **breach_details(),
        )  # fmt: skip
    assert breach.reference.startswith(f"BR-{breach.found_at.year}-")
    assert sorted(m.to[0] for m in mail.outbox) == ["lead-a@example.org", "lead-b@example.org"]
    to_a = next(m for m in mail.outbox if m.to == ["lead-a@example.org"])
    assert breach.reference in to_a.subject
    assert member_a.name in to_a.subject
    assert f"alpha.localhost:8000/breaches/{breach.pk}/" in to_a.body
    assert "Spreadsheet e-mailed" in to_a.body
    assert AuditEntry.objects.filter(action="breach.recorded", target=breach.reference).exists()
    assert [e.text for e in breach_selectors.breach_decisions(breach=breach)] == [
        "Recorded. Risk assessed as: Risk (report to the ICO)."
    ]


def test_a_members_lead_records_for_its_own_member_only(
    member_a, member_b, lead_a, breach_details, django_capture_on_commit_callbacks
):
    """On its own site a member's lead records a breach of that member, whatever members it
    names; a member's staff cannot record one."""
    from django.contrib.auth import get_user_model

    with django_capture_on_commit_callbacks(execute=True):
        breach = breach_services.breach_record(acting_user=lead_a, member=member_a,
                                               members=[member_b], **breach_details())  # fmt: skip
    assert list(breach.members.all()) == [member_a]
    assert breach.recorded_for == member_a
    assert [m.to for m in mail.outbox] == [["lead-a@example.org"]]
    staff = get_user_model().objects.get(username="staff-a")
    with pytest.raises(PermissionDenied):
        breach_services.breach_record(acting_user=staff, member=member_a, members=[],
                                      **breach_details())  # fmt: skip


def test_dates_are_checked(member_a, consortium_lead, breach_details):
    """It cannot be found in the future, nor have happened after it was found."""
    with pytest.raises(ValidationError) as raised:
        breach_services.breach_record(
            acting_user=consortium_lead, member=None, members=[member_a],
            **breach_details(occurred_at=T + datetime.timedelta(days=3000)),
        )  # fmt: skip
    assert breach_services.HAPPENED_AFTER_FOUND in raised.value.messages


def test_decisions_are_appended_never_edited(member_a, consortium_lead, breach_details):
    """Each decision is a new dated entry with who made it; the database refuses to change or
    remove one."""
    breach = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                           members=[member_a], **breach_details())  # fmt: skip
    breach_services.breach_decide(acting_user=consortium_lead, member=None, breach=breach,
                                  report_to_ico="yes", tell_people="undecided",
                                  text="Contact details of 120 people.")  # fmt: skip
    breach_services.breach_decide(acting_user=consortium_lead, member=None, breach=breach,
                                  report_to_ico="yes", tell_people="no",
                                  text="Recipients confirmed deletion.")  # fmt: skip
    decisions = breach_selectors.breach_decisions(breach=breach)
    assert len(decisions) == 3
    assert decisions[1].text.startswith("Report to the ICO: Yes. Tell the people affected: "
                                        "Not decided yet.")  # fmt: skip
    assert decisions[2].text.endswith("Recipients confirmed deletion.")
    assert {d.actor_name for d in decisions} == {"Lead Lead"}
    assert decisions[1].at <= decisions[2].at
    for statement in ("UPDATE rights_breachentry SET text = 'changed'",
                      "DELETE FROM rights_breachentry"):  # fmt: skip
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert BreachEntry.objects.filter(breach_id=breach.pk).count() == 3


def test_report_then_close(member_a, consortium_lead, breach_details):
    """Closing waits for the decision and, if reportable, the report; then it is closed."""
    breach = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                           members=[member_a], **breach_details())  # fmt: skip
    with pytest.raises(ValidationError) as raised:
        breach_services.breach_close(acting_user=consortium_lead, member=None, breach=breach,
                                     text="Done")  # fmt: skip
    assert raised.value.messages == [breach_services.UNDECIDED_CLOSE]
    breach_services.breach_decide(
        acting_user=consortium_lead,
        member=None,
        breach=breach,
        report_to_ico="yes",
        tell_people="no",
        text="Reportable.",
    )
    with pytest.raises(ValidationError):
        breach_services.breach_close(acting_user=consortium_lead, member=None, breach=breach,
                                     text="Done")  # fmt: skip
    reported = breach.found_at + datetime.timedelta(hours=5)
    breach = breach_services.breach_report(acting_user=consortium_lead, member=None,
                                           breach=breach, reported_at=reported,
                                           ico_reference="IC-12345")  # fmt: skip
    assert breach_clock(breach).state == "reported"
    breach = breach_services.breach_close(acting_user=consortium_lead, member=None,
                                          breach=breach, text="Done")  # fmt: skip
    assert breach.status == "closed"
    assert AuditEntry.objects.filter(action="breach.closed").count() == 1
    with pytest.raises(ValidationError):
        breach_services.breach_decide(
            acting_user=consortium_lead,
            member=None,
            breach=breach,
            report_to_ico="no",
            tell_people="no",
            text="Later",
        )


def test_only_affected_leads_and_consortium_leads_see_a_breach(
    member_a, member_b, lead_a, lead_b, consortium_lead, breach_details, client_for, user
):
    """A breach affecting member A: A's lead and the consortium's see it; B's lead, A's own
    staff and manager, and a consortium admin get not-found (or a refusal of the list)."""
    breach = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                           members=[member_a], **breach_details())  # fmt: skip
    path = reverse("rights:breach_detail", args=[breach.pk])
    assert client_for(lead_a, member_a).get(path).status_code == 200
    assert client_for(consortium_lead, None).get(path).status_code == 200
    assert client_for(lead_b, member_b).get(path).status_code == 404
    assert client_for(user("staff-a"), member_a).get(path).status_code == 404
    assert client_for(user("manager-a"), member_a).get(path).status_code == 404
    assert client_for(user("admin-c"), None).get(path).status_code == 404
    assert client_for(user("staff-b"), member_b).get("/breaches/").status_code == 403
    listing = client_for(lead_b, member_b).get("/breaches/")
    assert listing.status_code == 200
    assert breach.reference not in listing.content.decode()
    shown = client_for(lead_a, member_a).get("/breaches/").content.decode()
    assert breach.reference in shown
    assert "hours left" in shown


def test_an_affected_lead_adds_notes_but_does_not_decide(
    member_a, lead_a, consortium_lead, breach_details, client_for
):
    """An affected member's lead adds a note (its member's name beside it); the decision,
    report and close forms are the consortium's, so a POST is refused."""
    breach = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                           members=[member_a], **breach_details())  # fmt: skip
    client = client_for(lead_a, member_a)
    response = client.post(reverse("rights:breach_note", args=[breach.pk]),
                           {"text": "We have asked the recipients to delete it."})  # fmt: skip
    assert response.status_code == 302
    notes = breach_selectors.breach_notes(breach=breach)
    assert [(n.text, n.member_id) for n in notes] == [
        ("We have asked the recipients to delete it.", member_a.pk)
    ]
    page = client.get(reverse("rights:breach_detail", args=[breach.pk])).content.decode()
    assert "We have asked the recipients" in page
    assert member_a.name in page
    refused = client.post(reverse("rights:breach_decide", args=[breach.pk]),
                          {"report_to_ico": "no", "tell_people": "no", "text": "x"})  # fmt: skip
    assert refused.status_code == 403
    assert len(breach_selectors.breach_decisions(breach=breach)) == 1


def test_the_list_puts_open_breaches_first_with_overdue_in_red(
    member_a, consortium_lead, breach_details, client_for
):
    """Open breaches come first (oldest clock at the top), closed ones after; an overdue clock
    is marked for the red style."""
    old = breach_services.breach_record(
        acting_user=consortium_lead, member=None, members=[member_a],
        **breach_details(found_at=T, occurred_at=None, title="Old overdue one"),
    )  # fmt: skip
    closed = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                           members=[member_a],
                                           **breach_details(title="Closed one",
                                                            likelihood="remote",
                                                            severity="minimal"))  # fmt: skip
    breach_services.breach_decide(
        acting_user=consortium_lead,
        member=None,
        breach=closed,
        report_to_ico="no",
        tell_people="no",
        text="No risk.",
    )
    breach_services.breach_close(acting_user=consortium_lead, member=None, breach=closed,
                                 text="Nothing more to do.")  # fmt: skip
    fresh = breach_services.breach_record(acting_user=consortium_lead, member=None,
                                          members=[member_a],
                                          **breach_details(title="Fresh one"))  # fmt: skip
    order = [b.pk for b in breach_selectors.breaches_for(user=consortium_lead, member=None)]
    assert order == [old.pk, fresh.pk, closed.pk]
    page = client_for(consortium_lead, None).get("/breaches/").content.decode()
    assert "clock-overdue" in page
    assert "Overdue by" in page
    assert page.index("Old overdue one") < page.index("Fresh one") < page.index("Closed one")


def test_the_record_form_shows_an_error_summary(member_a, lead_a, client_for):
    """An empty form comes back with the error summary and records nothing."""
    response = client_for(lead_a, member_a).post(reverse("rights:breach_new"), {})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Breach.objects.exists()


def test_recording_through_the_page(
    member_a, lead_a, client_for, django_capture_on_commit_callbacks
):
    """A member's lead records a breach through the form and lands on its page, clock shown."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(lead_a, member_a).post(reverse("rights:breach_new"), {
            "title": "Laptop left on a train", "what_happened": "An unencrypted laptop.",
            "found_at": "2026-03-02T09:30", "found_by": "Director", "contacts_affected": "40",
            "organisations_affected": "0", "interactions_affected": "0",
            "registrations_affected": "0", "survey_responses_affected": "0",
            "other_records_affected": "0", "likelihood": "likely", "severity": "severe",
        }, follow=True)  # fmt: skip
    breach = Breach.objects.get()
    assert breach.risk == RiskLevel.HIGH
    assert breach.recorded_for == member_a
    assert breach.reference in response.content.decode()
    assert len(mail.outbox) == 1
