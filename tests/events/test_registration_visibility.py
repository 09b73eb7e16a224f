"""Who sees which registration snapshots (issue 11, A13): one rule,
``events.selectors.registrations_visible``, behind the API and the pages."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from events import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(event_factory, member_a, member_b, contacts_a, contact_b, user, in_member):
    """Alpha hosts an event. Alpha's staff book Ada (open) and Cat (restricted, granted to
    manager-a only); Beta books its own Beth onto Alpha's event; Beta also hosts an event
    that only Beta books onto."""
    from crm import services as crm

    alpha_event = event_factory(title="Alpha open day", capacity=10)
    beta_event = event_factory(host=member_b, by="staff-b", title="Beta quiet day")
    ada, cat = contacts_a[0], contacts_a[2]
    with in_member(member_a):
        crm.contact_update(contact=cat, acting_user=None, is_restricted=True)
        assign_perm("crm.view_restricted_contact", user("manager-a"), cat)
        services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=alpha_event, contact_id=ada.pk,
            access_needs="Hearing loop please",
        )  # fmt: skip
        secret = services.registration_for_contact(
            acting_user=user("manager-a"), member=member_a, event=alpha_event, contact_id=cat.pk,
            access_needs="Quiet entrance needed",
        )  # fmt: skip
    with in_member(member_b):
        services.registration_for_contact(
            acting_user=user("staff-b"), member=member_b, event=alpha_event, contact_id=contact_b.pk
        )
        services.registration_for_contact(
            acting_user=user("staff-b"), member=member_b, event=beta_event, contact_id=contact_b.pk
        )
    return {"alpha_event": alpha_event, "beta_event": beta_event, "secret": secret}


def test_api_lists_only_our_bookings_and_the_registers_we_host(booked, client_for, user,
                                                              member_a, member_b):  # fmt: skip
    """Beta's staff see Beta's own bookings (on both events) and nothing of Alpha's
    contacts; Alpha's staff see their bookings and, as host, Beta's snapshot on their event,
    but not Beta's booking on Beta's own event."""
    beta = client_for(user("staff-b"), member_b).get("/api/registrations/").content.decode()
    assert "Ada Lovelace" not in beta
    assert "ada@example.org" not in beta
    assert "Hearing loop please" not in beta
    assert beta.count("beth@example.org") == 2
    alpha = client_for(user("staff-a"), member_a).get("/api/registrations/").json()
    rows = {(r["name"], r["event_title"]) for r in alpha["results"]}
    assert ("Ada Lovelace", "Alpha open day") in rows
    assert ("Beth Beta", "Alpha open day") in rows
    assert ("Beth Beta", "Beta quiet day") not in rows
    other = client_for(user("staff-b"), member_b)
    ada_id = next(r["id"] for r in alpha["results"] if r["name"] == "Ada Lovelace")
    assert other.get(f"/api/registrations/{ada_id}/").status_code == 404


def test_a_restricted_contacts_booking_is_hidden_from_colleagues_without_access(
    booked, client_for, user, member_a
):
    """Cat is restricted: staff-a (no grant) finds her booking in no API answer, event page,
    register export or "our bookings" page, and cannot cancel it by id; manager-a can see
    it everywhere."""
    event, secret = booked["alpha_event"], booked["secret"]
    pages = [
        "/api/registrations/",
        f"/api/registrations/{secret.pk}/",
        f"/events/{event.pk}/",
        f"/events/{event.pk}/register.csv",
        "/events/our-bookings/",
    ]
    staff = client_for(user("staff-a"), member_a)
    for page in pages:
        body = staff.get(page).content.decode("utf-8-sig")
        assert "Cat Cole" not in body, page
        assert "Quiet entrance needed" not in body, page
    assert staff.get(f"/api/registrations/{secret.pk}/").status_code == 404
    assert staff.post(f"/registrations/{secret.pk}/cancel/").status_code == 404
    assert "Ada Lovelace" in staff.get(f"/events/{event.pk}/").content.decode()
    manager = client_for(user("manager-a"), member_a)
    for page in pages:
        assert "Cat Cole" in manager.get(page).content.decode("utf-8-sig"), page


def test_the_selector_hides_our_own_contacts_off_our_schema(booked, member_a, member_b, user,
                                                            in_member):  # fmt: skip
    """Off the member's own schema the CRM's restrictions cannot be checked, so the member's
    own contacts' places are left out rather than shown (the host's view of others stays)."""
    with in_member(member_b):
        names = set(
            selectors.registrations_visible(user=user("manager-a"), member=member_a).values_list(
                "name", flat=True
            )
        )
    assert names == {"Beth Beta"}
    with in_member(member_a):
        names = set(
            selectors.registrations_visible(user=user("manager-a"), member=member_a).values_list(
                "name", flat=True
            )
        )
    assert names == {"Ada Lovelace", "Cat Cole", "Beth Beta"}


def test_taking_the_register_leaves_hidden_places_as_a_colleague_recorded(
    booked, user, member_a, in_member
):
    """Staff without access to Cat never see her place on the register, so saving the
    register cannot mark her as absent: what manager-a recorded for her stays."""
    from datetime import timedelta

    from django.utils import timezone

    from events.models import Event, Registration

    event, secret = booked["alpha_event"], booked["secret"]
    started = timezone.now() - timedelta(hours=1)
    Event.objects.filter(pk=event.pk).update(
        starts_at=started, ends_at=started + timedelta(hours=2)
    )
    event.refresh_from_db()
    with in_member(member_a):
        services.attendance_record(
            acting_user=user("manager-a"), event=event, attended_ids={secret.pk}
        )
        services.attendance_record(acting_user=user("staff-a"), event=event, attended_ids=set())
    assert Registration.objects.get(pk=secret.pk).attended is True


def test_only_the_booking_member_sees_the_contact_behind_a_place(booked, member_a, member_b):
    """The CRM contact id of a place goes to the member that booked it, never to the host or
    anyone else."""
    beth = booked["alpha_event"].registrations.get(member=member_b)
    assert selectors.registration_contact_id(registration=beth, member=member_b) == (
        beth.contact_id
    )
    assert selectors.registration_contact_id(registration=beth, member=member_a) is None


def test_a_contacts_places_are_read_for_that_members_schema_only(booked, member_a, member_b,
                                                                contact_b):  # fmt: skip
    """A contact's timeline reads the places of that member's contact with that id, not of
    another member's contact that happens to share the id."""
    mine = selectors.registrations_of_contact(
        schema_name=member_b.schema_name, contact_id=contact_b.pk
    )
    assert {r.member_id for r in mine} == {member_b.pk}
    assert mine.count() == 2
    theirs = selectors.registrations_of_contact(
        schema_name=member_a.schema_name, contact_id=contact_b.pk
    )
    assert {r.pk for r in theirs}.isdisjoint({r.pk for r in mine})
    assert all(r.member_id == member_a.pk for r in theirs)
