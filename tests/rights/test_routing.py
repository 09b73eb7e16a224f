"""Finding a person across members and routing their request (issue 14): people's keys, the
lookup, data protection leads, requests with their clock, and members' tasks."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from crm import importing, merging, services
from rights import routing_services as routing
from rights.clock import due_on_for, latest_extension_for, request_clock
from rights.models import IdentityCheck, MemberTask, RequestKind, RequestStatus, TaskStatus
from rights.routing_forms import lookup_token
from sharing.models import PersonKey
from sharing.person_keys import (
    email_normalise,
    person_keys_backfill,
    person_keys_for,
    phone_normalise,
)
from sharing.selectors import members_holding
from tenants.models import AuditEntry, Membership
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2027, 3, 10)


def keys_of(member, contact_id: int) -> set[str]:
    return set(
        PersonKey.objects.filter(member_id=member.pk, contact_id=contact_id).values_list(
            "digest", flat=True
        )
    )


def lead_of(member, username: str, user):
    """Make ``username`` a data protection lead of ``member`` (through the service)."""
    from tenants.services import membership_set_data_protection_lead

    account = user(username)
    membership_set_data_protection_lead(
        membership=Membership.objects.get(user=account, member=member), is_lead=True,
        acting_user=user("manager-a"),
    )  # fmt: skip
    return account


def open_request(user, keys, *, received_on=None, kind=RequestKind.ACCESS, member=None,
                 acting=None):  # fmt: skip
    return routing.request_open(
        acting_user=acting or user("dpo-c"), keys=keys, kind=kind,
        received_on=received_on or timezone.localdate(), identity_check=IdentityCheck.DOCUMENT,
        identity_checked_on=timezone.localdate(), received_by_member=member,
    )  # fmt: skip


@pytest.fixture
def held(member_a, member_b, in_member, user):
    """One person, Zoë Ångström, held by both members under different spellings."""
    with in_member(member_a):
        a = ContactFactory(first_name="Zoë", last_name="Ångström", email="Zoe.A@Example.org ",
                           phone="01904 123456", postcode="YO1 7HH",
                           acting_user=user("manager-a"))  # fmt: skip
    with in_member(member_b):
        b = ContactFactory(first_name="zoe", last_name="angstrom", email="zoe.a@example.org",
                           mobile="+44 1904 123456", postcode="yo17hh",
                           acting_user=user("manager-b"))  # fmt: skip
    return a, b


# --- normalising and hashing --------------------------------------------------------------

LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=20)


@given(local=LOCAL, domain=st.sampled_from(["example.org", "mail.co.uk"]),
       upper=st.lists(st.booleans(), min_size=40, max_size=40),
       pad=st.sampled_from(["", " ", "  ", "\t"]))  # fmt: skip
def test_spellings_of_one_email_give_one_key(local, domain, upper, pad):
    """However an e-mail is cased or padded, it gives one key."""
    plain = f"{local}@{domain}"
    spelt = "".join(c.upper() if u else c for c, u in zip(plain, upper * 3, strict=False))
    assert person_keys_for(email=pad + spelt + pad) == person_keys_for(email=plain)


@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=6),
       style=st.sampled_from(["01904 {a}", "+44 1904 {a}", "(01904) {b} {c}", "01904{a}",
                              "+44 (0)1904 {a}", "0044 1904 {a}"]))  # fmt: skip
def test_spellings_of_one_uk_phone_give_one_key(digits, style):
    """A UK number in any usual spelling gives the same E.164 key."""
    spelt = style.format(a=digits, b=digits[:3], c=digits[3:])
    assert phone_normalise(spelt) == f"+441904{digits}"
    assert person_keys_for(phone=spelt) == person_keys_for(phone=f"+441904{digits}")


def test_name_and_postcode_fold_accents_case_and_spaces():
    assert person_keys_for(name="  Zoë   ÅNGSTRÖM ", postcode="yo1 7hh") == person_keys_for(
        name="zoe angstrom", postcode="YO17HH"
    )
    assert person_keys_for(name="Zoe Angstrom") == []  # a name alone is no key
    assert email_normalise("not an address") is None


def test_keys_depend_on_the_key_and_the_kind(settings):
    """The same text under another key, or as another kind, hashes differently."""
    before = person_keys_for(email="a@example.org")
    settings.COMMONS_PERSON_KEY = "another-key-of-at-least-thirty-two-characters"
    assert person_keys_for(email="a@example.org") != before
    assert len(before[0]) == 64


@pytest.mark.parametrize(("first", "email"), [
    ("Olwen", "olwen.quillfeather@example.org"), ("Bartholomew", "X.Y@Example.net"),
])  # fmt: skip
def test_values_never_reach_the_table(first, email, member_a, in_member, user):
    """The keys table holds no identifier in any form: no e-mail, name, phone or postcode."""
    with in_member(member_a):
        contact = ContactFactory(first_name=first, last_name="Quillfeather", email=email,
                                 phone="01904 765432", postcode="YO10 5DD",
                                 acting_user=user("manager-a"))  # fmt: skip
    rows = list(PersonKey.objects.filter(contact_id=contact.pk, member_id=member_a.pk).values())
    assert len(rows) == 3  # e-mail, phone, name with postcode
    text = repr(rows).lower()
    for value in (email, first.lower(), "quillfeather", "765432", "yo10", "5dd"):
        assert value.lower() not in text


# --- kept in step ------------------------------------------------------------------------


def test_keys_follow_create_edit_and_delete(member_a, at_a, user):
    contact = ContactFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org",
                             other_emails=["ada.l@example.net"], mobile="07700 900123",
                             acting_user=user("manager-a"))  # fmt: skip
    assert keys_of(member_a, contact.pk) == set(
        person_keys_for(email="ada@example.org")
        + person_keys_for(email="ADA.L@example.net")
        + person_keys_for(phone="+447700900123")
    )
    services.contact_update(contact=contact, acting_user=user("manager-a"),
                            email="ada@new.example.org", postcode="YO1 7HH")  # fmt: skip
    keys = keys_of(member_a, contact.pk)
    assert set(person_keys_for(email="ada@new.example.org")) <= keys
    assert not set(person_keys_for(email="ada@example.org")) & keys
    assert set(person_keys_for(name="Ada Lovelace", postcode="YO17HH")) <= keys
    services.contact_delete(contact=contact, acting_user=user("manager-a"))
    assert keys_of(member_a, contact.pk) == set()


def test_keys_follow_an_import(member_a, at_a, user):
    data = b"First name,Last name,Email,Phone\nImra,Keyson,imra.k@example.org,01904 222333\n"
    importing.records_import(handle=io.BytesIO(data), size=len(data),
                             acting_user=user("manager-a"))  # fmt: skip
    holders = members_holding(person_keys_for(email="IMRA.K@example.org"))
    assert list(holders) == [member_a.pk]
    assert members_holding(person_keys_for(phone="+44 1904 222333")) == holders


def test_keys_follow_a_merge(member_a, at_a, user):
    """The kept record gains the dropped one's e-mail key; the dropped one keeps none."""
    keep = ContactFactory(first_name="Mo", last_name="Merge", email="mo@example.org",
                          acting_user=user("manager-a"))  # fmt: skip
    drop = ContactFactory(first_name="Mo", last_name="Merge", email="mo.m@example.net",
                          acting_user=user("manager-a"))  # fmt: skip
    merging.contact_merge(keep=keep, drop=drop, acting_user=user("manager-a"))
    assert keys_of(member_a, drop.pk) == set()
    assert set(person_keys_for(email="mo.m@example.net")) <= keys_of(member_a, keep.pk)


