"""Events and registrations: capacity, the waiting list, snapshots, disclosures, e-mails,
the venue booking and the CRM timeline."""

from __future__ import annotations

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from events import services
from events.models import Booking, BookingStatus, Event, RegistrationStatus
from sharing.models import Disclosure, DisclosureAction

from .conftest import at


def book(event, person, **kw):
    return services.registration_public(
        acting_user=None,
        event=event,
        name=person,
        email=f"{person.lower()}@example.net",
        consent=True,
        **kw,
    )


def test_capacity_then_waiting_list_then_promotion(
    event_factory, django_capture_on_commit_callbacks
):
    event = event_factory(capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = (book(event, n) for n in ["Ann", "Ben", "Cal"])
    assert [r.status for r in (first, second, third)] == ["booked", "booked", "waitlisted"]
    event.refresh_from_db()
    assert event.booked_count == 2
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel_by_token(acting_user=None, token=first.token)
    third.refresh_from_db()
    assert third.status == RegistrationStatus.BOOKED
    assert third.promoted_at
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "A place has come up: Funding bids workshop",
        "Booking cancelled: Funding bids workshop",
    ]
    promoted = next(m for m in mail.outbox if m.subject.startswith("A place"))
    _name, content, mimetype = promoted.attachments[0]
    assert mimetype == "text/calendar"
    parsed = icalendar.Calendar.from_ical(content)
    assert [str(c["summary"]) for c in parsed.walk("VEVENT")] == ["Funding bids workshop"]


def test_without_a_waiting_list_a_full_event_refuses(event_factory):
    event = event_factory(capacity=1, waitlist=False)
    book(event, "Ann")
    with pytest.raises(services.EventFull, match="full"):
        book(event, "Ben")


def test_the_database_check_stops_overbooking_even_without_the_services(event_factory):
    event = event_factory(capacity=1)
    book(event, "Ann")
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(booked_count=2)


def test_drafts_and_started_events_take_no_bookings(event_factory):
    draft = event_factory(publish=False)
    with pytest.raises(ValidationError, match="not open"):
        book(draft, "Ann")
    started = event_factory(starts_at=at(-1, 10), ends_at=at(3, 10))
    with pytest.raises(ValidationError, match="already started"):
        book(started, "Ann")


def test_public_sign_up_only_for_public_events_and_needs_consent(event_factory):
    members_only = event_factory(visibility="members")
    with pytest.raises(PermissionDenied):
        book(members_only, "Ann")
    public = event_factory(visibility="public")
    with pytest.raises(ValidationError):
        services.registration_public(
            acting_user=None, event=public, name="Ann", email="ann@example.net", consent=False
        )
    book(public, "Ann")
    with pytest.raises(ValidationError, match="already booked"):
        book(public, "ANN")


def test_staff_book_their_own_contacts_and_the_host_gets_only_a_snapshot(
    event_factory, member_a, member_b, contacts_a, contact_b, user, in_member
):
    event = event_factory(host=member_b, by="staff-b")
    ada = contacts_a[0]
    with in_member(member_a):
        registration = services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event, contact_id=ada.pk
        )
        # Beta's contact id means nothing in Alpha's CRM: refused, not guessed.
        with pytest.raises(ValidationError, match="not in your CRM"):
            services.registration_for_contact(
                acting_user=user("staff-a"),
                member=member_a,
                event=event,
                contact_id=contact_b.pk + 10_000,
            )
        with pytest.raises(ValidationError, match="already booked"):
            services.registration_for_contact(
                acting_user=user("staff-a"), member=member_a, event=event, contact_id=ada.pk
            )
    assert (registration.name, registration.email, registration.organisation) == (
        "Ada Lovelace",
        "ada@example.org",
        "Malton Men's Shed",
    )
    stored = {f.name: getattr(registration, f.name) for f in registration._meta.fields}
    assert "1980" not in repr(stored)
    assert "Private notes" not in repr(stored)
    log = Disclosure.objects.get(action=DisclosureAction.EVENT_SNAPSHOT)
    assert (log.provider_id, log.member_id, log.record_ids) == (member_a.pk, member_b.pk, [ada.pk])
    # Staff of another member cannot book from Alpha's CRM, even knowing the ids.
    with in_member(member_a), pytest.raises(PermissionDenied):
        services.registration_for_contact(
            acting_user=user("staff-b"), member=member_a, event=event, contact_id=contacts_a[1].pk
        )
    # On the wrong site (schema), no contact is read at all.
    with in_member(member_b), pytest.raises(PermissionDenied):
        services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event, contact_id=contacts_a[1].pk
        )


def test_booking_onto_our_own_event_is_not_a_disclosure(
    event_factory, member_a, contacts_a, user, in_member
):
    event = event_factory()
    with in_member(member_a):
        services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event, contact_id=contacts_a[0].pk
        )
    assert not Disclosure.objects.filter(action=DisclosureAction.EVENT_SNAPSHOT).exists()


