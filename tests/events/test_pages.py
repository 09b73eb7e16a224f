"""The events and resources pages on members' sites and the consortium's, the public sign-up
page, and the API."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from events import bookings, services
from events.models import Booking, Event, Registration
from sharing.models import Disclosure

from .conftest import at


@pytest.fixture
def staff_a(client_for, user, member_a):
    return client_for(user("staff-a"), member_a)


@pytest.fixture
def staff_b(client_for, user, member_b):
    return client_for(user("staff-b"), member_b)


def test_every_page_answers_with_helpful_empty_states(staff_a):
    for path, text in [
        ("/events/", "No events match"),
        ("/events/month/", "Month"),
        ("/events/our-bookings/", "No places booked yet"),
        ("/resources/", "Add your rooms"),
        ("/planner/", "No rooms or equipment"),
        ("/bookings/", "No bookings coming up"),
        ("/bookings/approvals/", "Nothing waiting"),
        ("/events/new/", "Create an event"),
        ("/resources/new/", "Add a resource"),
        ("/bookings/new/", "Make a booking"),
    ]:
        response = staff_a.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode(), path


def test_the_navigation_links_to_events(staff_a):
    page = staff_a.get("/").content.decode()
    assert 'href="/events/"' in page


def test_create_publish_and_see_an_event_from_another_member(staff_a, staff_b, room):
    response = staff_a.post(
        "/events/new/",
        {
            "title": "Safeguarding basics",
            "event_type": "training",
            "description": "Level 1",
            "starts_at": at(12, 10).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(12, 13).strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "resource",
            "venue_resource": room.pk,
            "capacity": "20",
            "waitlist": "on",
            "visibility": "members",
            "price_note": "Free to members",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Safeguarding basics")
    assert event.venue_booking
    assert event.status == "draft"
    assert staff_b.get(f"/events/{event.pk}/").status_code == 404  # a draft stays home
    staff_a.post(f"/events/{event.pk}/publish/")
    page = staff_b.get(f"/events/{event.pk}/").content.decode()
    assert "Safeguarding basics" in page
    assert "Book a contact" in page
    assert "Register" not in page.split("Your contacts at this event")[0][-200:]
    assert staff_b.get(f"/events/{event.pk}/register.csv").status_code == 403


def test_form_errors_say_what_is_wrong(staff_a, room, member_a, user):
    bookings.booking_place(
        acting_user=user("staff-a"),
        member=member_a,
        resource=room,
        starts_at=at(12, 9),
        ends_at=at(12, 11),
        title="Busy",
    )
    response = staff_a.post(
        "/events/new/",
        {
            "title": "Clash",
            "event_type": "training",
            "starts_at": at(12, 10).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(12, 9).strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "resource",
            "venue_resource": room.pk,
            "visibility": "members",
        },
    )
    assert "The end must be after the start." in response.content.decode()
    response = staff_a.post(
        "/events/new/",
        {
            "title": "Clash",
            "event_type": "training",
            "starts_at": at(12, 10).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(12, 12).strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "resource",
            "venue_resource": room.pk,
            "visibility": "members",
        },
    )
    text = response.content.decode()
    assert "Board Room is already booked" in text
    assert "11:00" in text
    assert not Event.objects.filter(title="Clash").exists()


def test_booking_a_contact_shows_the_snapshot_first(staff_a, event_factory, member_b, contacts_a):
    event = event_factory(host=member_b, by="staff-b")
    found = staff_a.get(f"/events/{event.pk}/book/?q=lovelace").content.decode()
    assert "Ada Lovelace" in found
    preview = staff_a.get(f"/events/{event.pk}/book/?contact={contacts_a[0].pk}")
    text = preview.content.decode()
    assert "What Beta Community Network will receive" in text
    assert "ada@example.org" in text
    assert "Malton Men" in text
    assert "1980" not in text
    assert not Registration.objects.exists()
    done = staff_a.post(
        f"/events/{event.pk}/book/",
        {"contact": contacts_a[0].pk, "access_needs": "Step-free access"},
    )
    assert done.status_code == 302
    registration = Registration.objects.get()
    assert registration.access_needs == "Step-free access"
    assert Disclosure.objects.filter(action="event_snapshot").count() == 1


def test_the_host_exports_the_register(
    staff_b, event_factory, member_b, contacts_a, in_member, member_a, user
):
    """The register exports as CSV (with a BOM) and XLSX: formulas harmless, phones kept."""
    event = event_factory(host=member_b, by="staff-b")
    with in_member(member_a):
        services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event, contact_id=contacts_a[0].pk
        )
    services.registration_public(acting_user=None, event=event, name="=cmd()",
                                 email="x@example.net", organisation="+44 1723 555000",
                                 consent=True)  # fmt: skip
    response = staff_b.get(f"/events/{event.pk}/register.csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "E-mail", "Organisation"]
    assert rows[1][:2] == ["Ada Lovelace", "ada@example.org"]
    assert rows[2][0] == "'=cmd()"  # formulas neutralised
    assert rows[2][2] == "+44 1723 555000"  # a phone number is not
    xlsx = staff_b.get(f"/events/{event.pk}/register.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [sheet["A3"].value, sheet["A3"].data_type] == ["=cmd()", "s"]  # text, not a formula
    assert sheet["C3"].value == "+44 1723 555000"


def test_public_sign_up_page(client_for, event_factory):
    event = event_factory(visibility="public", capacity=1)
    anonymous = client_for(None, None)
    page = anonymous.get(f"/e/{event.uid}/")
    assert page.status_code == 200
    assert "Book your place" in page.content.decode()
    bad = anonymous.post(f"/e/{event.uid}/", {"name": "Ann", "email": "not-an-email"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Enter a valid email address." in text
    assert "Tick the box" in text
    ok = anonymous.post(
        f"/e/{event.uid}/", {"name": "Ann", "email": "ann@example.net", "consent": "on"}
    )
    assert ok.status_code == 302
    mine = anonymous.get(ok["Location"]).content.decode()
    assert "You're booked" in mine
    assert "Join the waiting list" in anonymous.get(f"/e/{event.uid}/").content.decode()
    anonymous.post(ok["Location"])
    assert "Booking cancelled" in anonymous.get(ok["Location"]).content.decode()
    members_only = event_factory(visibility="members")
    assert anonymous.get(f"/e/{members_only.uid}/").status_code == 404


def test_a_booking_clash_in_the_form_suggests_free_slots(staff_b, room, member_a, user):
    bookings.booking_place(
        acting_user=user("staff-a"),
        member=member_a,
        resource=room,
        starts_at=at(4, 10),
        ends_at=at(4, 12),
        title="Trustees",
    )
    response = staff_b.post(
        "/bookings/new/",
        {
            "resource": room.pk,
            "title": "Volunteers' meeting",
            "day": at(4, 0).date().isoformat(),
            "start": "11:00",
            "end": "12:00",
            "recurrence": "",
            "repeat_count": "1",
        },
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "Board Room is already booked" in text
    assert "10:00–12:00" in text
    assert "Trustees" not in text  # another member's booking title stays private
    assert "12:00–13:00" in text  # the next free slot
    ok = staff_b.post(
        "/bookings/new/",
        {
            "resource": room.pk,
            "title": "Volunteers' meeting",
            "day": at(4, 0).date().isoformat(),
            "start": "12:00",
            "end": "13:00",
            "recurrence": "weekly",
            "repeat_count": "4",
        },
    )
    assert ok.status_code == 302
    assert Booking.objects.filter(title="Volunteers' meeting").count() == 4
    listing = staff_b.get("/bookings/").content.decode()
    assert "Volunteers&#x27; meeting" in listing
    assert "Repeats" in listing


def test_a_time_the_clocks_skip_is_refused(staff_a, room):
    response = staff_a.post(
        "/bookings/new/",
        {
            "resource": room.pk,
            "title": "Night",
            "day": "2027-03-28",
            "start": "01:30",
            "end": "02:30",
            "recurrence": "",
            "repeat_count": "1",
        },
    )
    assert "The clocks go forward" in response.content.decode()


def test_the_planner_shows_blocks_and_hides_other_members_titles(
    staff_a, staff_b, room, member_a, user
):
    bookings.booking_place(
        acting_user=user("staff-a"),
        member=member_a,
        resource=room,
        starts_at=at(1, 10),
        ends_at=at(1, 12),
        title="Trustees",
    )
    day = at(1, 0).date().isoformat()
    ours = staff_a.get(f"/planner/?date={day}").content.decode()
    assert "Board Room" in ours
    assert "10:00–12:00" in ours
    assert "Trustees" in ours
    theirs = staff_b.get(f"/planner/?date={day}&view=day").content.decode()
    assert "10:00–12:00" in theirs
    assert "Trustees" not in theirs
    assert "Booked" in theirs


def test_approvals_queue(staff_a, staff_b, room):
    room.needs_approval = True
    room.save()
    staff_b.post(
        "/bookings/new/",
        {
            "resource": room.pk,
            "title": "Beta AGM",
            "day": at(6, 0).date().isoformat(),
            "start": "18:00",
            "end": "20:00",
            "recurrence": "",
            "repeat_count": "1",
        },
    )
    booking = Booking.objects.get(title="Beta AGM")
    assert booking.status == "pending"
    queue = staff_a.get("/bookings/approvals/").content.decode()
    assert "Beta AGM" in queue
    assert "Beta Community Network" in queue
    staff_a.post(f"/bookings/{booking.pk}/approve/", {"next": "/bookings/approvals/"})
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_consortium_admins_run_consortium_events(client_for, user):
    admin = client_for(user("admin-c"), None)
    assert admin.get("/events/").status_code == 200
    response = admin.post(
        "/events/new/",
        {
            "title": "Consortium AGM",
            "event_type": "forum",
            "starts_at": at(30, 18).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(30, 20).strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "online",
            "online_url": "https://meet.example.org/agm",
            "visibility": "members",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(title="Consortium AGM")
    assert event.host is None
    assert event.host_name.startswith("North Yorkshire")
    researcher = client_for(user("researcher-r"), None)
    assert researcher.get(f"/events/{event.pk}/").status_code == 404  # a draft
    assert researcher.get("/events/new/").status_code == 403


def test_api_events_registrations_and_bookings(
    staff_a, staff_b, event_factory, member_b, contacts_a, room
):
    event = event_factory(host=member_b, by="staff-b")
    listed = staff_a.get("/api/events/").json()
    assert event.pk in [e["id"] for e in listed["results"]]
    made = staff_a.post(
        "/api/registrations/",
        {"event": event.pk, "contact_id": contacts_a[1].pk},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["contact_id"] == contacts_a[1].pk
    host_view = staff_b.get("/api/registrations/").json()["results"]
    assert host_view[0]["name"] == "Bob Bell"
    assert host_view[0]["contact_id"] is None
    booking = {
        "resource": room.pk,
        "title": "API",
        "starts_at": at(5, 9).isoformat(),
        "ends_at": at(5, 10).isoformat(),
    }
    assert (
        staff_a.post("/api/bookings/", booking, content_type="application/json").status_code == 201
    )
    clash = staff_b.post("/api/bookings/", booking, content_type="application/json")
    assert clash.status_code == 409
    assert clash.json()["suggestions"]
    schema = staff_a.get("/api/schema/").content.decode()
    for path in ["/api/events/", "/api/registrations/", "/api/resources/", "/api/bookings/"]:
        assert path in schema


def test_the_dashboard_charts_events_and_attendance(
    staff_a, event_factory, member_a, member_b, contacts_a, in_member, user
):
    event = event_factory(host=member_b, by="staff-b")
    with in_member(member_a):
        for person in contacts_a[:2]:
            services.registration_for_contact(
                acting_user=user("staff-a"), member=member_a, event=event, contact_id=person.pk
            )
    from django.test import RequestFactory

    from events.charts import events_and_attendance

    request = RequestFactory().get("/")
    request.tenant = member_a
    request.user = user("staff-a")
    with in_member(member_a):  # a member's dashboard is drawn on its own site
        chart = events_and_attendance(request)
    assert sum(chart.series["Our contacts booked"]) == 2
    assert sum(chart.series["Places at events we hosted"]) == 0
    page = staff_a.get("/").content.decode()
    assert "Events and attendance" in page