def test_backfill_rebuilds_every_key(member_a, at_a, user):
    contact = ContactFactory(first_name="Bea", last_name="Fill", email="bea@example.org",
                             acting_user=user("manager-a"))  # fmt: skip
    expected = keys_of(member_a, contact.pk)
    PersonKey.objects.filter(member_id=member_a.pk).delete()
    connection.set_schema_to_public()
    made = person_keys_backfill(members=[member_a])
    assert made[member_a.name] >= 1
    assert keys_of(member_a, contact.pk) == expected


# --- the lookup ----------------------------------------------------------------------------


def test_members_holding_finds_each_member_and_its_contacts(held, member_a, member_b):
    a, b = held
    assert members_holding(person_keys_for(email="zoe.a@example.org")) == {
        member_a.pk: [a.pk],
        member_b.pk: [b.pk],
    }
    assert members_holding(person_keys_for(phone="01904123456")) == {
        member_a.pk: [a.pk],
        member_b.pk: [b.pk],
    }
    assert members_holding(person_keys_for(name="Zoe Angstrom", postcode="YO1 7HH")) == {
        member_a.pk: [a.pk],
        member_b.pk: [b.pk],
    }
    assert members_holding(person_keys_for(email="nobody@example.org")) == {}


def test_lookup_page_names_members_only_and_logs_no_values(held, client_for, user, member_a):
    """The answer is member names and how many records, nothing of the records; the log
    says who looked, which kinds and how many members matched, never the values."""
    client = client_for(user("dpo-c"))
    response = client.post(
        "/data-rights/lookup/",
        {"email": "ZOE.A@example.org ", "phone": "", "name": "", "postcode": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Voluntary Action" in page
    assert "Beta Community Network" in page
    for secret in ("Ångström", "Angstrom", "01904", "YO1", f"/contacts/{held[0].pk}/"):
        assert secret not in page
    entry = AuditEntry.objects.filter(action="rights.person_looked_up").latest("pk")
    assert entry.actor_id == user("dpo-c").pk
    assert entry.details == {"kinds": ["email"], "members_matched": 2}
    assert "zoe" not in (repr(entry.details) + entry.target).lower()


def test_lookup_of_someone_no_member_holds_says_so(client_for, user):
    response = client_for(user("dpo-c")).post(
        "/data-rights/lookup/", {"email": "no.one@example.org"}
    )
    page = response.content.decode()
    assert "No member holds a record matching these details." in page
    assert "Alpha Voluntary Action" not in page


@pytest.mark.parametrize("who", ["staff-a", "manager-a", "admin-c", "researcher-r", "staff-b"])
@pytest.mark.parametrize("path", ["/data-rights/lookup/", "/data-rights/requests/"])
def test_strangers_cannot_look_up_or_list(who, path, client_for, user):
    """Only a consortium data protection lead reaches the lookup and the requests (a
    consortium admin without the permission included); a refused lookup logs nothing."""
    client = client_for(user(who))
    assert client.get(path).status_code == 403
    assert client.post(path, {"email": "zoe.a@example.org"}).status_code == 403
    assert not AuditEntry.objects.filter(action="rights.person_looked_up").exists()


def test_member_lead_of_another_member_cannot_look_up(user, member_b):
    lead_b = lead_of(member_b, "staff-b", user)
    with pytest.raises(ValidationError):
        routing.person_lookup(acting_user=lead_b, email="zoe.a@example.org")


# --- requests and their clock --------------------------------------------------------------


@pytest.mark.parametrize(("received", "due", "latest"), [
    (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28), datetime.date(2027, 4, 30)),
    (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29), datetime.date(2028, 4, 30)),
    (datetime.date(2027, 3, 15), datetime.date(2027, 4, 15), datetime.date(2027, 6, 15)),
    (datetime.date(2027, 12, 31), datetime.date(2028, 1, 31), datetime.date(2028, 3, 31)),
    (datetime.date(2027, 11, 30), datetime.date(2027, 12, 30), datetime.date(2028, 2, 29)),
])  # fmt: skip
def test_deadline_is_one_calendar_month_and_extension_two_more(received, due, latest):
    assert due_on_for(received) == due
    assert latest_extension_for(received) == latest


