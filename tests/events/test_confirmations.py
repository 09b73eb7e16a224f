"""Actions that cannot be undone ask first: cancelling a booking or a place at an event
(releasing a research output: tests/reporting/test_research.py). The first POST shows what
will happen; only the confirmation does it."""

from __future__ import annotations

from events import bookings
from events.models import BookingStatus, RegistrationStatus

from .conftest import at


def test_cancelling_a_booking_asks_first(room, user, client_for, member_a):
    """ "Cancel" on a booking shows what will happen and changes nothing; confirming cancels."""
    booking = bookings.booking_place(
        user=user("staff-a"), member=member_a, resource=room, title="Trustees",
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
    """ "Cancel place" shows what will happen and keeps the place; confirming cancels it."""
    from events import services

    event = event_factory()
    registration = services.registration_public(
        event=event, name="Ada Lovelace", email="ada@example.net", consent=True
    )
    client = client_for(user("staff-a"), member_a)
    url = f"/registrations/{registration.pk}/cancel/"
    assert "What will happen" in client.post(url).content.decode()
    registration.refresh_from_db()
    assert registration.status != RegistrationStatus.CANCELLED
    client.post(url, {"confirm": "yes"})
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
