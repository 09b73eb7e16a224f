"""Every write to bookings, registrations and calendar addresses leaves an audit row naming
who did it (or no one, for the public) and for which member; a person's name never goes
into the append-only log."""

from __future__ import annotations

import pytest

from events import bookings, services
from tenants.models import AuditEntry

from .conftest import at

pytestmark = pytest.mark.django_db


def _last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def _trustees(room, member, staff):
    [booking] = bookings.booking_place(
        acting_user=staff, member=member, resource=room, starts_at=at(5, 10),
        ends_at=at(5, 11), title="Trustees",
    )  # fmt: skip
    return booking


def test_placing_moving_and_cancelling_a_booking_are_audited(room, member_a, user):
    """Placing, moving and cancelling a booking each record the acting user and the holder."""
    staff = user("staff-a")
    booking = _trustees(room, member_a, staff)
    placed = _last("booking.placed")
    assert (placed.actor_id, placed.member_id) == (staff.pk, member_a.pk)
    assert placed.details["booking"] == booking.pk
    bookings.booking_move(acting_user=staff, member=member_a, booking=booking,
                          starts_at=at(5, 14), ends_at=at(5, 15))  # fmt: skip
    moved = _last("booking.moved")
    assert (moved.actor_id, moved.member_id) == (staff.pk, member_a.pk)
    assert bookings.booking_cancel(acting_user=staff, booking=booking) == 1
    cancelled = _last("booking.cancelled")
    assert (cancelled.actor_id, cancelled.member_id) == (staff.pk, member_a.pk)
    assert cancelled.details["dates"] == 1


def test_a_cancellation_that_changes_nothing_is_not_audited(room, member_a, user):
    """Cancelling an already cancelled booking writes nothing, so it logs nothing."""
    staff = user("staff-a")
    booking = _trustees(room, member_a, staff)
    bookings.booking_cancel(acting_user=staff, booking=booking)
    before = AuditEntry.objects.filter(action="booking.cancelled").count()
    assert bookings.booking_cancel(acting_user=staff, booking=booking) == 0
    assert AuditEntry.objects.filter(action="booking.cancelled").count() == before


@pytest.mark.parametrize("approve", [True, False])
def test_the_owners_decision_on_a_booking_is_audited(room, member_a, member_b, user, approve):
    """The owner's approval or refusal is recorded with the owner's user, under the holder."""
    room.needs_approval = True
    room.save()
    [pending] = bookings.booking_place(
        acting_user=user("staff-b"), member=member_b, resource=room, starts_at=at(6, 10),
        ends_at=at(6, 11), title="Beta's meeting",
    )  # fmt: skip
    bookings.booking_decide(acting_user=user("manager-a"), member=member_a, booking=pending,
                            approve=approve)  # fmt: skip
    entry = _last("booking.approved" if approve else "booking.declined")
    assert (entry.actor_id, entry.member_id) == (user("manager-a").pk, member_b.pk)
    assert entry.details["booking"] == pending.pk


def test_booking_a_contact_and_cancelling_the_place_are_audited(
    event_factory, member_a, contacts_a, user, in_member
):
    """Staff booking a contact and cancelling the place are audited under their member,
    with the event's title and the place's id, never the contact's name."""
    event = event_factory()
    staff = user("staff-a")
    with in_member(member_a):
        registration = services.registration_for_contact(
            acting_user=staff, member=member_a, event=event, contact_id=contacts_a[0].pk
        )
        services.registration_cancel(acting_user=staff, member=member_a, registration=registration)
    booked, cancelled = _last("registration.booked"), _last("registration.cancelled")
    for entry in (booked, cancelled):
        assert (entry.actor_id, entry.member_id) == (staff.pk, member_a.pk)
        assert entry.target == event.title
        assert entry.details["registration"] == registration.pk
        assert "Ada" not in str(entry.details)


def test_a_public_sign_up_and_its_cancellation_by_link_are_audited(event_factory, member_a):
    """The public's sign-up and its cancellation through the private link have no actor and
    are recorded under the host."""
    event = event_factory()
    registration = services.registration_public(
        acting_user=None, event=event, name="Pat Public", email="pat@example.net", consent=True
    )
    services.registration_cancel_by_token(acting_user=None, token=registration.token)
    signed_up, cancelled = _last("registration.signed_up"), _last("registration.cancelled")
    for entry in (signed_up, cancelled):
        assert (entry.actor_id, entry.member_id) == (None, member_a.pk)
        assert entry.details["registration"] == registration.pk
        assert entry.target == event.title
    assert cancelled.details["by"] == "private link"


def test_the_public_pages_record_the_visitor_who_signs_up_and_cancels(
    event_factory, client_for, member_a, user
):
    """The public pages hand the visitor to the services: an anonymous visitor's sign-up and
    cancellation have no actor; a signed-in person's are recorded under their account."""
    from django.core.cache import cache

    event = event_factory(capacity=10)
    for who, email in ((None, "pat@example.net"), (user("staff-b"), "sam@example.net")):
        client = client_for(who, None)
        response = client.post(f"/e/{event.uid}/", {"name": "Visitor", "email": email,
                                                    "consent": "on"})  # fmt: skip
        assert response.status_code == 302
        registration = event.registrations.get(email=email)
        client.post(f"/e/booking/{registration.token}/")
        signed_up, cancelled = _last("registration.signed_up"), _last("registration.cancelled")
        actor_id = getattr(who, "pk", None)
        assert (signed_up.actor_id, signed_up.member_id) == (actor_id, member_a.pk)
        assert (cancelled.actor_id, cancelled.member_id) == (actor_id, member_a.pk)
        assert signed_up.details["registration"] == cancelled.details["registration"]
        assert cancelled.details["registration"] == registration.pk
    cache.clear()


def test_an_unknown_cancellation_link_cancels_nothing(event_factory):
    """A token that matches no sign-up is refused as missing, and nothing is logged."""
    import uuid

    from events.models import Registration

    before = AuditEntry.objects.filter(action="registration.cancelled").count()
    with pytest.raises(Registration.DoesNotExist):
        services.registration_cancel_by_token(acting_user=None, token=uuid.uuid4())
    assert AuditEntry.objects.filter(action="registration.cancelled").count() == before


def test_making_and_renewing_a_calendar_address_are_audited(user):
    """The first personal calendar address and each renewal are recorded for their owner."""
    from events.models import CalendarKey

    staff = user("staff-a")
    CalendarKey.objects.filter(user=staff).delete()
    services.calendar_key_for(acting_user=staff)
    assert _last("calendar_key.created").actor_id == staff.pk
    services.calendar_key_renew(acting_user=staff)
    assert _last("calendar_key.renewed").actor_id == staff.pk