def test_request_gets_a_reference_deadline_and_a_task_per_holding_member(held, user, member_a,
                                                                          member_b):  # fmt: skip
    a, b = held
    first = open_request(user, person_keys_for(email="zoe.a@example.org"),
                         received_on=datetime.date(2027, 1, 31) if timezone.localdate()
                         >= datetime.date(2027, 1, 31) else timezone.localdate())  # fmt: skip
    second = open_request(user, person_keys_for(phone="01904 123456"))
    year = timezone.localdate().year
    assert re.fullmatch(rf"DR-{year}-\d{{4}}", first.reference)
    assert int(second.reference[-4:]) == int(first.reference[-4:]) + 1
    assert first.due_on == due_on_for(first.received_on)
    tasks = {t.member_id: t.contact_ids for t in first.tasks.all()}
    assert tasks == {member_a.pk: [a.pk], member_b.pk: [b.pk]}
    entry = AuditEntry.objects.filter(action="rights.request_opened").latest("pk")
    assert entry.details["members_matched"] == 2


def test_looking_again_adds_new_members_and_never_duplicates(member_a, member_b, in_member,
                                                             user):  # fmt: skip
    with in_member(member_a):
        ContactFactory(first_name="Lee", last_name="Again", email="lee@example.org",
                       acting_user=user("manager-a"))  # fmt: skip
    opened = open_request(user, person_keys_for(email="lee@example.org"))
    assert opened.tasks.count() == 1
    assert routing.request_route(rights_request=opened, acting_user=user("dpo-c")) == 0
    with in_member(member_b):
        ContactFactory(first_name="Lee", last_name="Again", phone="01904 555666",
                       acting_user=user("manager-b"))  # fmt: skip
    added = routing.request_route(rights_request=opened, acting_user=user("dpo-c"),
                                  keys=person_keys_for(phone="01904 555666"))  # fmt: skip
    assert added == 1
    assert routing.request_route(rights_request=opened, acting_user=user("dpo-c")) == 0
    assert sorted(opened.tasks.values_list("member_id", flat=True)) == sorted(
        [member_a.pk, member_b.pk]
    )


