"""Retention schedules and the log of their runs (public schema, plain ids only).

A schedule says, for one member and one kind of record, how long the member keeps it and
what happens then: anonymised (kept, with nothing left that names anyone, so reports and
research still count it) or deleted. A run records what each pass did, as counts only: the
log names no one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import Member


class RecordType(models.TextChoices):
    CONTACT = "contact", "Contacts"
    INTERACTION = "interaction", "Interactions"
    REGISTRATION = "registration", "Event registrations"
    IMPORT_FILE = "import_file", "Import files"


class RetentionRule(models.TextChoices):
    NO_ACTIVITY = "no_activity", "After no activity"
    AFTER_INTERACTION = "after_interaction", "After the interaction's date"
    AFTER_LAST_CONTACT = "after_last_contact", "After the last interaction with everyone on it"
    AFTER_EVENT = "after_event", "After the event"
    AFTER_IMPORT = "after_import", "After the upload"


class RetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", "Anonymise (counts are kept)"
    DELETE = "delete", "Delete"


class RetentionSchedule(models.Model):
    """How long one member keeps one kind of record (``period_months`` calendar months)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    rule = models.CharField(max_length=20, choices=RetentionRule.choices)
    period_months = models.PositiveSmallIntegerField("keep for (months)")
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    enabled = models.BooleanField("in use", default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["member", "record_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "record_type"], name="rights_retention_schedule_once"
            ),
            models.CheckConstraint(
                condition=models.Q(period_months__gte=1), name="rights_retention_period_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} at {self.member}"


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    MANUAL = "manual", "Run by hand"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Stopped with an error"
    INTERRUPTED = "interrupted", "Interrupted (the next run carries on)"


class RetentionRun(models.Model):
    """One pass of a member's schedules. ``counts`` is ``{record_type: {action: n}}``, kept
    up to date record by record in the same transaction as each record's change, so an
    interrupted run's counts say exactly what it did."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    status = models.CharField(max_length=12, choices=RunStatus.choices,
                              default=RunStatus.QUEUED)  # fmt: skip
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many records the run found due when it started: the progress bar's whole.
    planned = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"Retention run {self.pk} at {self.member}"

    @property
    def processed(self) -> int:
        return sum(sum(by_action.values()) for by_action in self.counts.values())

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return min(100, round(100 * self.processed / self.planned)) if self.planned else 0

    @property
    def is_going(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}
