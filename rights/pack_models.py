"""Subject access packs (Art. 15): one row per ZIP a member's data protection lead built for
a task, in the public schema (plain ids and figures only; the person's data is in the file).

The file lies in the private media folder (``MEDIA_ROOT``, which nothing serves: not
whitenoise, not a URL) until its one download, when it is deleted and the row keeps who
downloaded it and when. A rebuild makes a new row and deletes the file of any pack it
replaces that was never downloaded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

PACK_FOLDER = "rights-packs"


class SubjectAccessPack(models.Model):
    task = models.ForeignKey("rights.MemberTask", on_delete=models.PROTECT, related_name="packs")
    built_at = models.DateTimeField(auto_now_add=True)
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")  # fmt: skip
    sha256 = models.CharField("SHA-256 checksum", max_length=64)
    size = models.PositiveBigIntegerField("size in bytes")
    # The ZIP under MEDIA_ROOT/rights-packs/<schema>/; emptied once downloaded or replaced.
    file = models.FileField(max_length=300, blank=True)
    contact_count = models.PositiveIntegerField(default=0)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")  # fmt: skip
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-built_at", "-id"]

    def __str__(self) -> str:
        return f"subject access pack {self.pk} of task {self.task_id}"

    @property
    def is_downloadable(self) -> bool:
        return bool(self.file) and self.downloaded_at is None and self.replaced_at is None