def test_extension_once_within_two_months_with_a_reason(held, user):
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"))
    dpo = user("dpo-c")
    too_far = latest_extension_for(opened.received_on) + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="at most two further months"):
        routing.request_extend(rights_request=opened, extended_to=too_far, reason="Complex",
                               acting_user=dpo)  # fmt: skip
    with pytest.raises(ValidationError):
        routing.request_extend(rights_request=opened, extended_to=opened.due_on, reason="x",
                               acting_user=dpo)  # fmt: skip
    with pytest.raises(ValidationError):
        routing.request_extend(rights_request=opened, reason=" ", acting_user=dpo,
                               extended_to=opened.due_on + datetime.timedelta(days=5))  # fmt: skip
    latest = latest_extension_for(opened.received_on)
    extended = routing.request_extend(rights_request=opened, extended_to=latest,
                                      reason="Complex: five members", acting_user=dpo)  # fmt: skip
    assert extended.deadline == latest
    assert request_clock(extended).extension.startswith("Extended to")
    with pytest.raises(ValidationError, match="once already"):
        routing.request_extend(rights_request=extended, extended_to=latest, reason="Again",
                               acting_user=dpo)  # fmt: skip
    assert AuditEntry.objects.filter(action="rights.request_extended").count() == 1


def test_clock_reads_days_left_due_today_and_overdue(held, user):
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"))
    due = opened.deadline
    assert request_clock(opened, today=due - datetime.timedelta(days=12)).text.startswith(
        "12 days left"
    )
    assert request_clock(opened, today=due).text == "Due today"
    late = request_clock(opened, today=due + datetime.timedelta(days=3))
    assert late.text == "Overdue by 3 days"
    assert late.overdue


def test_request_page_shows_each_members_status_and_overdue_in_red(held, user, client_for):
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"),
                          received_on=timezone.localdate() - datetime.timedelta(40))  # fmt: skip
    page = client_for(user("dpo-c")).get(f"/data-rights/requests/{opened.pk}/").content.decode()
    assert "Alpha Voluntary Action" in page
    assert "Beta Community Network" in page
    assert 'class="clock clock-overdue">Overdue by' in page
    assert "Ångström" not in page


