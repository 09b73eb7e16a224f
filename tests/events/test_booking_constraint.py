"""The exclusion constraint has the last word on bookings, and the services turn its refusal
into a clash message (issue 11, A13): the path the lock and the pre-check normally hide."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from events import bookings
from events.models import Booking, BookingStatus

from .conftest import at

pytestmark = pytest.mark.django_db


def _sneak(room, member, start, end, title="Sneaked in") -> Booking:
    """A confirmed booking written straight to the table, as a writer that skipped the
    resource lock and the pre-check would."""
    return Booking.objects.create(
        resource=room, during=DateTimeTZRange(start, end, "[)"), holder=member, title=title,
        status=BookingStatus.CONFIRMED,
    )  # fmt: skip


def test_write_or_clash_turns_the_constraint_into_a_clash(room, member_a, user):
    """An overlapping confirmed row refused by the exclusion constraint comes back as a
    BookingClash naming the time that clashes, with free slots; the failed write is rolled
    back to its savepoint and the transaction goes on."""
    taken = _sneak(room, member_a, at(4, 10), at(4, 12), title="Already here")
    spans = [(at(4, 11), at(4, 13))]
    with pytest.raises(bookings.BookingClash) as caught:
        bookings._write_or_clash(
            lambda: _sneak(room, member_a, *spans[0]),
            bookings.Attempt(user("staff-a"), member_a, room, spans),
        )
    assert [(c.starts_at, c.ends_at) for c in caught.value.clashes] == spans
    assert caught.value.suggestions
    assert "already booked" in caught.value.message
    assert list(Booking.objects.filter(resource=room)) == [taken]


def test_write_or_clash_lets_other_integrity_errors_through(room, member_a, user):
    """Only the exclusion constraint means a clash: another refusal (here an empty time
    range) is raised as it is, not dressed up as a clash."""
    empty = [(at(4, 10), at(4, 10))]
    with pytest.raises(IntegrityError):
        bookings._write_or_clash(
            lambda: _sneak(room, member_a, *empty[0]),
            bookings.Attempt(user("staff-a"), member_a, room, empty),
        )


def test_a_booking_that_loses_to_the_constraint_gets_a_clash_and_writes_nothing(
    room, member_a, member_b, user, monkeypatch
):
    """A conflicting confirmed booking lands after booking_place's pre-check found the room
    free (a writer that skipped the lock): the exclusion constraint refuses the insert, the
    service answers with a clash message, and none of the series is written."""
    real_check = bookings._raise_clash
    calls = []

    def check_then_sneak(*args, **kwargs):
        real_check(*args, **kwargs)
        calls.append(args)
        if len(calls) == 1:  # after the pre-check, before the write
            _sneak(room, member_b, at(12, 10), at(12, 11), title="Got there first")

    monkeypatch.setattr(bookings, "_raise_clash", check_then_sneak)
    with pytest.raises(bookings.BookingClash) as caught:
        bookings.booking_place(
            acting_user=user("staff-a"), member=member_a, resource=room, starts_at=at(5, 10),
            ends_at=at(5, 11), title="Weekly team meeting", recurrence="weekly", repeat_count=3,
        )  # fmt: skip
    assert len(calls) == 1  # the second check (after the refused write) raised the clash
    assert [c.starts_at for c in caught.value.clashes] == [at(12, 10)]
    assert "already booked" in caught.value.message
    assert not Booking.objects.filter(title="Weekly team meeting").exists()
