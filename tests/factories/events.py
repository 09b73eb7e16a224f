"""Rooms, bookings and events (public schema), made through the events services as the
owner's or host's manager."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from events import bookings, services
from events.models import Booking, Event, Resource

from .people import manager_of


def local_time(days: int, hour: int) -> datetime:
    """UK wall-clock ``hour`` o'clock, ``days`` from today."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour), ZoneInfo("Europe/London"))


class ResourceFactory(factory.django.DjangoModelFactory):
    """A room of ``owner``'s, saved by its manager."""

    class Meta:
        model = Resource

    owner = None
    acting_user = factory.LazyAttribute(lambda o: manager_of(o.owner))
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = "room"
    capacity = 40
    location = "Alpha House"

    @classmethod
    def _create(cls, model_class, *args: Any, acting_user: Any, **fields: Any) -> Resource:
        return bookings.resource_save(acting_user=acting_user, **fields)


class BookingFactory(factory.django.DjangoModelFactory):
    """One booking of ``resource`` for its owner, 10:00 to 12:00 in two days' time."""

    class Meta:
        model = Booking

    resource = None
    member = factory.LazyAttribute(lambda o: o.resource.owner)
    acting_user = factory.LazyAttribute(lambda o: manager_of(o.member))
    starts_at = factory.LazyFunction(lambda: local_time(2, 10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    title = factory.Sequence(lambda n: f"Meeting {n}")

    @classmethod
    def _create(cls, model_class, *args: Any, acting_user: Any, **fields: Any) -> Booking:
        return bookings.booking_place(acting_user=acting_user, **fields)[0]


class EventFactory(factory.django.DjangoModelFactory):
    """A members' networking breakfast hosted by ``host``, created (and, unless
    ``publish=False``, published) by its manager; 08:00 to 09:00 in two days' time."""

    class Meta:
        model = Event

    host = None
    acting_user = factory.LazyAttribute(lambda o: manager_of(o.host))
    title = factory.Sequence(lambda n: f"Networking breakfast {n}")
    event_type = "networking"
    starts_at = factory.LazyFunction(lambda: local_time(2, 8))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    venue_kind = "address"
    address = "Alpha House, York"
    capacity = 30
    waitlist = True
    visibility = "members"
    publish = True

    @classmethod
    def _create(cls, model_class, *args: Any, acting_user: Any, publish: bool = True,
                **fields: Any) -> Event:  # fmt: skip
        event = services.event_create(acting_user=acting_user, **fields)
        return services.event_publish(acting_user=acting_user, event=event) if publish else event