def test_close_only_when_every_task_is_done_or_declined(held, user, member_a, member_b):
    lead_a = lead_of(member_a, "staff-a", user)
    lead_b = lead_of(member_b, "staff-b", user)
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"))
    dpo = user("dpo-c")
    with pytest.raises(ValidationError, match="done or declined"):
        routing.request_close(rights_request=opened, outcome="Sent", acting_user=dpo)
    task_a = opened.tasks.get(member=member_a)
    task_b = opened.tasks.get(member=member_b)
    with pytest.raises(ValidationError):  # another member's lead
        routing.task_mark_done(task=task_a, acting_user=lead_b)
    routing.task_mark_done(task=task_a, acting_user=lead_a)
    with pytest.raises(ValidationError):
        routing.task_decline(task=task_b, reason="", acting_user=lead_b)
    routing.task_decline(task=task_b, reason="Legal hold", acting_user=lead_b)
    closed = routing.request_close(rights_request=opened, outcome="Copies sent", acting_user=dpo)
    assert closed.status == RequestStatus.DONE
    assert closed.closed_at is not None
    with pytest.raises(ValidationError):
        routing.request_route(rights_request=closed, acting_user=dpo)


def test_request_for_someone_no_one_holds_can_be_opened_and_closed(user, client_for):
    client = client_for(user("dpo-c"))
    token = lookup_token(person_keys_for(email="no.one@example.org"))
    today = timezone.localdate().isoformat()
    response = client.post("/data-rights/requests/new/", {
        "lookup": token, "kind": "access", "received_on": today,
        "identity_check": "document", "identity_checked_on": today, "note": "Letter 4",
    })  # fmt: skip
    assert response.status_code == 302
    opened = AuditEntry.objects.filter(action="rights.request_opened").latest("pk")
    assert opened.details["members_matched"] == 0
    response = client.post("/data-rights/requests/new/", {
        "lookup": token + "x", "kind": "access", "received_on": today,
        "identity_check": "document", "identity_checked_on": today,
    })  # fmt: skip
    assert response.status_code == 400
    assert "expired or was changed" in response.content.decode()


def test_request_list_filters_by_status_and_due_soon(held, user, client_for):
    keys = person_keys_for(email="zoe.a@example.org")
    soon = open_request(user, keys, received_on=timezone.localdate() - datetime.timedelta(days=27))
    later = open_request(user, keys)
    client = client_for(user("dpo-c"))
    page = client.get("/data-rights/requests/?status=open&due=7").content.decode()
    assert soon.reference in page
    assert later.reference not in page
    page = client.get("/data-rights/requests/?status=done").content.decode()
    assert soon.reference not in page
    assert "No requests match." in page


# --- the member's side ----------------------------------------------------------------------


def test_member_lead_opens_a_request_routed_to_every_holding_member(
    held, user, member_a, member_b, client_for
):
    lead = lead_of(member_a, "staff-a", user)
    today = timezone.localdate().isoformat()
    response = client_for(lead, member_a).post("/data-rights/requests/new/", {
        "email": "zoe.a@example.org", "kind": "erasure", "received_on": today,
        "identity_check": "in_person", "identity_checked_on": today,
    })  # fmt: skip
    assert response.status_code == 302
    task = MemberTask.objects.filter(member=member_b).latest("pk")
    assert task.request.received_by_member == member_a
    assert task.request.tasks.count() == 2
    assert client_for(user("staff-b"), member_b).get("/data-rights/").status_code == 403


def test_task_page_shows_own_contacts_honouring_restriction(held, user, member_a, in_member,
                                                            client_for):  # fmt: skip
    lead = lead_of(member_a, "staff-a", user)
    with in_member(member_a):
        hidden = ContactFactory(
            first_name="Hidden", last_name="Angstrom", is_restricted=True,
            email="zoe.a@example.org", acting_user=user("manager-a"),
        )  # fmt: skip
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"))
    task = opened.tasks.get(member=member_a)
    assert sorted(task.contact_ids) == sorted([held[0].pk, hidden.pk])
    page = client_for(lead, member_a).get(f"/data-rights/tasks/{task.pk}/").content.decode()
    assert "Zoë Ångström" in page
    assert "Hidden" not in page
    assert "1 more matching record is restricted" in page
    assert "Mark done" in page


