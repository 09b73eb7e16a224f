"""Retention schedules (rights.retention_*): what each schedule selects, that legal hold
always wins, that the preview is what a run does, that anonymising keeps reports' counts,
and who may see and change it all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import services as crm_services
from crm.models import Consent, Contact, ImportJob, Interaction, Organisation
from crm.services.anonymise import ANONYMISED_CONTACT, ANONYMISED_INTERACTION
from events.models import Registration
from rights.models import RecordType, RetentionRun, RetentionSchedule
from rights.retention_selectors import months_before, retention_due, retention_preview
from rights.retention_services import retention_run, retention_schedule_update
from tenants.models import AuditEntry, Membership
from tests.factories.crm import (
    ConsentFactory,
    ContactFactory,
    ContactRoleFactory,
    InteractionFactory,
    OrganisationFactory,
)
from tests.factories.events import EventFactory

TODAY = dt.date(2026, 6, 15)
HYPOTHESIS = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _schedule(member, record_type, *, months, action="anonymise", rule=None, user=None):
    from rights.retention_selectors import RULES_FOR

    return retention_schedule_update(
        member=member, record_type=record_type, rule=rule or RULES_FOR[record_type][0],
        period_months=months, action=action, enabled=True, acting_user=user,
    )  # fmt: skip


def _aged_contact(day: dt.date, *, legal_hold: bool = False, **fields) -> Contact:
    contact = ContactFactory(**fields)
    Contact.objects.filter(pk=contact.pk).update(created_at=_moment(day), updated_at=_moment(day),
                                                 legal_hold=legal_hold)  # fmt: skip
    return Contact.objects.get(pk=contact.pk)


@pytest.fixture
def manager(user):
    return user("manager-a")


def test_months_before_clamps_the_day_to_the_month():
    """31 March less one month is the last day of February; a year back is the same day."""
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)
    assert months_before(TODAY, 72) == dt.date(2020, 6, 15)


@HYPOTHESIS
@given(
    edited=st.integers(-3, 3), interaction=st.one_of(st.none(), st.integers(-3, 3)),
    consent=st.one_of(st.none(), st.integers(-3, 3)),
    role_start=st.one_of(st.none(), st.integers(-3, 3)),
)  # fmt: skip
def test_a_contact_is_due_exactly_when_nothing_happened_after_the_cutoff(
    at_a, manager, edited, interaction, consent, role_start
):
    """Around the cutoff (three years back), a contact is selected if and only if its last
    edit, interaction, consent decision and role change all fall on or before the cutoff."""
    cutoff = months_before(TODAY, 36)
    schedule = RetentionSchedule(member=at_a, record_type="contact", rule="no_activity",
                                 period_months=36, action="anonymise", enabled=True)  # fmt: skip
    with transaction.atomic():
        contact = _aged_contact(cutoff + dt.timedelta(days=edited))
        if interaction is not None:
            InteractionFactory(contacts=[contact], date=cutoff + dt.timedelta(days=interaction))
        if consent is not None:
            made = ConsentFactory(contact=contact)
            Consent.objects.filter(pk=made.pk).update(
                recorded_at=_moment(cutoff + dt.timedelta(days=consent))
            )
        if role_start is not None:
            ContactRoleFactory(contact=contact, start_date=cutoff + dt.timedelta(days=role_start))
        activity = [edited, interaction, consent, role_start]
        expected = all(days is None or days <= 0 for days in activity)
        due = retention_due(schedule=schedule, today=TODAY).filter(pk=contact.pk).exists()
        transaction.set_rollback(True)
    assert due is expected


@HYPOTHESIS
@given(
    own=st.integers(-3, 3), other=st.one_of(st.none(), st.integers(-3, 3)),
    rule=st.sampled_from(["after_interaction", "after_last_contact"]),
)  # fmt: skip
def test_an_interaction_is_due_exactly_by_its_rule(at_a, own, other, rule):
    """After the interaction's date: dated on or before the cutoff. After the last contact:
    that, and the person on it has no interaction after the cutoff."""
    cutoff = months_before(TODAY, 72)
    schedule = RetentionSchedule(member=at_a, record_type="interaction", rule=rule,
                                 period_months=72, action="delete", enabled=True)  # fmt: skip
    with transaction.atomic():
        person = ContactFactory()
        mine = InteractionFactory(contacts=[person], date=cutoff + dt.timedelta(days=own))
        if other is not None:
            InteractionFactory(contacts=[person], date=cutoff + dt.timedelta(days=other))
        expected = own <= 0 and (rule == "after_interaction" or other is None or other <= 0)
        due = retention_due(schedule=schedule, today=TODAY).filter(pk=mine.pk).exists()
        transaction.set_rollback(True)
    assert due is expected


@HYPOTHESIS
@given(
    contact_hold=st.booleans(), interaction_hold=st.booleans(), organisation_hold=st.booleans(),
    action=st.sampled_from(["anonymise", "delete"]),
)  # fmt: skip
def test_legal_hold_always_wins(at_a, manager, contact_hold, interaction_hold,
                                organisation_hold, action):  # fmt: skip
    """Whatever is on hold (the contact, the organisation, the interaction between them), a
    run leaves every held record, and every interaction with a held party, as it was; a
    contact who took part in a held interaction is kept too."""
    old = dt.date(2010, 1, 1)
    with transaction.atomic():
        for record_type in ("contact", "interaction"):
            _schedule(at_a, record_type, months=12, action=action, user=manager)
        org = OrganisationFactory()
        person = _aged_contact(old)
        talk = InteractionFactory(contacts=[person], organisations=[org], date=old)
        for record, held in ((person, contact_hold), (org, organisation_hold),
                             (talk, interaction_hold)):  # fmt: skip
            if held:
                crm_services.legal_hold_set(record=record, hold=True, reason="Claim",
                                            acting_user=manager)  # fmt: skip
        run = retention_run(member=at_a, acting_user=None, today=TODAY)
        talk_kept = Interaction.objects.filter(pk=talk.pk, summary=talk.summary,
                                               contacts=person).exists()  # fmt: skip
        person_kept = Contact.objects.filter(pk=person.pk, last_name=person.last_name).exists()
        transaction.set_rollback(True)
    assert (run.status, run.error) == ("done", "")  # held records were never even chosen
    if contact_hold or interaction_hold or organisation_hold:
        assert talk_kept
    if contact_hold or interaction_hold:
        assert person_kept
    if not (contact_hold or interaction_hold or organisation_hold):
        assert not talk_kept
        assert not person_kept


def test_a_hold_placed_after_the_preview_still_wins(at_a, manager):
    """The run checks each record again under a row lock: a contact put on hold after the
    run listed it is kept."""
    _schedule(at_a, "contact", months=36, user=manager)
    person = _aged_contact(dt.date(2015, 1, 1))
    schedule = RetentionSchedule.objects.get(member=at_a, record_type="contact")
    assert retention_due(schedule=schedule, today=TODAY).filter(pk=person.pk).exists()
    from rights import retention_services

    run = RetentionRun.objects.create(member=at_a, trigger="manual")
    Contact.objects.filter(pk=person.pk).update(legal_hold=True)
    assert not retention_services._process_batch(run, schedule, [person.pk], TODAY, None)
    assert Contact.objects.get(pk=person.pk).last_name == person.last_name


def _world(member, manager):
    """Old and new records of every kind, for the preview and the run."""
    old = dt.date(2015, 3, 1)
    stale = [_aged_contact(old, email=f"stale{i}@example.org") for i in range(3)]
    fresh = ContactFactory()
    held = _aged_contact(old, legal_hold=True)
    hidden = _aged_contact(old, is_restricted=True, acting_user=manager)
    InteractionFactory(contacts=[fresh], date=old)
    InteractionFactory(contacts=[stale[0]], date=old)
    InteractionFactory(contacts=[], date=TODAY)
    event = EventFactory(host=member)
    Registration.objects.create(event=event, name="Old Guest", email="guest@example.org",
                                status="booked", attended=True)  # fmt: skip
    from events.models import Event

    Event.objects.filter(pk=event.pk).update(
        starts_at=_moment(old), ends_at=_moment(old) + dt.timedelta(hours=1)
    )
    job = ImportJob.objects.create(original_name="people.csv", status="done",
                                   file=ContentFile(b"a,b\n", name="people.csv"))  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(created_at=_moment(old))
    for record_type in ("contact", "interaction", "registration", "import_file"):
        _schedule(member, record_type, months=24, user=manager)
    return {"stale": stale, "fresh": fresh, "held": held, "hidden": hidden, "event": event,
            "job": job}  # fmt: skip


def test_the_preview_counts_are_what_a_run_does(at_a, manager, user):
    """Each schedule's count in the preview equals what the run then anonymises; the sample
    names only contacts the viewer may see, and a second run finds nothing due."""
    world = _world(at_a, manager)
    staffer = user("staff-a")
    preview = {line.schedule.record_type: line
               for line in retention_preview(member=at_a, user=staffer, today=TODAY)}  # fmt: skip
    assert preview["contact"].count == 4  # three stale and the restricted one; not the held
    assert world["hidden"].display_name not in preview["contact"].sample
    assert preview["contact"].hidden_in_sample == 1
    run = retention_run(member=at_a, acting_user=manager, trigger="manual", today=TODAY)
    assert (run.status, run.error) == ("done", "")
    assert run.counts == {
        record_type: {"anonymise": line.count}
        for record_type, line in preview.items()
        if line.count
    }
    assert run.planned == run.processed == sum(line.count for line in preview.values())
    again = retention_run(member=at_a, acting_user=manager, trigger="manual", today=TODAY)
    assert again.counts == {}
    entry = AuditEntry.objects.get(
        action="retention.run_finished", member_id=at_a.pk, target=f"retention run {run.pk}"
    )
    assert entry.details["counts"] == run.counts
    assert "stale" not in str(entry.details)
    assert "@" not in str(entry.details)


def test_anonymised_records_keep_nothing_that_names_anyone(at_a, manager):
    """An anonymised contact keeps its row and interactions, with every identifying field
    blank and its consents gone; an anonymised registration keeps its attendance; an
    import's file is removed and its counts kept."""
    world = _world(at_a, manager)
    person = world["stale"][0]
    ConsentFactory(contact=person)
    Contact.objects.filter(pk=person.pk).update(updated_at=_moment(dt.date(2015, 3, 1)))
    Consent.objects.filter(contact=person).update(recorded_at=_moment(dt.date(2015, 3, 1)))
    retention_run(member=at_a, acting_user=None, today=TODAY)
    person = Contact.objects.get(pk=person.pk)
    assert (person.first_name, person.last_name, person.email) == ("", ANONYMISED_CONTACT, "")
    assert not person.consents.exists()
    registration = Registration.objects.get(event=world["event"])
    assert (registration.name, registration.email, registration.attended) == (
        "Anonymised registration", "", True)  # fmt: skip
    job = ImportJob.objects.get(pk=world["job"].pk)
    assert (job.file.name, job.original_name, job.status) == ("", "", "done")
    assert Interaction.objects.filter(summary=ANONYMISED_INTERACTION).count() == 2


