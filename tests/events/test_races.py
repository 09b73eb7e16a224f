"""Concurrency on real connections: sign-ups racing for the last places, and two members
racing for the same room. Each test commits uniquely named data from worker threads (each
with its own connection) and removes it afterwards."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from events import bookings, services
from events.models import Booking, BookingStatus, Event, Registration, RegistrationStatus
from tenants.models import Member

from .conftest import at

pytestmark = pytest.mark.timeout(120)


def together(jobs: list) -> list:
    """Run every job at once (a barrier releases them together); results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int, job) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # collected, not raised in the thread
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
        assert not thread.is_alive(), "a connection is stuck waiting"
    return results


def committed(fn):
    """Run ``fn`` in a thread with its own connection (its writes commit)."""
    return together([fn])[0]


@pytest.fixture
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        data = committed(
            lambda: {
                "a": Member.organisations.get(slug="alpha"),
                "b": Member.organisations.get(slug="beta"),
                "staff_a": get_user_model().objects.get(username="staff-a"),
                "staff_b": get_user_model().objects.get(username="staff-b"),
                "tag": uuid.uuid4().hex[:8],
            }
        )
        made: dict[str, list] = {"events": [], "resources": []}
        data["made"] = made
        yield data

        def clean() -> None:
            Registration.objects.filter(event__in=made["events"]).delete()
            Event.objects.filter(pk__in=made["events"]).delete()
            Booking.objects.filter(resource__in=made["resources"]).delete()
            bookings.Resource.objects.filter(pk__in=made["resources"]).delete()

        committed(clean)


def public_event(world, *, title: str, capacity: int, waitlist: bool, early: int = 0) -> Event:
    """A published public event, committed, with ``early`` places already taken."""

    def setup() -> Event:
        event = services.event_create(
            acting_user=world["staff_a"], host=world["a"], title=f"Race {world['tag']} {title}",
            event_type="training", starts_at=at(20, 10), ends_at=at(20, 12),
            venue_kind="online", online_url="https://meet.example.org/x", capacity=capacity,
            waitlist=waitlist, visibility="public",
        )  # fmt: skip
        services.event_publish(acting_user=world["staff_a"], event=event)
        for i in range(early):
            services.registration_public(acting_user=None, event=event, name=f"Early {i}",
                                         email=f"early{i}@example.net", consent=True)  # fmt: skip
        return event

    event = committed(setup)
    world["made"]["events"].append(event.pk)
    return event


def sign_ups(event: Event, count: int) -> list:
    """``count`` public sign-ups at once; each result is a registration or an exception."""
    return together([
        (lambda i=i: services.registration_public(
            acting_user=None, event=event, name=f"Racer {i}", email=f"racer{i}@example.net",
            consent=True))
        for i in range(count)
    ])  # fmt: skip


def test_fifty_sign_ups_for_the_last_three_places(world):
    event = public_event(world, title="a", capacity=10, waitlist=True, early=7)
    results = sign_ups(event, 50)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    statuses = [r.status for r in results]
    assert statuses.count(RegistrationStatus.BOOKED) == 3
    assert statuses.count(RegistrationStatus.WAITLISTED) == 47

    def check():
        fresh = Event.objects.get(pk=event.pk)
        booked = Registration.objects.filter(event=event, status="booked").count()
        return fresh.booked_count, booked

    assert committed(check) == (10, 10)


def test_without_a_waiting_list_the_rest_are_refused(world):
    event = public_event(world, title="b", capacity=3, waitlist=False)
    results = sign_ups(event, 20)
    booked = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, services.EventFull)]
    assert len(booked) == 3
    assert len(refused) == 17


def test_two_members_racing_for_one_room_get_one_booking(world):
    def setup():
        return bookings.resource_save(
            acting_user=world["staff_a"],
            owner=world["a"],
            name=f"Race room {world['tag']}",
            kind="room",
        )

    room = committed(setup)
    world["made"]["resources"].append(room.pk)

    def attempt(user, member, hour):
        return lambda: bookings.booking_place(
            acting_user=user,
            member=member,
            resource=room,
            starts_at=at(9, hour),
            ends_at=at(9, hour + 2),
            title="Race",
        )

    for _round in range(3):
        results = together(
            [attempt(world["staff_a"], world["a"], 10), attempt(world["staff_b"], world["b"], 11)]
        )
        won = [r for r in results if isinstance(r, list)]
        lost = [r for r in results if isinstance(r, bookings.BookingClash)]
        assert len(won) == 1, results
        assert len(lost) == 1, results
        assert "already booked" in str(lost[0])

        def clear():
            Booking.objects.filter(resource=room).update(status=BookingStatus.CANCELLED)

        committed(clear)
