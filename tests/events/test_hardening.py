"""What an independent review found, each pinned by a test: visibility on the consortium
site, the API's choice lists, venue bookings drifting from their event, bad dates, late
cancellations, joining links, robots and floods on the public page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, override_settings

from events import bookings, services
from events.models import Booking, BookingStatus, Event, RegistrationStatus

from .conftest import at


def public_booking(event, name="Ann"):
    email = f"{name.lower()}@example.net"
    return services.registration_public(
        acting_user=None, event=event, name=name, email=email, consent=True
    )


def test_the_consortiums_host_only_events_stay_with_admins(client_for, user):
    event = services.event_create(
        acting_user=user("admin-c"), host=None, title="Admins' away day", event_type="other",
        starts_at=at(9, 10), ends_at=at(9, 16), venue_kind="address", address="York",
        visibility="host",
    )  # fmt: skip
    services.event_publish(acting_user=user("admin-c"), event=event)
    for name in ["staff-a", "outsider", "researcher-r"]:
        assert client_for(user(name), None).get(f"/events/{event.pk}/").status_code == 404
        assert "Admins&#x27; away day" not in client_for(user(name), None).get(
            "/events/").content.decode()  # fmt: skip
    assert client_for(user("admin-c"), None).get(f"/events/{event.pk}/").status_code == 200


def test_the_browsable_api_names_no_hidden_event_or_resource(
    client_for, user, member_a, member_b, event_factory
):
    event_factory(host=member_b, by="staff-b", title="DRAFTSECRET", visibility="host",
                  publish=False)  # fmt: skip
    bookings.resource_save(acting_user=user("staff-b"), owner=member_b, name="ROOMSECRET",
                           kind="room", bookable_by="owner")  # fmt: skip
    staff = client_for(user("staff-a"), member_a)
    for path in ["/api/registrations/", "/api/bookings/"]:
        page = staff.get(path, HTTP_ACCEPT="text/html").content.decode()
        assert "DRAFTSECRET" not in page
        assert "ROOMSECRET" not in page


def test_moving_an_approved_booking_asks_the_owner_again(room, member_a, member_b, user):
    room.needs_approval = True
    room.save()
    booking = bookings.booking_place(
        acting_user=user("staff-b"), member=member_b, resource=room, starts_at=at(5, 10),
        ends_at=at(5, 11), title="Beta",
    )[0]  # fmt: skip
    bookings.booking_decide(acting_user=user("manager-a"), member=member_a, booking=booking,
                            approve=True)  # fmt: skip
    moved = bookings.booking_move(acting_user=user("staff-b"), member=member_b, booking=booking,
                                  starts_at=at(6, 15), ends_at=at(6, 20))  # fmt: skip
    assert moved.status == BookingStatus.PENDING


def test_an_events_room_cannot_be_cancelled_behind_its_back(event_factory, room, user):
    event = event_factory(venue_kind="resource", venue_resource=room, address="")
    with pytest.raises(ValidationError, match="venue of"):
        bookings.booking_cancel(acting_user=user("manager-a"), booking=event.venue_booking)


def test_a_declined_venue_is_explained_and_asked_for_again(
    event_factory, room, member_a, member_b, user
):
    room.needs_approval = True
    room.save()
    event = event_factory(host=member_b, by="staff-b", venue_kind="resource",
                          venue_resource=room, address="", publish=False)  # fmt: skip
    bookings.booking_decide(acting_user=user("manager-a"), member=member_a,
                            booking=event.venue_booking, approve=False)  # fmt: skip
    with pytest.raises(ValidationError, match="declined"):
        services.event_publish(acting_user=user("staff-b"), event=event)
    event = services.event_update(acting_user=user("staff-b"), event=event, title="Asking again")
    assert event.venue_booking.status == BookingStatus.PENDING


@pytest.mark.parametrize("path", [
    "/events/month/?month=9999-12", "/events/month/?month=1-1", "/events/?to=9999-12-31",
    "/events/?from=0001-01-01", "/planner/?date=9999-12-31", "/planner/?date=0001-01-01&view=day",
])  # fmt: skip
def test_far_away_dates_are_ignored_not_a_server_error(client_for, user, member_a, path):
    assert client_for(user("staff-a"), member_a).get(path).status_code == 200


def test_places_cannot_be_cancelled_once_the_event_has_started(event_factory, user):
    event = event_factory()
    registration = public_booking(event)
    Event.objects.filter(pk=event.pk).update(starts_at=at(-1, 10), ends_at=at(1, 10))
    with pytest.raises(ValidationError, match="started"):
        services.registration_cancel_by_token(acting_user=None, token=registration.token)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.BOOKED


def test_the_joining_link_goes_only_to_people_with_a_place(
    event_factory, client_for, django_capture_on_commit_callbacks
):
    event = event_factory(venue_kind="online", address="", capacity=1,
                          online_url="https://meet.example.org/secret-room")  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        public_booking(event, "Ann")
        public_booking(event, "Ben")
    booked, waiting = mail.outbox
    assert "secret-room" in booked.body
    assert "secret-room" in booked.attachments[0][1].replace("\r\n ", "")
    assert "secret-room" not in waiting.body
    assert "secret-room" not in waiting.attachments[0][1].replace("\r\n ", "")
    feed = client_for(None, None).get("/calendar/all.ics").content.replace(b"\r\n ", b"")
    assert b"secret-room" not in feed


def test_robots_and_floods_are_turned_away_on_the_public_page(client_for, event_factory):
    event = event_factory(capacity=100)
    anonymous = client_for(None, None)
    trapped = anonymous.post(f"/e/{event.uid}/", {"name": "Bot", "email": "bot@example.net",
                                                  "consent": "on", "website": "spam"})  # fmt: skip
    assert trapped.status_code == 400
    assert not event.registrations.exists()
    cache.clear()
    for i in range(21):
        response = anonymous.post(f"/e/{event.uid}/", {"name": f"P{i}", "consent": "on",
                                                       "email": f"p{i}@example.net"})  # fmt: skip
    assert response.status_code == 400
    assert "Too many bookings" in response.content.decode()
    assert event.registrations.count() == 20
    cache.clear()


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_each_client_has_its_own_sign_up_limit(event_factory):
    """Behind the proxy, sign-ups are counted by the client's address, not the proxy's: a
    second client is not turned away by the first one's flood, and a first client that writes
    another address into the header's left end is still counted as itself. One e-mail address
    has a limit of its own, whatever the address."""
    event = event_factory(capacity=100)

    def book(forwarded: str, email: str):
        client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR=forwarded)
        return client.post(f"/e/{event.uid}/", {"name": "P", "consent": "on", "email": email})

    for i in range(20):
        assert book("203.0.113.5", f"one{i}@example.net").status_code == 302
    assert "Too many bookings" in book("203.0.113.5", "one-more@example.net").content.decode()
    spoofed = book("198.51.100.1, 203.0.113.5", "spoof@example.net")
    assert "Too many bookings" in spoofed.content.decode()
    assert book("203.0.113.9", "two@example.net").status_code == 302
    for i in range(5):
        assert "Too many" not in book(f"192.0.2.{i}", "same@example.net").content.decode()
    assert "Too many bookings" in book("192.0.2.99", "same@example.net").content.decode()


def test_an_event_cannot_turn_host_only_under_other_members_bookings(
    event_factory, member_a, member_b, contacts_a, in_member, user
):
    event = event_factory(host=member_b, by="staff-b")
    with in_member(member_a):
        services.registration_for_contact(acting_user=user("staff-a"), member=member_a, event=event,
                                          contact_id=contacts_a[0].pk)  # fmt: skip
    assert connection.schema_name == "public"
    with pytest.raises(ValidationError, match="lose sight"):
        services.event_update(acting_user=user("staff-b"), event=event, visibility="host")


def test_raising_capacity_after_the_event_promotes_nobody(event_factory, user):
    event = event_factory(capacity=1)
    public_booking(event, "Ann")
    waiting = public_booking(event, "Ben")
    Event.objects.filter(pk=event.pk).update(starts_at=at(-1, 10), ends_at=at(-1, 12))
    event.refresh_from_db()
    services.event_update(acting_user=user("staff-a"), event=event, capacity=5)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.WAITLISTED


def test_a_time_the_clocks_repeat_is_refused(client_for, user, member_a, room):
    response = client_for(user("staff-a"), member_a).post("/bookings/new/", {
        "resource": room.pk, "title": "Night", "day": "2027-10-31", "start": "01:30",
        "end": "02:30", "recurrence": "", "repeat_count": "1",
    })  # fmt: skip
    assert "The clocks go back" in response.content.decode()
    assert not Booking.objects.filter(title="Night").exists()