def test_anonymised_contacts_keep_the_dashboard_counts(at_a, manager):
    """The dashboard's contacts-over-time and interactions-per-month figures are the same
    after a run anonymises contacts as before it."""
    from reporting.dashboard import interactions_by_month, records_over_time

    old = dt.date(2015, 3, 1)
    people = [_aged_contact(old) for _ in range(3)]
    for person in people:
        talk = InteractionFactory(contacts=[person], date=timezone.localdate())
        Interaction.objects.filter(pk=talk.pk).update(date=timezone.localdate())
    # Their interactions are recent, so only a short schedule selects them: one month.
    Contact.objects.filter(pk__in=[p.pk for p in people]).update(updated_at=_moment(old))
    Interaction.objects.filter(contacts__in=people).update(date=months_before(
        timezone.localdate(), 2))  # fmt: skip
    _schedule(at_a, "contact", months=1, user=manager)
    request = RequestFactory().get("/")
    request.user = manager
    before = (records_over_time(request).series, interactions_by_month(request).series)
    run = retention_run(member=at_a, acting_user=None)
    assert run.counts == {"contact": {"anonymise": 3}}
    assert (records_over_time(request).series, interactions_by_month(request).series) == before
    assert Interaction.objects.filter(contacts__last_name=ANONYMISED_CONTACT).count() == 3


