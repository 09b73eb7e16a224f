"""Demo events, rooms and bookings for `make demo`: realistic, repeatable, idempotent.

Everything here works on the schema the connection is on; ``demo.provision`` (the one room
allowed to switch schema for the demo) enters each member's schema and calls the member
steps there, in this order:

1. ``events_demo_fill_public`` (public schema): rooms and equipment at every member, a year
   of their bookings around today, events, and the public's sign-ups. It returns the plan
   of what is left to do on members' sites, as plain data.
2. ``events_demo_fill_member`` (each member's schema): its staff book their own contacts
   onto the planned events, as they would on their site.
3. ``events_demo_fill_past`` (public schema): a third of the events move into the past, and
   the consortium takes the registers of its own.
4. ``events_demo_fill_registers`` (each member's schema): each host takes its registers,
   where its contacts' restrictions are known.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from crm.models import Contact
from tenants.models import Member

from . import bookings, services
from .models import Event, RegistrationStatus, Resource

ROOMS = [
    ("Main hall", 80, "Step-free entrance, hearing loop, accessible toilet."),
    ("Training room", 24, "Ground floor, step-free; large-print handouts on request."),
    ("Meeting room", 10, "First floor with lift."),
    ("Quiet room", 4, "Ground floor."),
]
EQUIPMENT = [
    ("equipment", "Projector and screen", None),
    ("equipment", "Portable PA system", None),
    ("vehicle", "Community minibus (16 seats)", 16),
    ("staff", "Funding adviser (half days)", None),
]
EVENTS = [
    (
        "training",
        "Writing winning funding bids",
        "A practical morning on the bids funders say yes to: outcomes, budgets and evidence.",
    ),
    (
        "training",
        "Safeguarding essentials for small groups",
        "Level 1 safeguarding for trustees and volunteers, with a certificate.",
    ),
    (
        "training",
        "Trustee roles and responsibilities",
        "What the Charity Commission expects of trustees, in plain English.",
    ),
    (
        "training",
        "GDPR for community groups",
        "Keeping members' details safe without drowning in paperwork.",
    ),
    (
        "networking",
        "Volunteer managers' network",
        "Share what works in recruiting and keeping volunteers.",
    ),
    (
        "networking",
        "Community buildings forum",
        "Energy costs, lettings and insurance for village halls and community centres.",
    ),
    (
        "forum",
        "Health and wellbeing forum",
        "Meet the local NHS and council teams commissioning community support.",
    ),
    (
        "forum",
        "Rural transport roundtable",
        "Community transport schemes, minibuses and volunteer drivers.",
    ),
    ("surgery", "Funding advice surgery", "Book a 45-minute slot with a funding adviser."),
    (
        "conference",
        "State of the Sector conference",
        "The consortium's annual gathering: findings from the survey, workshops and lunch.",
    ),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class PastEvent:
    """An event that is to have happened: how far back it moves, and who came."""

    event_id: int
    host_id: int | None
    shift: timedelta
    # One draw per place that can be booked (the capacity, or fewer people), in booking order.
    came: tuple[bool, ...]


@dataclass
class EventsDemoPlan:
    """What the public part leaves to members' sites: ids and decisions, nothing callable."""

    admin_id: int
    # Member id -> the events its staff book one of their contacts onto, one place each.
    places: dict[int, list[int]] = field(default_factory=dict)
    past: list[PastEvent] = field(default_factory=list)


def _on_schema_of(member: Member) -> None:
    if connection.schema_name != member.schema_name:
        raise RuntimeError(f"Run the events demo's steps for {member.name} on its schema.")


