"""A member's own processing for its record of processing activities (Art. 30): one row per
fixed activity once its lead has changed the purpose or lawful basis Commons suggests.

Until a member edits an activity, the register shows the suggestion (rights.processing).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crm.models import LawfulBasis
from tenants.models import Member


class Activity(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    ORGANISATIONS = "organisations", "Organisations"
    INTERACTIONS = "interactions", "Interactions"
    EVENTS = "events", "Events and bookings"
    SURVEYS = "surveys", "Surveys"


class ProcessingActivity(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(max_length=20, choices=Activity.choices)
    purpose = models.TextField()
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["member", "activity"]
        constraints = [
            models.UniqueConstraint(fields=["member", "activity"], name="rights_activity_once")
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.activity}"