def test_delete_removes_the_records(at_a, manager):
    """With "delete", due contacts and interactions are gone and counted as deleted."""
    old = dt.date(2012, 1, 1)
    person = _aged_contact(old)
    talk = InteractionFactory(contacts=[person], date=old)
    _schedule(at_a, "contact", months=24, action="delete", user=manager)
    _schedule(at_a, "interaction", months=24, action="delete", user=manager)
    run = retention_run(member=at_a, acting_user=None, today=TODAY)
    assert run.counts == {"interaction": {"delete": 1}, "contact": {"delete": 1}}
    assert not Contact.objects.filter(pk=person.pk).exists()
    assert not Interaction.objects.filter(pk=talk.pk).exists()


def _queries_of_a_run(member, people: int) -> int:
    from django.test.utils import CaptureQueriesContext

    old = dt.date(2012, 1, 1)
    for _ in range(people):
        InteractionFactory(contacts=[_aged_contact(old)], date=old)
    with CaptureQueriesContext(connection) as queries:
        run = retention_run(member=member, acting_user=None, today=TODAY)
    assert run.counts == {"interaction": {"anonymise": people}, "contact": {"anonymise": people}}
    return len(queries)


def test_a_run_is_set_based_its_queries_do_not_grow_with_its_records(at_a, manager):
    """Contacts and interactions are anonymised a batch at a time (settings.RETENTION_BATCH):
    a run over thirty of each makes no more queries than a run over three (one transaction,
    a dozen queries and a commit per record made a run of 10,000 records take minutes)."""
    _schedule(at_a, "contact", months=36, user=manager)
    _schedule(at_a, "interaction", months=72, user=manager)
    few = _queries_of_a_run(at_a, 3)
    many = _queries_of_a_run(at_a, 30)
    assert many == few


