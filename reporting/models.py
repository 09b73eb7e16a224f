"""Reporting and research, in the public schema: the consortium's disclosure settings,
research datasets fed by research agreements, research projects with their frozen snapshots,
the log of every table and extract, and members' saved reports.

Member records are referred to by plain ids; nothing here names an organisation. Pooled
responses carry a keyed hash of the organisation's identifier (``match_key``) so that one
organisation surveyed by several members counts once; researchers see a per-project hash of
that instead.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .disclosure import Rules

# Projects and outputs live on the consortium site, whichever site asks for their address.
CONSORTIUM_URLS = "consortium.urls_public"


class DisclosureSettings(models.Model):
    """The consortium's disclosure-control settings (one row)."""

    threshold = models.PositiveSmallIntegerField(
        default=10, help_text="Every cell, numerator and denominator counts at least this many "
        "organisations; means and medians need this many contributors.",
    )  # fmt: skip
    zero_disclosive = models.BooleanField("treat zeros as disclosive", default=True)
    dominance_one = models.PositiveSmallIntegerField(
        "largest contributor to a sum, at most (%)", default=50
    )
    dominance_two = models.PositiveSmallIntegerField(
        "two largest contributors to a sum, at most (%)", default=67
    )
    k_anonymity = models.PositiveSmallIntegerField("k for record-level extracts", default=10)
    l_diversity = models.PositiveSmallIntegerField("l for the sensitive answer", default=2)
    mostly_blank = models.PositiveSmallIntegerField(
        "offer coarser categories when more than this share is hidden (%)", default=50
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "disclosure settings"

    def __str__(self) -> str:
        return f"threshold {self.threshold}"

    @classmethod
    def current(cls) -> DisclosureSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls()

    def rules(self) -> Rules:
        return Rules(threshold=self.threshold, zero_disclosive=self.zero_disclosive,
                     dominance_one=self.dominance_one / 100,
                     dominance_two=self.dominance_two / 100,
                     mostly_blank=self.mostly_blank / 100)  # fmt: skip


class ResearchDataset(models.Model):
    """A consortium research dataset: the pooled responses of one consortium survey."""

    title = models.CharField(max_length=200)
    survey_code = models.SlugField(
        max_length=60, unique=True, help_text="The code members' copies of the survey share."
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class DatasetQuestion(models.Model):
    """A question of the dataset's survey as pooled (the codebook): per year and code. The
    first member to pool it defines it; a later copy of another type is not pooled."""

    dataset = models.ForeignKey(ResearchDataset, on_delete=models.CASCADE, related_name="questions")
    year = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=60)
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=10)
    options = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    # Members whose copy of the question has another type: it is not pooled from them.
    mismatched_providers = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["dataset", "year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "year", "code"], name="reporting_dq_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.year})"


class ResearchTerms(models.Model):
    """What a research agreement feeds: its dataset, and the free-text answers it lets
    through (every other free-text answer is dropped)."""

    agreement = models.OneToOneField(
        "sharing.Agreement", on_delete=models.CASCADE, related_name="research_terms"
    )
    dataset = models.ForeignKey(ResearchDataset, on_delete=models.PROTECT, related_name="terms")
    free_text_questions = ArrayField(models.SlugField(max_length=60), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.agreement} -> {self.dataset}"


class PooledResponse(models.Model):
    """A member's survey response in the research pool: pseudonymised (no names, e-mails or
    unlisted free text), present only while its research agreement is in force."""

    # A member's organisation id as a plain number (tests/test_visibility_sweep.py).
    organisation_ref_fields = ("organisation_id",)

    dataset = models.ForeignKey(ResearchDataset, on_delete=models.CASCADE, related_name="+")
    provider_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField()
    response_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField(help_text="the provider's own record (plain id)")
    year = models.PositiveSmallIntegerField()
    match_key = models.CharField(max_length=64)
    attributes = models.JSONField(default=dict)
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField()
    kept = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement_id", "response_id"], name="reporting_pooled_once"
            )
        ]
        indexes = [
            models.Index(fields=["dataset", "year", "match_key"], name="reporting_pool_match"),
            models.Index(fields=["provider_id", "agreement_id"], name="reporting_pool_source"),
            models.Index(fields=["provider_id", "organisation_id"], name="reporting_pool_record"),
        ]

    def __str__(self) -> str:
        return f"response {self.response_id} of member {self.provider_id}"


def new_project_key() -> str:
    return secrets.token_hex(32)


class ResearchProject(models.Model):
    """A research project: named researchers, a purpose, an ethics/DPIA reference, an end
    date, and the datasets it may use. Its key makes its pseudonyms its own."""

    title = models.CharField(max_length=200)
    purpose = models.TextField()
    ethics_reference = models.CharField("ethics / DPIA reference", max_length=120)
    end_date = models.DateField()
    researchers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    datasets = models.ManyToManyField(ResearchDataset, related_name="projects")
    key = models.CharField(max_length=64, default=new_project_key, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reporting:project_detail", args=[self.pk], urlconf=CONSORTIUM_URLS)

    @property
    def is_open(self) -> bool:
        return self.end_date >= timezone.localdate()


class Snapshot(models.Model):
    """A project's frozen copy of one wave of a dataset (kept responses only)."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="snapshots")
    dataset = models.ForeignKey(ResearchDataset, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    taken_at = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["dataset", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "dataset", "year"], name="reporting_snapshot_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.year}"


class SnapshotRow(models.Model):
    """A kept response frozen into a project's snapshot. ``provider_id`` and ``response_id``
    (plain ids, never shown to researchers) let it leave with its pooled response when
    research consent is withdrawn or the organisation is deleted."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="rows")
    pseudonym = models.CharField(max_length=32)
    provider_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField()
    response_id = models.BigIntegerField(null=True, blank=True)
    attributes = models.JSONField(default=dict)
    answers = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["agreement_id"], name="reporting_snaprow_agreement"),
            models.Index(fields=["provider_id", "response_id"], name="reporting_snaprow_source"),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class OutputKind(models.TextChoices):
    TABLE = "table", "Aggregate table"
    EXTRACT = "extract", "Record-level extract"


class OutputStatus(models.TextChoices):
    PASSED = "passed", "Passed the checks (draft)"
    BLOCKED = "blocked", "Blocked by the checks"
    REVIEW = "review", "Human review requested"
    RELEASED = "released", "Released"


class ResearchOutput(models.Model):
    """Every table or extract a researcher produces: who, project, dataset, query, cells
    suppressed, and whether (and by whom, why) it was released."""

    project = models.ForeignKey(ResearchProject, on_delete=models.PROTECT, related_name="outputs")
    dataset = models.ForeignKey(ResearchDataset, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    researcher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    kind = models.CharField(max_length=10, choices=OutputKind.choices)
    query = models.JSONField()
    result = models.JSONField()
    suppressed_cells = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=OutputStatus.choices)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"], name="reporting_output_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:output_detail", args=[self.pk], urlconf=CONSORTIUM_URLS)


class SavedReport(models.Model):
    """A member's saved report-builder query."""

    member = models.ForeignKey("tenants.Member", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    spec = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
