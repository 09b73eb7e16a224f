"""Data-rights requests and each member's part in them (public schema, plain ids only).

A request names no one: it holds the keyed hashes a lookup matched (never the e-mail, phone
or name themselves), the dates the law sets, and how the person's identity was checked. The
person's data stays in the members' schemas; each member that holds them gets a task.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from tenants.models import Member


class RequestKind(models.TextChoices):
    ACCESS = "access", "Subject access (a copy of their data)"
    ERASURE = "erasure", "Erasure"
    RECTIFICATION = "rectification", "Correction"
    RESTRICTION = "restriction", "Restriction of processing"
    OBJECTION = "objection", "Objection to marketing"


class IdentityCheck(models.TextChoices):
    DOCUMENT = "document", "Photo identification seen"
    KNOWN_ADDRESS = "known_address", "Reply from the e-mail or address we hold"
    IN_PERSON = "in_person", "Known to staff in person"
    THIRD_PARTY = "third_party", "Authority of a representative checked"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Completed"
    REFUSED = "refused", "Refused (reason recorded)"


class RightsRequest(models.Model):
    """One person's request, routed to every member that holds them.

    ``due_on`` is one calendar month after ``received_on`` (Art. 12(3)); it may be extended
    once by up to two further months with a recorded reason (``extended_to``).
    """

    # The person's keyed identifier hashes (sharing's person keys), never the values.
    person_keys = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    received_on = models.DateField()
    due_on = models.DateField()
    extended_to = models.DateField(null=True, blank=True)
    extension_reason = models.CharField(max_length=300, blank=True)
    identity_check = models.CharField(max_length=20, choices=IdentityCheck.choices)
    identity_checked_on = models.DateField()
    # The member that received the request (None: the consortium's own lead received it).
    received_by_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.OPEN)  # fmt: skip
    # A reference of the lead's own (a ticket number, "letter of 3 March"), never personal data.
    note = models.CharField("reference note", max_length=200, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")  # fmt: skip
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def deadline(self) -> datetime.date:
        return self.extended_to or self.due_on


class TaskStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (see the error)"
    DECLINED = "declined", "Not done (reason recorded)"


class MemberTask(models.Model):
    """A member's part in a request: the contacts it holds of the person (plain ids in its
    schema), and what its data protection lead has done about them."""

    # A member's contact ids (tests/test_visibility_sweep.py).
    contact_ref_fields = ("contact_ids",)

    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="tasks")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    contact_ids = ArrayField(models.BigIntegerField(), default=list)
    status = models.CharField(max_length=10, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)  # fmt: skip
    error = models.TextField(blank=True)
    reason = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")  # fmt: skip

    class Meta:
        ordering = ["request", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["request", "member"], name="rights_task_once")
        ]

    def __str__(self) -> str:
        return f"{self.request} at {self.member}"


from .breach_models import Breach, BreachEntry  # noqa: E402
from .exit_models import ExitState, MemberExit  # noqa: E402  (issue 14: a member's exit)
from .notice_models import CopyNotice, NoticeKind, NoticeStatus, ReceivedBy  # noqa: E402
from .pack_models import SubjectAccessPack  # noqa: E402
from .processing_models import ProcessingActivity  # noqa: E402
from .retention_models import (  # noqa: E402
    RecordType,
    RetentionAction,
    RetentionRule,
    RetentionRun,
    RetentionSchedule,
    RunStatus,
    RunTrigger,
)

__all__ = [
    "Breach",
    "BreachEntry",
    "CopyNotice",
    "ExitState",
    "IdentityCheck",
    "MemberExit",
    "MemberTask",
    "NoticeKind",
    "NoticeStatus",
    "ProcessingActivity",
    "ReceivedBy",
    "RecordType",
    "RequestKind",
    "RequestStatus",
    "RetentionAction",
    "RetentionRule",
    "RetentionRun",
    "RetentionSchedule",
    "RightsRequest",
    "RunStatus",
    "RunTrigger",
    "SubjectAccessPack",
    "TaskStatus",
]