def test_anonymised_contacts_lose_their_person_keys(at_a, manager):
    """The set-based anonymising announces its contacts (crm.changes), so what follows them
    follows in the run's transaction: no person key matches their old e-mail any more."""
    from sharing.person_keys import person_keys_for
    from sharing.selectors import members_holding

    person = _aged_contact(dt.date(2012, 1, 1), email="faded.away@example.org")
    keys = person_keys_for(email="faded.away@example.org")
    assert members_holding(keys) == {at_a.pk: [person.pk]}
    _schedule(at_a, "contact", months=36, user=manager)
    retention_run(member=at_a, acting_user=None, today=TODAY)
    assert members_holding(keys) == {}


def test_a_schedule_that_is_off_does_nothing(at_a, manager):
    """A schedule turned off is previewed but never run."""
    person = _aged_contact(dt.date(2012, 1, 1))
    schedule = _schedule(at_a, "contact", months=24, user=manager)
    retention_schedule_update(member=at_a, record_type="contact", rule="no_activity",
                              period_months=24, action="anonymise", enabled=False,
                              acting_user=manager)  # fmt: skip
    schedule.refresh_from_db()
    assert retention_due(schedule=schedule, today=TODAY).filter(pk=person.pk).exists()
    run = retention_run(member=at_a, acting_user=None, today=TODAY)
    assert run.counts == {}
    assert Contact.objects.get(pk=person.pk).last_name == person.last_name


