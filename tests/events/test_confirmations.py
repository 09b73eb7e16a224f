"""Actions that cannot be undone ask first: cancelling a booking or a place at an event
(releasing a research output: tests/reporting/test_research.py). The first POST shows what
will happen; only the confirmation does it."""

from __future__ import annotations

from events import bookings
from events.models import BookingStatus, RegistrationStatus

from .conftest import at


def test_cancelling_a_booking_asks_first(room, user, client_for, member_a):
    """“Cancel” on a booking shows what will happen and changes nothing; confirming cancels."""
    booking = bookings.booking_place(
        acting_user=user("staff-a"), member=member_a, resource=room, title="Trustees",
        starts_at=at(3, 10), ends_at=at(3, 11),
    )[0]  # fmt: skip
    client = client_for(user("staff-a"), member_a)
    url = f"/bookings/{booking.pk}/cancel/"
    page = client.post(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "What will happen" in text
    assert "Keep the booking" in text
    booking.refresh_from_db()
    assert booking.status != BookingStatus.CANCELLED
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancelling_a_place_asks_first(event_factory, user, client_for, member_a):
    """“Cancel place” shows what will happen and keeps the place; confirming cancels it."""
    from events import services

    event = event_factory()
    registration = services.registration_public(
        acting_user=None, event=event, name="Ada Lovelace", email="ada@example.net", consent=True
    )
    client = client_for(user("staff-a"), member_a)
    url = f"/registrations/{registration.pk}/cancel/"
    assert "What will happen" in client.post(url).content.decode()
    registration.refresh_from_db()
    assert registration.status != RegistrationStatus.CANCELLED
    client.post(url, {"confirm": "yes"})
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_cancelling_an_event_asks_first(event_factory, user, client_for, member_a):
    """“Cancel this event” shows who will be told and keeps the event; confirming, with the
    reason typed on the first step, cancels it."""
    from events.models import EventStatus

    event = event_factory()
    client = client_for(user("staff-a"), member_a)
    url = f"/events/{event.pk}/cancel/"
    page = client.post(url, {"reason": "Snow"}).content.decode()
    assert "Everyone booked or waiting is e-mailed" in page
    assert 'name="reason" value="Snow"' in page
    event.refresh_from_db()
    assert event.status != EventStatus.CANCELLED
    client.post(url, {"reason": "Snow", "confirm": "yes"})
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED


def test_terminating_an_agreement_asks_first(user, client_for, member_a, member_b):
    """Terminate shows what ending the agreement means and leaves it as it was; confirming
    terminates it. (It used to rely on the browser's script-only confirm box.)"""
    from sharing import services
    from sharing.models import Status

    agreement = services.agreement_create(
        provider=member_a, acting_user=user("manager-a"), recipient_ids=[member_b.pk],
        title="Waiting directory", purpose="directory", record_types=["organisation"],
        organisation_fields=["name"],
    )  # fmt: skip
    services.agreement_propose(agreement=agreement, acting_user=user("manager-a"))
    client = client_for(user("manager-a"), member_a)
    url = f"/agreements/{agreement.pk}/terminate/"
    assert "It cannot be resumed" in client.post(url, {"reason": "Wrong"}).content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Status.AWAITING
    client.post(url, {"reason": "Wrong", "confirm": "yes"})
    agreement.refresh_from_db()
    assert agreement.status == Status.TERMINATED