def test_restricted_contacts_cannot_be_booked_by_colleagues_without_access(
    event_factory, member_a, contacts_a, user, in_member
):
    from crm import services as crm

    event = event_factory()
    with in_member(member_a):
        crm.contact_update(contact=contacts_a[2], acting_user=None, is_restricted=True)
        with pytest.raises(ValidationError, match="not in your CRM"):
            services.registration_for_contact(
                acting_user=user("staff-a"),
                member=member_a,
                event=event,
                contact_id=contacts_a[2].pk,
            )


def test_the_contact_timeline_shows_booked_attended_and_cancelled(
    event_factory, member_a, member_b, contacts_a, user, in_member
):
    from crm.timeline import timeline_external

    upcoming = event_factory(host=member_b, by="staff-b", title="Trustee basics")
    with in_member(member_a):
        reg = services.registration_for_contact(
            acting_user=user("staff-a"),
            member=member_a,
            event=upcoming,
            contact_id=contacts_a[0].pk,
        )
        services.registration_cancel(registration=reg, acting_user=user("staff-a"), member=member_a)
    past = event_factory(title="Networking lunch", starts_at=at(2, 12), ends_at=at(2, 14))
    with in_member(member_a):
        services.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=past, contact_id=contacts_a[0].pk
        )
    Event.objects.filter(pk=past.pk).update(starts_at=at(-2, 12), ends_at=at(-2, 14))
    past.refresh_from_db()
    with in_member(member_a):  # the host takes the register on its own site
        services.attendance_record(
            acting_user=user("staff-a"),
            event=past,
            attended_ids=set(past.registrations.values_list("pk", flat=True)),
        )
    with in_member(member_a):
        titles = {e.title for e in timeline_external("contact", contacts_a[0].pk)}
    assert titles == {
        "Booked onto Trustee basics",
        "Cancelled place at Trustee basics",
        "Booked onto Networking lunch",
        "Attended Networking lunch",
    }
    with in_member(member_b):  # Beta's contact with the same id sees none of it
        assert timeline_external("contact", contacts_a[0].pk) == []


def test_the_venue_is_booked_moved_and_released_with_the_event(event_factory, room, user):
    event = event_factory(venue_kind="resource", venue_resource=room, address="")
    booking = event.venue_booking
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.starts_at == event.starts_at
    services.event_update(
        acting_user=user("staff-a"), event=event, starts_at=at(11, 14), ends_at=at(11, 16)
    )
    booking.refresh_from_db()
    assert booking.starts_at == at(11, 14)
    services.event_cancel(acting_user=user("staff-a"), event=event, reason="Trainer ill")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_an_event_whose_room_is_taken_is_not_created(event_factory, room, member_a, user):
    from events import bookings

    bookings.booking_place(
        acting_user=user("staff-a"),
        member=member_a,
        resource=room,
        starts_at=at(10, 9),
        ends_at=at(10, 11),
        title="Busy",
    )
    before = Event.objects.count()
    with pytest.raises(bookings.BookingClash):
        event_factory(venue_kind="resource", venue_resource=room, address="")
    assert Event.objects.count() == before
    assert Booking.objects.filter(resource=room).count() == 1


def test_cancelling_the_event_tells_everyone_with_a_calendar_cancellation(
    event_factory, user, django_capture_on_commit_callbacks
):
    event = event_factory(capacity=1)
    book(event, "Ann")
    book(event, "Ben")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(acting_user=user("staff-a"), event=event, reason="Venue flooded")
    assert len(mail.outbox) == 2
    assert all("Venue flooded" in m.body for m in mail.outbox)
    cal = icalendar.Calendar.from_ical(mail.outbox[0].attachments[0][1])
    assert str(cal["method"]) == "CANCEL"
    assert str(next(iter(cal.walk("VEVENT")))["status"]) == "CANCELLED"


def test_capacity_cannot_drop_below_bookings_and_raising_it_promotes(event_factory, user):
    event = event_factory(capacity=1)
    book(event, "Ann")
    waiting = book(event, "Ben")
    with pytest.raises(ValidationError):
        services.event_update(acting_user=user("staff-a"), event=event, capacity=0)
    services.event_update(acting_user=user("staff-a"), event=event, capacity=2)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.BOOKED


def test_only_the_host_manages_an_event(event_factory, user):
    event = event_factory()
    for name in ["staff-b", "outsider", "researcher-r"]:
        with pytest.raises(PermissionDenied):
            services.event_update(acting_user=user(name), event=event, title="Mine now")
    with pytest.raises(PermissionDenied):
        services.event_create(acting_user=user("staff-b"), host=event.host, title="x")
    assert connection.schema_name == "public"
