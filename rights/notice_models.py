"""Art. 19 notices: a member that received a person's record (a copy in its own CRM, or an
export) is told when the provider erased or corrected it, or left the consortium, and tracks
its own copy to done or a recorded reason.

Public schema, plain ids only: the provider's record id, and the recipient's own copy's id
(found by the link every copy made through Commons carries). No one's name is stored here;
the recipient's page reads its copy's name from its own schema.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import Member


class NoticeKind(models.TextChoices):
    ERASE = "erase", "The provider erased this person: erase your copy"
    CORRECT = "correct", "The provider corrected this record: correct your copy"
    MEMBER_EXIT = "member_exit", "The provider left the consortium: decide about your copy"


class NoticeStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    DECLINED = "declined", "Not done (reason recorded)"


class ReceivedBy(models.TextChoices):
    COPY = "copy", "Copied into your CRM"
    EXPORT = "export", "Received in an export"


class CopyNotice(models.Model):
    """One record of a provider that one recipient received, and what the recipient did
    about it after the provider's erasure, correction or exit."""

    # The provider's record id (contact or organisation, by record_type) and the recipient's
    # own copy's id, plain numbers in two members' schemas (tests/test_visibility_sweep.py).
    contact_ref_fields = ("record_id", "copy_id")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+",
                               help_text="the recipient, who must act")  # fmt: skip
    provider_id = models.BigIntegerField()
    provider_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    received_by = models.CharField(max_length=10, choices=ReceivedBy.choices)
    copy_id = models.BigIntegerField(null=True, blank=True)
    request = models.ForeignKey(
        "rights.RightsRequest", on_delete=models.PROTECT, null=True, blank=True,
        related_name="copy_notices",
    )  # fmt: skip
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")  # fmt: skip
    status = models.CharField(max_length=10, choices=NoticeStatus.choices,
                              default=NoticeStatus.OPEN)  # fmt: skip
    reason = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["member", "status"], name="rights_notice_open"),
            models.Index(fields=["provider_id", "record_type", "record_id"],
                         name="rights_notice_source"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.provider_name}, record {self.record_id})"

    @property
    def is_open(self) -> bool:
        return self.status == NoticeStatus.OPEN