@transaction.atomic
def events_demo_fill_public(*, admin: Any, slugs: list[str]) -> EventsDemoPlan | None:
    """Rooms and equipment at every member, a year of their bookings around today, and
    events with the public's sign-ups; ``None`` when the demo's events exist already.

    Tenant assumptions: the public schema; members' CRMs are not read here.
    """
    if Resource.objects.exists():
        return None
    rng = random.Random(2026)  # noqa: S311 (repeatable demo data)
    fake = Faker("en_GB")
    fake.seed_instance(2026)
    users = get_user_model().objects
    members = list(Member.organisations.active().filter(slug__in=slugs).order_by("pk"))
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())

    owners: list[tuple[Member | None, Any]] = [(None, admin)] + [
        (m, users.get(username=f"{m.slug}-manager")) for m in members
    ]
    resources: list[tuple[Resource, Member | None, Any]] = []
    for owner, manager in owners:
        town = owner.name.split(" ")[0] if owner else "Consortium"
        chosen = rng.sample(ROOMS, 2) + rng.sample(EQUIPMENT, 1)
        if owner is None:
            chosen = [ROOMS[0], ROOMS[1], EQUIPMENT[2]]
        for item in chosen:
            if len(item) == 3 and isinstance(item[1], int):  # a room
                name, capacity, access = item
                resource = bookings.resource_save(
                    acting_user=manager, owner=owner, name=f"{town} {name.lower()}",
                    kind="room", capacity=capacity, accessibility=access,
                    location=f"{fake.street_address()}, {town}", bookable_by="members",
                    needs_approval=rng.random() < 0.3,
                )  # fmt: skip
            else:
                kind, name, capacity = item
                resource = bookings.resource_save(
                    acting_user=manager, owner=owner,
                    name=f"{town} {name[0].lower()}{name[1:]}", kind=kind, capacity=capacity,
                    bookable_by="members", needs_approval=kind == "vehicle",
                )  # fmt: skip
            resources.append((resource, owner, manager))

    # Weekly meetings for the owners, and a scatter of one-off bookings by other members.
    for resource, owner, manager in resources:
        start = monday - timedelta(weeks=8) + timedelta(days=rng.randrange(5))
        hour = rng.choice([9, 10, 13, 14])
        bookings.booking_place(
            acting_user=manager, member=owner, resource=resource, starts_at=_at(start, hour),
            ends_at=_at(start, hour + 2), title=rng.choice(["Team meeting", "Drop-in",
                                                            "Volunteer induction"]),
            recurrence="weekly", repeat_count=20, allow_past=True,
        )  # fmt: skip
        for _ in range(6):
            holder = rng.choice(members)
            day = today + timedelta(days=rng.randrange(-14, 42))
            hour = rng.choice([9, 11, 14, 16, 18])
            try:
                bookings.booking_place(
                    acting_user=users.get(username=f"{holder.slug}-staff"), member=holder,
                    resource=resource, starts_at=_at(day, hour), ends_at=_at(day, hour + 1),
                    title=rng.choice(["Trustee meeting", "Group session", "Interviews",
                                      "Funder visit", "Coffee morning"]),
                    allow_past=True,
                )  # fmt: skip
            except bookings.BookingClash:
                continue

    # Events: past ones with attendance, upcoming ones filling up.
    plan = EventsDemoPlan(admin_id=admin.pk, places={m.pk: [] for m in members})
    hosts: list[tuple[Member | None, Any]] = [(None, admin)] + [
        (m, users.get(username=f"{m.slug}-staff")) for m in members
    ]
    for index in range(36):
        host, host_user = hosts[index % len(hosts)]
        kind, title, about = EVENTS[index % len(EVENTS)]
        day = today + timedelta(days=rng.randrange(3, 100))
        hour = 9 if kind == "conference" else rng.choice([9, 10, 13, 18])
        public = kind in ("training", "conference") and rng.random() < 0.6
        event = services.event_create(
            acting_user=host_user, host=host, title=title, description=about, event_type=kind,
            starts_at=_at(day, hour, 30 if hour == 9 else 0),
            ends_at=_at(day, hour + (6 if kind == "conference" else 2)),
            venue_kind="online" if index % 5 == 0 else "address",
            online_url="https://meet.example.org/commons-" + str(index) if index % 5 == 0
            else "",
            address="" if index % 5 == 0 else f"{fake.street_address()}\n{fake.city()}",
            capacity=rng.choice([12, 16, 20, 30, 40]), waitlist=rng.random() < 0.8,
            visibility="public" if public else "members",
            price_note=rng.choice(["Free to members", "£15 for non-members", "Free", ""]),
            accessibility="Step-free access and a hearing loop. Tell us about any other needs.",
        )  # fmt: skip
        if index % 9 == 8:
            continue  # leave a few drafts for their hosts to finish
        services.event_publish(acting_user=host_user, event=event)
        taken = _plan_places(event, rng, fake, members, plan)
        if index % 3 == 0:  # a third already happened: moved back once everyone is booked
            shift = timedelta(days=(day - today).days + rng.randrange(7, 90))
            booked = min(event.capacity or taken, taken)
            came = tuple(rng.random() < 0.82 for _ in range(booked))
            plan.past.append(PastEvent(event.pk, event.host_id, shift, came))
    return plan


