"""A member's exit (issue 14): its complete export, its leaving, and the certificate of what
was deleted when. Public schema; the member's data stays in its own schema until the drop.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import Member


class ExitState(models.TextChoices):
    EXPORT_QUEUED = "export_queued", "Export waiting to start"
    EXPORTING = "exporting", "Export being built"
    EXPORT_READY = "export_ready", "Export ready to download"
    EXPORT_FAILED = "export_failed", "Export failed (start it again)"
    DOWNLOADED = "downloaded", "Export downloaded"
    DECLINED = "declined", "Export declined by the member"
    LEAVING = "leaving", "Left: closed, data kept for the grace period"
    CANCELLED = "cancelled", "Exit cancelled: the member is back"
    DROPPED = "dropped", "Data deleted (certificate issued)"


# The states in which a consortium admin may confirm the member's leaving.
CONFIRMABLE = frozenset({ExitState.DOWNLOADED, ExitState.DECLINED})
# The states of an exit still under way (one per member at a time).
OPEN_STATES = frozenset(
    {
        ExitState.EXPORT_QUEUED, ExitState.EXPORTING, ExitState.EXPORT_READY,
        ExitState.EXPORT_FAILED, ExitState.DOWNLOADED, ExitState.DECLINED, ExitState.LEAVING,
    }
)  # fmt: skip


class MemberExit(models.Model):
    """One member's exit, from its managers' export to the drop of its schema.

    ``certificate`` is written once, when the schema is dropped: what was deleted (every
    table and its row count), the export's checksum, who confirmed the leaving, and when.
    ``memberships_ended`` keeps who worked there and as what, so a cancelled exit gives
    access back as it was.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=20, choices=ExitState.choices,
                             default=ExitState.EXPORT_QUEUED)  # fmt: skip
    progress = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True)
    file_path = models.CharField("export file", max_length=500, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField("export checksum (SHA-256)", max_length=64, blank=True)
    export_finished_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")  # fmt: skip
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")  # fmt: skip
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    grace_until = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    dropped_at = models.DateTimeField(null=True, blank=True)
    memberships_ended = models.JSONField(default=list, blank=True)
    certificate = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="rights_one_open_exit_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"exit of {self.member} ({self.get_state_display().lower()})"

    @property
    def is_exporting(self) -> bool:
        return self.state in (ExitState.EXPORT_QUEUED, ExitState.EXPORTING)

    @property
    def has_export(self) -> bool:
        return bool(self.file_path) and self.state in (
            ExitState.EXPORT_READY, ExitState.DOWNLOADED, ExitState.LEAVING, ExitState.DECLINED,
        )  # fmt: skip
