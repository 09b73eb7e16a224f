"""Data-sharing agreements: their terms, parties and history, and the consortium's
templates members start from. All in the public schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from crm.models import LawfulBasis  # the six bases of UK GDPR Article 6(1)


class Purpose(models.TextChoices):
    DIRECTORY = "directory", "Directory of local groups"
    EVENT_PROMOTION = "event_promotion", "Event promotion"
    JOINT_DELIVERY = "joint_delivery", "Joint service delivery"
    RESEARCH = "research", "Research"
    OTHER = "other", "Other"


class AccessMode(models.TextChoices):
    VIEW = "view", "View only"
    EXPORT = "export", "View and export"
    COPY = "copy", "View, export and copy into the recipient's CRM"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING = "awaiting", "Awaiting signatures"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Replaced by a newer version"


class RecordType(models.TextChoices):
    CONTACT = "contact", "Contacts"
    ORGANISATION = "organisation", "Organisations"


# The fields an agreement may offer, per record type: label shown to people.
SHAREABLE_FIELDS: dict[str, dict[str, str]] = {
    RecordType.CONTACT: {
        "first_name": "First name", "last_name": "Last name",
        "preferred_name": "Preferred name", "email": "E-mail", "phone": "Phone",
        "mobile": "Mobile", "town": "Town", "postcode": "Postcode",
        "organisations": "Organisations and roles",
    },
    RecordType.ORGANISATION: {
        "name": "Name", "other_names": "Other names", "org_type": "Type",
        "identifiers": "Identifiers", "email": "E-mail", "phone": "Phone",
        "address_line1": "Address", "town": "Town", "postcode": "Postcode",
        "district": "District", "website": "Website", "areas_of_work": "Areas of work",
        "beneficiaries": "Beneficiaries",
    },
}  # fmt: skip
# Fields no agreement can offer at all; the consortium's rules name them so that the rule is
# explicit (and shown to members), and the projection has no expression for any of them.
NEVER_SHAREABLE_FIELDS: dict[str, dict[str, str]] = {
    RecordType.CONTACT: {
        "date_of_birth": "Date of birth", "notes": "Notes",
        "interaction_notes": "Notes of interactions",
        "restricted": "Anything on a restricted contact",
    },
    RecordType.ORGANISATION: {"notes": "Notes", "interaction_notes": "Notes of interactions"},
}  # fmt: skip
# Personal data: viewing a shared record holding any of these is logged.
PERSONAL_FIELDS = {"first_name", "last_name", "preferred_name", "email", "phone", "mobile"}
# The states each way of stopping may end. A draft has not been offered to anyone, so there
# is nothing to suspend or terminate: it is amended or left. The agreement page asks this too.
STOPPABLE_FROM: dict[str, frozenset[str]] = {
    Status.SUSPENDED: frozenset({Status.ACTIVE}),
    Status.TERMINATED: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.AWAITING}),
}


class Agreement(models.Model):
    """One version of a data-sharing agreement (ICO data sharing code: who, what, why, how
    long). Changing an active agreement makes a new version that must be signed again."""

    provider = models.ForeignKey("tenants.Member", on_delete=models.PROTECT, related_name="+")
    all_members = models.BooleanField(
        "shared with all members", default=False,
        help_text="Every member, present and future, is a recipient.",
    )  # fmt: skip
    title = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    expected_benefit = models.TextField(blank=True)
    record_types = ArrayField(
        models.CharField(max_length=20, choices=RecordType.choices), default=list, blank=True
    )
    contact_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    organisation_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    criteria_tags = ArrayField(
        models.CharField(max_length=80), default=list, blank=True,
        help_text="Only records with one of these tags (leave empty for all).",
    )  # fmt: skip
    criteria_org_types = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    criteria_districts = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    requires_consent = models.BooleanField(
        "only contacts who consented to sharing", default=True,
        help_text="Contacts are shared only if their latest 'sharing' consent is a yes.",
    )  # fmt: skip
    access_mode = models.CharField(max_length=10, choices=AccessMode.choices, default="view")
    start_date = models.DateField(default=timezone.localdate)
    review_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    retention = models.TextField("retention and what recipients do at the end", blank=True)
    security_notes = models.TextField(blank=True)
    lawful_basis = models.CharField(
        max_length=30, choices=LawfulBasis.choices, blank=True,
        help_text="The provider's lawful basis for sharing (UK GDPR Article 6).",
    )  # fmt: skip
    dpia_reference = models.CharField(
        "DPIA reference", max_length=100, blank=True,
        help_text="The reference of the data protection impact assessment, where there is one.",
    )  # fmt: skip
    # Made when a member joined one of the consortium's standing agreements.
    standing = models.ForeignKey(
        "StandingAgreement", on_delete=models.PROTECT, null=True, blank=True,
        related_name="agreements",
    )  # fmt: skip
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Where the consortium's rules require it (per purpose; COMMONS_SHARING_ADMIN_APPROVAL is
    # the default), a consortium admin's approval is needed as well as every signature.
    admin_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    admin_approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="sharing_agreement_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("sharing:agreement_detail", args=[self.pk])

    def fields_for(self, record_type: str) -> list[str]:
        return (
            self.contact_fields if record_type == RecordType.CONTACT else self.organisation_fields
        )

    @property
    def contact_field_labels(self) -> list[str]:
        labels = SHAREABLE_FIELDS[RecordType.CONTACT]
        return [labels.get(name, name.replace("_", " ")) for name in self.contact_fields]

    @property
    def organisation_field_labels(self) -> list[str]:
        labels = SHAREABLE_FIELDS[RecordType.ORGANISATION]
        return [labels.get(name, name.replace("_", " ")) for name in self.organisation_fields]

    @property
    def criteria_org_type_labels(self) -> list[str]:
        from crm.models import OrganisationType

        labels = dict(OrganisationType.choices)
        return [str(labels.get(code, code.replace("_", " "))) for code in self.criteria_org_types]

    @property
    def review_overdue(self) -> bool:
        """Active, with its review date passed: still in force, but due a look."""
        return (
            self.status == Status.ACTIVE
            and self.review_date is not None
            and self.review_date < timezone.localdate()
        )

    def may_stop(self, to: str) -> bool:
        """Whether this agreement's state allows it to become ``to`` (suspended or
        terminated)."""
        return self.status in STOPPABLE_FROM[to]


class PartyRole(models.TextChoices):
    PROVIDER = "provider", "Provider"
    RECIPIENT = "recipient", "Recipient"


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    member = models.ForeignKey("tenants.Member", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=PartyRole.choices)
    lawful_basis = models.CharField(max_length=30, blank=True)
    contact_name = models.CharField("named contact", max_length=150, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_role = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "member"], name="sharing_party_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.get_role_display()}) in {self.agreement}"


class AgreementEvent(models.Model):
    """Every change of an agreement's state: who, when, what. Append-only."""

    agreement_id = models.BigIntegerField(db_index=True)
    at = models.DateTimeField(auto_now_add=True)
    actor_id = models.BigIntegerField(null=True)
    member_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=40)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AgreementTemplate(models.Model):
    """A consortium-approved starting point for the agreements members make most."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    all_members = models.BooleanField("shared with all members", default=False)
    record_types = ArrayField(models.CharField(max_length=20), default=list)
    contact_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    organisation_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    criteria_tags = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    requires_consent = models.BooleanField(default=True)
    access_mode = models.CharField(max_length=10, choices=AccessMode.choices, default="view")
    expected_benefit = models.TextField(blank=True)
    retention = models.TextField(blank=True)
    security_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def as_initial(self) -> dict:
        return {
            "title": self.name, "purpose": self.purpose, "all_members": self.all_members,
            "record_types": self.record_types, "contact_fields": self.contact_fields,
            "organisation_fields": self.organisation_fields,
            "criteria_tags": ", ".join(self.criteria_tags),
            "requires_consent": self.requires_consent, "access_mode": self.access_mode,
            "expected_benefit": self.expected_benefit, "retention": self.retention,
            "security_notes": self.security_notes,
        }  # fmt: skip
