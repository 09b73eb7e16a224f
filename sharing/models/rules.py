"""The consortium's sharing rules as stored: limits on fields, each purpose's policy,
standing agreements every member joins, and the append-only log of every change."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from crm.models import LawfulBasis

from .agreements import (
    NEVER_SHAREABLE_FIELDS,
    SHAREABLE_FIELDS,
    AccessMode,
    Purpose,
    RecordType,
)


class FieldRuleMode(models.TextChoices):
    ANY = "any", "May be shared for any purpose"
    PURPOSES = "purposes", "May be shared only for the purposes named"
    NEVER = "never", "Never shared"


class FieldRule(models.Model):
    """A limit on one field of one record type, whatever an agreement says. No row means
    the field may be shared for any purpose. Locked rows (dates of birth, notes, restricted
    contacts) cannot be relaxed: Commons has no way to share them."""

    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    field = models.CharField(max_length=40)
    mode = models.CharField(max_length=10, choices=FieldRuleMode.choices)
    purposes = ArrayField(
        models.CharField(max_length=20, choices=Purpose.choices), default=list, blank=True
    )
    locked = models.BooleanField(default=False)
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["record_type", "field"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "field"], name="sharing_field_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.field}: {self.mode}"

    @property
    def label(self) -> str:
        labels = SHAREABLE_FIELDS[self.record_type] | NEVER_SHAREABLE_FIELDS[self.record_type]
        return labels.get(self.field, self.field)


class PurposePolicy(models.Model):
    """What every agreement of one purpose must keep."""

    purpose = models.CharField(max_length=20, choices=Purpose.choices, unique=True)
    lawful_bases = ArrayField(
        models.CharField(max_length=30, choices=LawfulBasis.choices), default=list, blank=True,
        help_text="Leave empty to accept any lawful basis.",
    )  # fmt: skip
    contacts_need_consent = models.BooleanField(
        "contacts need recorded consent", default=False,
        help_text="Contacts are shared only if their latest 'sharing' consent is a yes.",
    )  # fmt: skip
    # None: the consortium's default (the COMMONS_SHARING_ADMIN_APPROVAL setting).
    admin_approval = models.BooleanField("consortium admin must approve", null=True, blank=True)
    dpia_required = models.BooleanField("DPIA reference required", default=False)
    max_term_months = models.PositiveIntegerField(
        "longest term (months)", null=True, blank=True,
        help_text="Agreements must end within this many months of their start.",
    )  # fmt: skip
    review_months = models.PositiveIntegerField(
        "review at least every (months)", null=True, blank=True,
        help_text="Agreements must have a review date within this many months of their start.",
    )  # fmt: skip
    parties_restricted = models.BooleanField(
        "only named members may be party", default=False,
        help_text="E.g. only members accredited for research.",
    )  # fmt: skip
    eligible_members = models.ManyToManyField("tenants.Member", blank=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["purpose"]
        verbose_name_plural = "purpose policies"

    def __str__(self) -> str:
        return f"Policy for {self.get_purpose_display()}"


class StandingAgreement(models.Model):
    """An agreement every member makes by joining the consortium (e.g. every member shares
    its organisations' directory fields with all members). A member joins on onboarding: an
    all-members agreement of its own, in force at once, from these terms."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    record_types = ArrayField(models.CharField(max_length=20, choices=RecordType.choices),
                              default=list)  # fmt: skip
    contact_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    organisation_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    criteria_tags = ArrayField(
        models.CharField(max_length=80), default=list, blank=True,
        help_text="Only records with one of these tags (leave empty for all).",
    )  # fmt: skip
    requires_consent = models.BooleanField("only contacts who consented to sharing",
                                           default=True)  # fmt: skip
    access_mode = models.CharField(max_length=10, choices=AccessMode.choices, default="view")
    expected_benefit = models.TextField(blank=True)
    retention = models.TextField("retention and what recipients do at the end", blank=True)
    is_active = models.BooleanField(
        "new members join it", default=True,
        help_text="Untick to stop new members joining; agreements already made stay as they are.",
    )  # fmt: skip
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def fields_for(self, record_type: str) -> list[str]:
        return (
            self.contact_fields if record_type == RecordType.CONTACT else self.organisation_fields
        )

    def agreement_terms(self) -> dict:
        """The terms of the agreement a joining member makes."""
        return {
            "title": self.name, "purpose": self.purpose, "lawful_basis": self.lawful_basis,
            "all_members": True, "record_types": list(self.record_types),
            "contact_fields": list(self.contact_fields),
            "organisation_fields": list(self.organisation_fields),
            "criteria_tags": list(self.criteria_tags),
            "requires_consent": self.requires_consent, "access_mode": self.access_mode,
            "expected_benefit": self.expected_benefit, "retention": self.retention,
        }  # fmt: skip


def _words(code: str) -> str:
    return str(code).replace("_", " ").replace(".", " ")


def _value_words(value: object) -> str:
    """A stored rule value as people read it: choice labels, Yes/No, lists joined."""
    from crm.models import OrganisationType

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_value_words(v) for v in value)
    if isinstance(value, str):
        for choices in (Purpose, LawfulBasis, AccessMode, RecordType, FieldRuleMode,
                        OrganisationType):  # fmt: skip
            if value in choices.values:
                return str(choices(value).label)
        for fields in SHAREABLE_FIELDS.values():
            if value in fields:
                return str(fields[value])
        return value
    return str(value)


class RuleChange(models.Model):
    """Every change of the consortium's rules: who, when, which rule, old and new.
    Append-only (database triggers refuse UPDATE, DELETE and TRUNCATE); plain ids."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    rule = models.CharField(max_length=100, db_index=True)
    summary = models.CharField(max_length=300)
    old = models.JSONField(null=True)
    new = models.JSONField(null=True)
    suspended = ArrayField(models.BigIntegerField(), default=list, blank=True,
                           help_text="agreements suspended because of this change")  # fmt: skip

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"

    @property
    def differences(self) -> list[tuple[str, str, str]]:
        """(setting, was, now) for each setting that changed, in words: no stored codes."""
        old = self.old if isinstance(self.old, dict) else {"value": self.old}
        new = self.new if isinstance(self.new, dict) else {"value": self.new}
        return [
            (_words(key).capitalize(), _value_words(old.get(key)), _value_words(new.get(key)))
            for key in dict.fromkeys([*old, *new])
            if old.get(key) != new.get(key)
        ]
