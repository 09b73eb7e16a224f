"""The breach log (public schema): what happened, the risk, the 72-hour clock for telling the
ICO, and the dated decisions made about it.

A breach holds numbers, never personal data: roughly how many records of each type were
affected, and which members. The decisions and the affected members' notes are append-only
(database triggers refuse UPDATE, DELETE and TRUNCATE; plain ids, no foreign keys).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from tenants.models import Member

REPORTING_HOURS = 72  # UK GDPR Art. 33(1): without undue delay, where feasible within 72 hours
DUE_SOON_HOURS = 24


class Likelihood(models.TextChoices):
    REMOTE = "remote", "Remote"
    POSSIBLE = "possible", "Possible"
    LIKELY = "likely", "Likely"


class Severity(models.TextChoices):
    MINIMAL = "minimal", "Minimal"
    SIGNIFICANT = "significant", "Significant"
    SEVERE = "severe", "Severe"


class RiskLevel(models.TextChoices):
    """The ICO's three outcomes of a breach assessment."""

    NONE = "none", "No risk (record it, no report)"
    RISK = "risk", "Risk (report to the ICO)"
    HIGH = "high", "High risk (report to the ICO and tell the people affected)"


class Decision(models.TextChoices):
    UNDECIDED = "undecided", "Not decided yet"
    YES = "yes", "Yes"
    NO = "no", "No"


class BreachStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


_SCORES: dict[str, int] = {
    Likelihood.REMOTE: 1, Likelihood.POSSIBLE: 2, Likelihood.LIKELY: 3,
    Severity.MINIMAL: 1, Severity.SIGNIFICANT: 2, Severity.SEVERE: 3,
}  # fmt: skip


def risk_level(likelihood: str, severity: str) -> str:
    """Likelihood times severity: 1-2 no risk, 3-4 a risk, 6-9 a high risk."""
    score = _SCORES.get(likelihood, 0) * _SCORES.get(severity, 0)
    if score >= 6:
        return RiskLevel.HIGH
    return RiskLevel.RISK if score >= 3 else RiskLevel.NONE


# The types of record a breach may touch: (field, label).
RECORD_COUNTS = (
    ("contacts_affected", "Contacts"),
    ("organisations_affected", "Organisations"),
    ("interactions_affected", "Interactions"),
    ("registrations_affected", "Event registrations"),
    ("survey_responses_affected", "Survey responses"),
    ("other_records_affected", "Other records"),
)


class Breach(models.Model):
    """One personal data breach. ``recorded_for`` is the member whose data protection lead
    recorded it (None: the consortium's lead); ``members`` are the members affected."""

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField("short description", max_length=200)
    what_happened = models.TextField()
    occurred_at = models.DateTimeField("when it happened", null=True, blank=True,
                                       help_text="Leave empty if it is not known.")  # fmt: skip
    found_at = models.DateTimeField("when it was found")
    found_by = models.CharField("who found it", max_length=150,
                                help_text="A name or a role, e.g. 'Office manager'.")  # fmt: skip
    recorded_for = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")  # fmt: skip
    members = models.ManyToManyField(Member, related_name="+", verbose_name="members affected")
    contacts_affected = models.PositiveIntegerField(default=0)
    organisations_affected = models.PositiveIntegerField(default=0)
    interactions_affected = models.PositiveIntegerField(default=0)
    registrations_affected = models.PositiveIntegerField(default=0)
    survey_responses_affected = models.PositiveIntegerField(default=0)
    other_records_affected = models.PositiveIntegerField(default=0)
    special_category = models.BooleanField(
        "special category or criminal offence data involved", default=False
    )
    likelihood = models.CharField(
        "likelihood of harm to people",
        max_length=10,
        choices=Likelihood.choices,
        default=Likelihood.POSSIBLE,
    )
    severity = models.CharField(
        "severity of that harm",
        max_length=12,
        choices=Severity.choices,
        default=Severity.SIGNIFICANT,
    )
    report_to_ico = models.CharField(
        "report to the ICO", max_length=10, choices=Decision.choices, default=Decision.UNDECIDED
    )
    tell_people = models.CharField(
        "tell the people affected",
        max_length=10,
        choices=Decision.choices,
        default=Decision.UNDECIDED,
    )
    reported_at = models.DateTimeField("reported to the ICO on", null=True, blank=True)
    ico_reference = models.CharField("ICO reference", max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=BreachStatus.choices,
                              default=BreachStatus.OPEN)  # fmt: skip
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")  # fmt: skip
    recorded_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(occurred_at__isnull=True)
                | models.Q(occurred_at__lte=models.F("found_at")),
                name="rights_breach_found_after_it_happened",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def due_at(self) -> datetime.datetime:
        """When the 72 hours for reporting to the ICO end (from when it was found)."""
        return self.found_at + datetime.timedelta(hours=REPORTING_HOURS)

    @property
    def risk(self) -> str:
        return risk_level(self.likelihood, self.severity)

    @property
    def risk_label(self) -> str:
        return RiskLevel(self.risk).label

    @property
    def records_total(self) -> int:
        return sum(getattr(self, name) for name, _label in RECORD_COUNTS)

    @property
    def record_counts(self) -> list[tuple[str, int]]:
        return [
            (label, getattr(self, name)) for name, label in RECORD_COUNTS if getattr(self, name)
        ]


class EntryKind(models.TextChoices):
    DECISION = "decision", "Decision"
    NOTE = "note", "Note"


class BreachEntry(models.Model):
    """A dated decision about a breach, or an affected member's note on it: append-only.

    Plain ids (the log outlives what it names) with the author's name as it was then."""

    breach_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150)
    # The member the author spoke for (None: the consortium's data protection lead).
    member_id = models.BigIntegerField(null=True)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
