from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from events import bookings, services

LONDON = ZoneInfo("Europe/London")


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time ``days`` from today."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), LONDON)


@pytest.fixture
def room(member_a, user):
    return bookings.resource_save(
        acting_user=user("manager-a"),
        owner=member_a,
        name="Board Room",
        kind="room",
        capacity=12,
        location="Alpha House, York",
        bookable_by="members",
        needs_approval=False,
    )


@pytest.fixture
def event_factory(member_a, user):
    def make(*, host=member_a, by="staff-a", publish=True, **fields):
        data = {
            "title": "Funding bids workshop",
            "event_type": "training",
            "starts_at": at(10, 10),
            "ends_at": at(10, 12),
            "venue_kind": "address",
            "address": "Community Hall, Malton",
            "capacity": 3,
            "waitlist": True,
            "visibility": "public",
            **fields,
        }
        event = services.event_create(acting_user=user(by), host=host, **data)
        if publish:
            event = services.event_publish(acting_user=user(by), event=event)
        return event

    return make


@pytest.fixture
def contacts_a(in_member, member_a):
    from crm import services as crm

    with in_member(member_a):
        org = crm.organisation_create(acting_user=None, name="Malton Men's Shed")
        people = []
        for first, last in [
            ("Ada", "Lovelace"),
            ("Bob", "Bell"),
            ("Cat", "Cole"),
            ("Dan", "Dale"),
            ("Eve", "Eden"),
        ]:
            person = crm.contact_create(
                acting_user=None,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}@example.org",
                date_of_birth="1980-01-02",
                notes="Private notes",
            )
            crm.role_add(contact=person, organisation=org, role="chair", acting_user=None)
            people.append(person)
    return people


@pytest.fixture
def contact_b(in_member, member_b):
    from crm import services as crm

    with in_member(member_b):
        return crm.contact_create(
            acting_user=None, first_name="Beth", last_name="Beta", email="beth@example.org"
        )
