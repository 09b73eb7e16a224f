"""Shared events, registrations, resources and bookings (public schema).

A host is a member or, where ``host`` is empty, the consortium itself. Member records are
referred to by plain ids (``contact_id``); what a host receives of a registering member's
contact is the snapshot on the registration and nothing more.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Visibility(models.TextChoices):
    HOST = "host", "Host only"
    MEMBERS = "members", "All members"
    PUBLIC = "public", "Public"


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class EventType(models.TextChoices):
    TRAINING = "training", "Training"
    NETWORKING = "networking", "Networking"
    FORUM = "forum", "Forum"
    CONFERENCE = "conference", "Conference"
    SURGERY = "surgery", "Advice surgery"
    OTHER = "other", "Other"


class VenueKind(models.TextChoices):
    RESOURCE = "resource", "A bookable room"
    ADDRESS = "address", "Another address"
    ONLINE = "online", "Online"


class Event(models.Model):
    host = models.ForeignKey(
        "tenants.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the consortium's own events.",
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    event_type = models.CharField("type", max_length=20, choices=EventType.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue_kind = models.CharField(max_length=10, choices=VenueKind.choices)
    venue_resource = models.ForeignKey(
        "Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    venue_booking = models.OneToOneField(
        "Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="for_event"
    )
    address = models.TextField(blank=True)
    online_url = models.URLField("online joining link", blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    # Kept by the registration services under the event's row lock; the CHECK constraint is
    # the guarantee that no code path can overbook.
    booked_count = models.PositiveIntegerField(default=0, editable=False)
    waitlist = models.BooleanField("keep a waiting list", default=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    price_note = models.CharField(max_length=200, blank=True)
    accessibility = models.TextField("accessibility information", blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default="draft")
    # RFC 5545 SEQUENCE: raised on every edit so calendars replace their copy.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="events_event_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(booked_count__lte=models.F("capacity")),
                name="events_event_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:event_detail", args=[self.pk])

    @property
    def host_name(self) -> str:
        return self.host.name if self.host_id else settings.CONSORTIUM_NAME

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.booked_count, 0)

    @property
    def venue_text(self) -> str:
        if self.venue_kind == VenueKind.RESOURCE and self.venue_resource_id:
            resource = self.venue_resource
            return ", ".join(p for p in [resource.name, resource.location] if p)
        if self.venue_kind == VenueKind.ONLINE:
            return "Online"
        return self.address.replace("\n", ", ")


class RegistrationStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    WAITLISTED = "waitlisted", "On the waiting list"
    CANCELLED = "cancelled", "Cancelled"


class Registration(models.Model):
    """A place (or a wait) at an event.

    From a member's staff: ``member`` and ``contact_id`` say whose contact it is (a plain id in
    that member's schema). From the public sign-up page: both are empty. The host sees only
    the snapshot fields.
    """

    # Holds a member's contact id as a plain number (tests/test_visibility_sweep.py).
    contact_ref_fields = ("contact_id",)

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    member = models.ForeignKey(
        "tenants.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_id = models.BigIntegerField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    access_needs = models.TextField(blank=True)
    consent = models.BooleanField(
        default=False, help_text="Agreed to the host keeping these details for this event."
    )
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attended = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["member", "contact_id"]),
            models.Index(fields=["event", "status", "created_at"]),
        ]
        constraints = [
            # One live registration per contact per event.
            models.UniqueConstraint(
                fields=["event", "member", "contact_id"],
                condition=Q(contact_id__isnull=False) & ~Q(status="cancelled"),
                name="events_registration_one_per_contact",
            ),
            models.CheckConstraint(
                condition=Q(contact_id__isnull=True) | Q(member__isnull=False),
                name="events_registration_contact_has_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.event}"


class ResourceKind(models.TextChoices):
    ROOM = "room", "Room"
    EQUIPMENT = "equipment", "Equipment"
    VEHICLE = "vehicle", "Vehicle"
    STAFF = "staff", "Staff time"


class BookableBy(models.TextChoices):
    OWNER = "owner", "The owner only"
    MEMBERS = "members", "All members"


class Resource(models.Model):
    owner = models.ForeignKey(
        "tenants.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the consortium's own resources.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    description = models.TextField(blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="People, for rooms.")
    accessibility = models.TextField("accessibility", blank=True)
    location = models.CharField(max_length=200, blank=True)
    bookable_by = models.CharField(
        "who may book", max_length=10, choices=BookableBy.choices, default="members"
    )
    needs_approval = models.BooleanField(
        "bookings by others need the owner's approval", default=False
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_name(self) -> str:
        return self.owner.name if self.owner_id else settings.CONSORTIUM_NAME


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class Recurrence(models.TextChoices):
    NONE = "", "Does not repeat"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly (same date)"


class Booking(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    during = DateTimeRangeField()
    holder = models.ForeignKey(
        "tenants.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member the booking is for; empty for the consortium.",
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=BookingStatus.choices)
    series = models.UUIDField(null=True, blank=True, db_index=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["during", "id"]
        constraints = [
            # The guarantee: two confirmed bookings of one resource never overlap. Ranges are
            # half-open ([start, end)), so back-to-back bookings are allowed.
            ExclusionConstraint(
                name="events_booking_no_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    ("during", RangeOperators.OVERLAPS),
                ],
                condition=Q(status="confirmed"),
            ),
            models.CheckConstraint(
                condition=~Q(during__isempty=True), name="events_booking_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["holder", "status"]),
            # The planner and "coming up" lists read pending and confirmed bookings together,
            # which the exclusion constraint's partial index cannot serve.
            GistIndex(fields=["resource", "during"], name="events_booking_resource_during"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.during.lower:%Y-%m-%d %H:%M}"

    @property
    def starts_at(self):
        return self.during.lower

    @property
    def ends_at(self):
        return self.during.upper

    @property
    def holder_name(self) -> str:
        return self.holder.name if self.holder_id else settings.CONSORTIUM_NAME


class CalendarKey(models.Model):
    """A person's private calendar-feed address: random, stored, and renewable (renewing
    cuts off every copy of the old address)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_key"
    )
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar key of {self.user_id}"