def test_a_run_never_touches_another_members_records(at_a, manager, member_b, in_member):
    """Member A's run works on A's schema only: B's old contact stays."""
    connection.set_tenant(member_b)
    theirs = _aged_contact(dt.date(2012, 1, 1))
    connection.set_tenant(at_a)
    _schedule(at_a, "contact", months=24, user=manager)
    retention_run(member=at_a, acting_user=None, today=TODAY)
    with pytest.raises(ValueError, match="own schema"):
        retention_run(member=member_b, acting_user=None, today=TODAY)
    connection.set_tenant(member_b)
    assert Contact.objects.get(pk=theirs.pk).last_name == theirs.last_name
    connection.set_tenant(at_a)


# --- pages and permissions ------------------------------------------------------------------


PAGES = ["/rights/retention/", "/rights/retention/schedules/"]


@pytest.mark.parametrize("path", PAGES)
def test_staff_are_refused_and_managers_and_leads_allowed(client_for, user, member_a, path):
    """Staff get 403; the member's manager and its data protection lead see the page."""
    assert client_for(user("staff-a"), member_a).get(path).status_code == 403
    assert client_for(user("manager-a"), member_a).get(path).status_code == 200
    Membership.objects.filter(user__username="staff-a", member=member_a).update(
        is_data_protection_lead=True)  # fmt: skip
    assert client_for(user("staff-a"), member_a).get(path).status_code == 200


@pytest.mark.parametrize("path", [*PAGES, "/rights/retention/run/"])
def test_another_members_manager_is_refused(client_for, user, member_a, path):
    """Member B's manager has no business on A's site: refused, and nothing is queued."""
    response = client_for(user("manager-b"), member_a).post(path, {"confirm": "yes"})
    assert response.status_code == 403
    assert not RetentionRun.objects.filter(member=member_a).exists()


def test_staff_cannot_run_or_change_schedules(client_for, user, member_a):
    client = client_for(user("staff-a"), member_a)
    assert client.post("/rights/retention/run/", {"confirm": "yes"}).status_code == 403
    assert client.post("/rights/retention/schedules/", {}).status_code == 403
    assert not RetentionRun.objects.filter(member=member_a).exists()
    assert not RetentionSchedule.objects.filter(member=member_a).exists()


def _schedules_post(**override):
    data = {}
    for record_type, rule in (
        ("interaction", "after_interaction"),
        ("contact", "no_activity"),
        ("registration", "after_event"),
        ("import_file", "after_import"),
    ):
        data.update(
            {
                f"{record_type}-period": "2",
                f"{record_type}-unit": "years",
                f"{record_type}-rule": rule,
                f"{record_type}-action": "anonymise",
            }
        )
    data.update(override)
    return data