def test_task_actions_mark_done_decline_and_the_registered_action(
    held, user, member_a, member_b, client_for, monkeypatch
):
    from rights import task_actions

    lead = lead_of(member_a, "staff-a", user)
    opened = open_request(user, person_keys_for(email="zoe.a@example.org"),
                          kind=RequestKind.OBJECTION)  # fmt: skip
    task = opened.tasks.get(member=member_a)
    client = client_for(lead, member_a)
    # Every kind has its action once the app's parts are together: take the objection's
    # away for this test (monkeypatch puts the real one back afterwards).
    monkeypatch.delitem(task_actions._ACTIONS, RequestKind.OBJECTION, raising=False)
    assert client.post(f"/data-rights/tasks/{task.pk}/act/").status_code == 404

    def refuse(task, acting_user):
        raise ValidationError("The suppression list is busy; try again.")

    monkeypatch.setitem(task_actions._ACTIONS, RequestKind.OBJECTION, refuse)
    page = client.post(f"/data-rights/tasks/{task.pk}/act/", follow=True).content.decode()
    assert "The suppression list is busy; try again." in page
    monkeypatch.setitem(task_actions._ACTIONS, RequestKind.OBJECTION, lambda t, u: "Suppressed.")
    page = client.post(f"/data-rights/tasks/{task.pk}/act/", follow=True).content.decode()
    assert "Suppressed." in page
    manager = client_for(user("manager-a"), member_a)
    assert manager.get(f"/data-rights/tasks/{task.pk}/").status_code == 200  # read-only
    assert manager.post(f"/data-rights/tasks/{task.pk}/done/").status_code == 403
    response = client.post(f"/data-rights/tasks/{task.pk}/decline/", {"decline-reason": ""})
    assert response.status_code == 400
    client.post(f"/data-rights/tasks/{task.pk}/done/")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.done_by == lead
    other = opened.tasks.get(member=member_b)
    assert client.get(f"/data-rights/tasks/{other.pk}/").status_code == 404


# --- naming leads --------------------------------------------------------------------------


def test_manager_marks_and_unmarks_a_data_protection_lead(user, member_a, client_for):
    membership = Membership.objects.get(user=user("staff-a"), member=member_a)
    url = f"/team/{membership.pk}/data-protection-lead/"
    assert client_for(user("staff-a"), member_a).post(url, {"lead": "1"}).status_code == 403
    client = client_for(user("manager-a"), member_a)
    client.post(url, {"lead": "1"})
    membership.refresh_from_db()
    assert membership.is_data_protection_lead
    assert "Data rights" in client_for(user("staff-a"), member_a).get("/").content.decode()
    client.post(url, {"lead": "0"})
    membership.refresh_from_db()
    assert not membership.is_data_protection_lead
    actions = list(AuditEntry.objects.filter(action__startswith="membership.data_protection")
                   .order_by("pk").values_list("action", flat=True))  # fmt: skip
    assert actions == [
        "membership.data_protection_lead_set",
        "membership.data_protection_lead_unset",
    ]


def test_consortium_admin_names_and_removes_consortium_leads(user, client_for):
    from tenants.permissions import is_consortium_data_protection_lead

    admin = client_for(user("admin-c"))
    assert client_for(user("dpo-c")).get("/people/data-protection-leads/").status_code == 403
    admin.post("/people/data-protection-leads/", {"account": "researcher-r"})
    researcher = user("researcher-r")
    assert is_consortium_data_protection_lead(researcher)
    admin.post(f"/people/data-protection-leads/{researcher.pk}/remove/", {"confirm": "yes"})
    assert not is_consortium_data_protection_lead(user("researcher-r"))
    assert AuditEntry.objects.filter(action="consortium.data_protection_lead_removed").exists()


def test_production_refuses_to_start_without_a_person_key():
    """Production settings need COMMONS_PERSON_KEY (32+ characters); only plain HTTP on one's
    own machine (`make serve`) falls back to the development key."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMMONS_", "DJANGO_"))}
    base = {**clean, "DJANGO_SECRET_KEY": "x" * 60, "DATABASE_URL": "postgres://u@h:1/d"}

    def starts(**env: str) -> bool:
        code = "import consortium.settings.production"
        run = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                             text=True, env={**base, **env})  # fmt: skip
        return run.returncode == 0

    assert not starts()
    assert not starts(COMMONS_PERSON_KEY="short")
    assert starts(COMMONS_PERSON_KEY="k" * 40)
    assert starts(COMMONS_PLAIN_HTTP="1")
