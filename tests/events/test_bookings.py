"""Bookings: the exclusion constraint, clash messages, suggestions, repeats and approval."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from events import bookings, times
from events.models import Booking, BookingStatus

from .conftest import at


def place(user, member, resource, start, end, **kw):
    return bookings.booking_place(
        acting_user=user,
        member=member,
        resource=resource,
        starts_at=start,
        ends_at=end,
        title=kw.pop("title", "Team meeting"),
        **kw,
    )


def test_the_database_refuses_overlapping_confirmed_bookings(room, member_a, user):
    place(user("staff-a"), member_a, room, at(3, 10), at(3, 12))
    clash = Booking(
        resource=room,
        during=DateTimeTZRange(at(3, 11), at(3, 13), "[)"),
        holder=member_a,
        title="Sneaky",
        status=BookingStatus.CONFIRMED,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save()  # straight past the services: the constraint still says no


def test_back_to_back_bookings_are_fine_and_cancelled_ones_free_the_slot(room, member_a, user):
    first = place(user("staff-a"), member_a, room, at(3, 10), at(3, 12))[0]
    place(user("staff-a"), member_a, room, at(3, 12), at(3, 13))
    bookings.booking_cancel(acting_user=user("staff-a"), booking=first)
    assert place(user("staff-a"), member_a, room, at(3, 9), at(3, 11))


def test_a_clash_names_the_time_and_suggests_free_slots(room, member_a, member_b, user):
    place(user("staff-a"), member_a, room, at(3, 10), at(3, 12))
    with pytest.raises(bookings.BookingClash) as caught:
        place(user("staff-b"), member_b, room, at(3, 11), at(3, 12))
    clash = caught.value
    text = str(clash)
    assert "Board Room is already booked" in text
    assert "10:00–12:00" in text
    # Beta may not see who holds Alpha's booking.
    assert "Alpha" not in text
    assert clash.suggestions[0][0] == at(3, 12)
    assert all(end - start == at(3, 12) - at(3, 11) for start, end in clash.suggestions)
    assert Booking.objects.filter(holder=member_b).count() == 0


def test_the_holder_is_named_to_those_who_may_see_it(room, member_a, user):
    place(user("staff-a"), member_a, room, at(3, 10), at(3, 12))
    with pytest.raises(bookings.BookingClash) as caught:
        place(user("manager-a"), member_a, room, at(3, 9), at(3, 10, 30))
    assert "by Alpha Voluntary Action" in str(caught.value)


def test_a_repeating_booking_reports_every_clash_and_books_nothing(room, member_a, member_b, user):
    place(user("staff-a"), member_a, room, at(14, 10), at(14, 11))
    place(user("staff-a"), member_a, room, at(28, 10, 30), at(28, 11, 30))
    with pytest.raises(bookings.BookingClash) as caught:
        place(
            user("staff-b"),
            member_b,
            room,
            at(7, 10),
            at(7, 11),
            recurrence="weekly",
            repeat_count=6,
        )
    assert len(caught.value.clashes) == 2
    assert "2 of the dates clash" in caught.value.message
    assert not Booking.objects.filter(holder=member_b).exists()
    made = place(
        user("staff-b"), member_b, room, at(7, 14), at(7, 15), recurrence="weekly", repeat_count=6
    )
    assert len(made) == 6
    assert len({b.series for b in made}) == 1


def test_weekly_repeats_keep_the_local_time_across_the_clock_change(room, member_a, user):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # 2027's clocks go back on Sunday 31 October; book Thursdays 10:00 across it.
    start = datetime(2027, 10, 21, 10, 0, tzinfo=london)
    made = bookings.booking_place(
        acting_user=user("staff-a"),
        member=member_a,
        resource=room,
        starts_at=start,
        ends_at=start.replace(hour=11),
        title="Drop-in",
        recurrence="weekly",
        repeat_count=3,
    )
    local_hours = [b.starts_at.astimezone(london).hour for b in made]
    utc_hours = [b.starts_at.astimezone(ZoneInfo("UTC")).hour for b in made]
    assert local_hours == [10, 10, 10]
    assert utc_hours == [9, 9, 10]


def test_monthly_repeats_skip_months_without_the_date():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    start = datetime(2027, 1, 31, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    spans = times.occurrences(start, start.replace(hour=10), "monthly", 3)
    assert [s.date().isoformat() for s, _ in spans] == ["2027-01-31", "2027-03-31", "2027-05-31"]


def test_approval_is_needed_from_others_and_the_constraint_decides(room, member_a, member_b, user):
    room.needs_approval = True
    room.save()
    pending = place(user("staff-b"), member_b, room, at(5, 10), at(5, 12))[0]
    assert pending.status == BookingStatus.PENDING
    own = place(user("staff-a"), member_a, room, at(5, 11), at(5, 13))[0]
    assert own.status == BookingStatus.CONFIRMED  # the owner needs no approval
    with pytest.raises(PermissionDenied):
        bookings.booking_decide(
            acting_user=user("staff-b"), member=member_b, booking=pending, approve=True
        )
    with pytest.raises(bookings.BookingClash):
        bookings.booking_decide(
            acting_user=user("manager-a"), member=member_a, booking=pending, approve=True
        )
    bookings.booking_cancel(acting_user=user("staff-a"), booking=own)
    decided = bookings.booking_decide(
        acting_user=user("manager-a"), member=member_a, booking=pending, approve=True
    )
    assert decided.status == BookingStatus.CONFIRMED


def test_owner_only_resources_refuse_other_members(room, member_b, user):
    room.bookable_by = "owner"
    room.save()
    with pytest.raises(PermissionDenied):
        place(user("staff-b"), member_b, room, at(3, 10), at(3, 11))


def test_bad_times_are_refused(room, member_a, user):
    with pytest.raises(ValidationError):
        place(user("staff-a"), member_a, room, at(3, 12), at(3, 10))
    with pytest.raises(ValidationError):
        place(user("staff-a"), member_a, room, at(-3, 10), at(-3, 11))
    with pytest.raises(ValidationError):
        place(user("staff-a"), member_a, room, at(3, 10), at(3, 11), title="  ")