def test_the_schedules_form_saves_in_months_and_shows_errors_at_the_top(client_for, user, member_a):
    """Years are kept as months; a bad period is named in the error summary and nothing is
    saved."""
    client = client_for(user("manager-a"), member_a)
    page = client.post("/rights/retention/schedules/", _schedules_post(**{"contact-period": "0"}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "There is a problem" in html
    assert "Keep records for at least 1 month." in html
    assert not RetentionSchedule.objects.filter(member=member_a).exists()
    done = client.post(
        "/rights/retention/schedules/",
        _schedules_post(**{"contact-enabled": "on", "contact-period": "3"}),
    )
    assert done.status_code == 302
    contact = RetentionSchedule.objects.get(member=member_a, record_type="contact")
    assert (contact.period_months, contact.enabled) == (36, True)
    assert (
        RetentionSchedule.objects.get(member=member_a, record_type="interaction").period_months
        == 24
    )
    assert AuditEntry.objects.filter(action="retention.schedule_changed",
                                     member_id=member_a.pk).count() == 4  # fmt: skip


def test_run_now_asks_first_then_queues_a_run(client_for, user, member_a):
    """The first POST shows what will happen; the confirmation queues one run and its job."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    client = client_for(user("manager-a"), member_a)
    ask = client.post("/rights/retention/run/")
    assert ask.status_code == 200
    assert "Run the retention schedules now?" in ask.content.decode()
    assert not RetentionRun.objects.filter(member=member_a).exists()
    assert client.post("/rights/retention/run/", {"confirm": "yes"}).status_code == 302
    run = RetentionRun.objects.get(member=member_a)
    assert (run.status, run.trigger) == ("queued", "manual")
    assert ProcrastinateJob.objects.filter(
        task_name="tenants.member_task", args__args=[run.pk]).exists()  # fmt: skip
    client.post("/rights/retention/run/", {"confirm": "yes"})
    assert RetentionRun.objects.filter(member=member_a).count() == 1  # one at a time
    page = client.get("/rights/retention/").content.decode()
    assert "Waiting to start" in page
    assert "<progress" in page


def test_the_nightly_job_queues_a_run_for_each_member_with_a_schedule(at_a, manager):
    from rights.retention_services import retention_nightly_queue

    _schedule(at_a, "contact", months=36, user=manager)
    runs = retention_nightly_queue(acting_user=None)
    assert list(RetentionRun.objects.filter(pk__in=runs).values_list("member_id", flat=True)) == [
        at_a.pk]  # fmt: skip


def test_the_preview_page_names_what_would_go(client_for, user, member_a, in_member):
    manager = user("manager-a")
    with in_member(member_a):
        _aged_contact(dt.date(2012, 1, 1), first_name="Olwen", last_name="Ancient")
        _schedule(member_a, "contact", months=24, user=manager)
    page = client_for(manager, member_a).get("/rights/retention/").content.decode()
    assert "Would anonymise 1 contacts" in page
    assert "Olwen Ancient" in page


# --- legal hold -------------------------------------------------------------------------------


def test_a_manager_places_a_hold_after_confirming_and_it_is_audited(client_for, user, member_a,
                                                                    in_member):  # fmt: skip
    with in_member(member_a):
        person = ContactFactory()
    client = client_for(user("manager-a"), member_a)
    url = f"/contacts/{person.pk}/hold/"
    ask = client.post(url, {"hold": "on", "reason": "Claim from a funder"})
    assert ask.status_code == 200
    assert "legal hold?" in ask.content.decode()
    with in_member(member_a):
        assert not Contact.objects.get(pk=person.pk).legal_hold
    client.post(url, {"hold": "on", "reason": "Claim from a funder", "confirm": "yes"})
    with in_member(member_a):
        assert Contact.objects.get(pk=person.pk).legal_hold
    entry = AuditEntry.objects.get(action="contact.legal_hold_placed")
    assert entry.target == f"contact {person.pk}"
    assert entry.details["reason"] == "Claim from a funder"


def test_a_hold_needs_a_reason(client_for, user, member_a, in_member):
    with in_member(member_a):
        org = OrganisationFactory()
    client = client_for(user("manager-a"), member_a)
    client.post(f"/organisations/{org.pk}/hold/", {"hold": "on", "reason": " ", "confirm": "yes"})
    with in_member(member_a):
        assert not Organisation.objects.get(pk=org.pk).legal_hold


def test_staff_cannot_place_a_hold(client_for, user, member_a, in_member):
    with in_member(member_a):
        talk = InteractionFactory()
    client = client_for(user("staff-a"), member_a)
    response = client.post(f"/interactions/{talk.pk}/hold/",
                           {"hold": "on", "reason": "x", "confirm": "yes"})  # fmt: skip
    assert response.status_code == 403
    with in_member(member_a):
        assert not Interaction.objects.get(pk=talk.pk).legal_hold
    assert "Put on legal hold" not in client.get(f"/interactions/{talk.pk}/").content.decode()


def test_the_hold_service_refuses_staff(at_a, user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        crm_services.legal_hold_set(record=ContactFactory(), hold=True, reason="x",
                                    acting_user=user("staff-a"))  # fmt: skip


def test_record_types_are_all_scheduled():
    """Every kind of record has a rule, a default and a place in the run's order."""
    from rights.retention_selectors import DEFAULTS, RULES_FOR, RUN_ORDER

    assert set(RULES_FOR) == set(DEFAULTS) == set(RUN_ORDER) == set(RecordType.values)