def _plan_places(event: Event, rng: random.Random, fake: Faker, members: list[Member],
                 plan: EventsDemoPlan) -> int:  # fmt: skip
    """Sign the public up now and leave each member's places to its own site, counting the
    places in the order people arrive: a full event without a waiting list is offered no
    one more (its sign-up would refuse them), so the same people hold its places whichever
    site books first. Returns how many places were taken or waited for."""
    taken = 0
    for _ in range(int((event.capacity or 20) * rng.uniform(0.4, 1.3))):
        full = not event.waitlist and event.capacity is not None and taken >= event.capacity
        if event.visibility == "public" and rng.random() < 0.4:
            first, last = fake.first_name(), fake.last_name()
            person = {
                "name": f"{first} {last}",
                "email": f"{first}.{last}@{fake.free_email_domain()}".lower(),
                "organisation": fake.company(),
                "access_needs": rng.choice(["", "", "", "Step-free access", "Vegetarian"]),
            }
            if full:
                continue
            try:
                services.registration_public(acting_user=None, event=event, consent=True, **person)
            except (ValidationError, services.EventFull):
                continue
        else:
            member = rng.choice(members)
            if full:
                continue
            plan.places[member.pk].append(event.pk)
        taken += 1
    return taken


def events_demo_fill_member(*, member: Member, plan: EventsDemoPlan) -> None:
    """The member's staff book one of their own contacts onto each event the plan gives it.

    Tenant assumptions: the connection is on ``member``'s schema (refused otherwise).
    """
    _on_schema_of(member)
    staff = get_user_model().objects.get(username=f"{member.slug}-staff")
    events = Event.objects.in_bulk(plan.places.get(member.pk, []))
    for event_id in plan.places.get(member.pk, []):
        contact_id = Contact.objects.filter(is_restricted=False).exclude(
            email="").order_by("?").values_list("pk", flat=True).first()  # fmt: skip
        if contact_id is None:
            continue
        try:
            services.registration_for_contact(
                acting_user=staff, member=member, event=events[event_id], contact_id=contact_id
            )
        except (ValidationError, services.EventFull):
            continue


def events_demo_fill_past(*, plan: EventsDemoPlan) -> None:
    """Move the plan's past events back in time, and take the registers of the consortium's
    own (its admin, on its site).

    Tenant assumptions: the public schema.
    """
    admin = get_user_model().objects.get(pk=plan.admin_id)
    zone = ZoneInfo(settings.TIME_ZONE)
    for past in plan.past:
        event = Event.objects.get(pk=past.event_id)
        # No service moves an event into the past: the demo makes up its history here, at
        # the same local time of day (across a clock change too).
        Event.objects.filter(pk=event.pk).update(
            starts_at=event.starts_at.astimezone(zone) - past.shift,
            ends_at=event.ends_at.astimezone(zone) - past.shift,
        )
        if past.host_id is None:
            _register_take(past, admin)


def events_demo_fill_registers(*, member: Member, plan: EventsDemoPlan) -> None:
    """The member takes the registers of its past events on its own site, where its
    contacts' restrictions are known (the service touches only the places its user may see).

    Tenant assumptions: the connection is on ``member``'s schema (refused otherwise).
    """
    _on_schema_of(member)
    staff = get_user_model().objects.get(username=f"{member.slug}-staff")
    for past in plan.past:
        if past.host_id == member.pk:
            _register_take(past, staff)


def _register_take(past: PastEvent, host_user: Any) -> None:
    event = Event.objects.get(pk=past.event_id)
    booked = event.registrations.filter(status=RegistrationStatus.BOOKED).order_by("pk")
    came = {
        pk for pk, flag in zip(booked.values_list("pk", flat=True), past.came, strict=False) if flag
    }
    services.attendance_record(acting_user=host_user, event=event, attended_ids=came)
