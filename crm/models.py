"""A member's own CRM, in the member's schema: contacts, organisations and what links them.

Foreign keys point only within the member's schema, or to the shared user table.

One module: the models hold fields, constraints and single-record properties only (no
rules), they point at one another throughout (a contact's roles, interactions and consents,
an organisation's identifiers and relationships), and at under 500 lines they read best
together, in the order a record is built.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Lower, Replace
from django.urls import reverse

from tenants.ordering import Fold

from .validators import validate_uk_postcode


def _spaced(*fields: str) -> list:
    """Field names with a space between each, for Concat."""
    parts: list = []
    for name in fields:
        parts.extend([name, Value(" ")])
    return parts[:-1]


class Tag(models.Model):
    name = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class Held(models.Model):
    """What people's rights and retention need on a contact or organisation (issue 14).

    ``processing_restricted_at``: Art. 18 restriction, the record is kept but left out of
    every list, export, share and mailing until it is lifted. ``legal_hold``: retention never
    removes or anonymises it. ``copied_from_*``: the provider's member and record id when the
    record was copied in through Commons (plain ids), so an Art. 19 notice names the copy.
    """

    processing_restricted_at = models.DateTimeField("processing restricted", null=True,
                                                    blank=True)  # fmt: skip
    # db_default too: raw and COPY inserts (imports, benchmarks) may leave it out.
    legal_hold = models.BooleanField(
        "legal hold", default=False, db_default=False,
        help_text="Retention schedules never remove it.",
    )  # fmt: skip
    copied_from_member_id = models.BigIntegerField(null=True, blank=True, editable=False)
    copied_from_record_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Contact(Stamped, Held):
    """A person. ``search_text`` is what typo-tolerant search reads (kept by the services)."""

    # The provider's contact id when copied in through Commons (tests/test_visibility_sweep.py).
    contact_ref_fields = ("copied_from_record_id",)

    title = models.CharField(max_length=30, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    other_emails = ArrayField(models.EmailField(), default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    county = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True, validators=[validate_uk_postcode])
    date_of_birth = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_restricted = models.BooleanField(
        "restricted",
        default=False,
        help_text="Only colleagues granted access can see it (e.g. for safeguarding).",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    # Computed by the database on every write path (bulk and raw SQL included).
    search_text = models.GeneratedField(
        expression=Fold(
            Concat(
                *_spaced("first_name", "preferred_name", "last_name", "email", "postcode"),
                Value(" "),
                Replace("postcode", Value(" "), Value("")),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [("view_restricted_contact", "Can see this restricted contact")]
        indexes = [
            models.Index(Lower("email"), name="crm_contact_email_lower"),
            models.Index(fields=["last_name", "first_name", "id"], name="crm_contact_name_order"),
            models.Index(fields=["postcode"], name="crm_contact_postcode"),
            GinIndex(
                OpClass("search_text", name="public.gin_trgm_ops"), name="crm_contact_search_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("crm:contact_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()


class SearchWord(models.Model):
    """Every distinct word of the member's contacts and organisations, filled by database
    triggers (tenants migration 0004, crm migration 0002). Search corrects a misspelt word
    against this short list, then looks records up by the corrected words."""

    word = models.CharField(max_length=40, unique=True)

    class Meta:
        indexes = [GinIndex(OpClass("word", name="public.gin_trgm_ops"), name="crm_word_trgm")]

    def __str__(self) -> str:
        return self.word


class OrganisationType(models.TextChoices):
    REGISTERED_CHARITY = "charity", "Registered charity"
    CIO = "cio", "Charitable incorporated organisation (CIO)"
    CIC = "cic", "Community interest company (CIC)"
    COMPANY = "company", "Company limited by guarantee"
    COMMUNITY_GROUP = "community", "Community group"
    FAITH_GROUP = "faith", "Faith group"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    PUBLIC_BODY = "public", "Public body"
    OTHER = "other", "Other"


class IncomeBand(models.TextChoices):
    UNKNOWN = "", "Not known"
    MICRO = "micro", "Under £10,000"
    SMALL = "small", "£10,000 to £100,000"
    MEDIUM = "medium", "£100,000 to £1 million"
    LARGE = "large", "£1 million to £10 million"
    MAJOR = "major", "Over £10 million"


class MembershipStatus(models.TextChoices):
    NONE = "none", "Not a member"
    MEMBER = "member", "Member"
    LAPSED = "lapsed", "Lapsed"
    PROSPECT = "prospect", "Prospective"


class Organisation(Stamped, Held):
    """A group the member supports."""

    # The provider's organisation id when copied in (tests/test_visibility_sweep.py).
    organisation_ref_fields = ("copied_from_record_id",)

    name = models.CharField(max_length=200)
    other_names = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    org_type = models.CharField(
        "type", max_length=20, choices=OrganisationType.choices, default=OrganisationType.OTHER
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True, validators=[validate_uk_postcode])
    district = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    areas_of_work = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    beneficiaries = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    income_band = models.CharField(
        max_length=10, choices=IncomeBand.choices, default=IncomeBand.UNKNOWN, blank=True
    )
    membership_status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.NONE
    )
    notes = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="organisations")
    search_text = models.GeneratedField(
        expression=Fold(
            Concat(
                *_spaced("name", "email", "postcode"),
                Value(" "),
                Replace("postcode", Value(" "), Value("")),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_org_name_order"),
            models.Index(fields=["district"], name="crm_org_district"),
            models.Index(fields=["postcode"], name="crm_org_postcode"),
            GinIndex(
                OpClass("search_text", name="public.gin_trgm_ops"), name="crm_org_search_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:organisation_detail", args=[self.pk])

    @property
    def preferred_identifier(self) -> OrganisationIdentifier | None:
        identifiers = list(self.identifiers.all())
        return next(
            (i for i in identifiers if i.is_preferred), identifiers[0] if identifiers else None
        )


class OrganisationIdentifier(models.Model):
    """An org-id.guide identifier: scheme (``GB-CHC``) and value (a string: zeros kept)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="identifiers"
    )
    scheme = models.CharField(max_length=20)
    value = models.CharField(max_length=40)
    is_preferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_preferred", "scheme"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="crm_identifier_unique"),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_preferred=True),
                name="crm_identifier_one_preferred",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}-{self.value}"


class RoleKind(models.TextChoices):
    CONTACT = "contact", "Main contact"
    TRUSTEE = "trustee", "Trustee"
    CHAIR = "chair", "Chair"
    TREASURER = "treasurer", "Treasurer"
    SECRETARY = "secretary", "Secretary"
    STAFF = "staff", "Staff"
    VOLUNTEER = "volunteer", "Volunteer"
    MEMBER = "member", "Member"


class ContactRole(models.Model):
    """A contact's role at an organisation, with dates."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=RoleKind.choices, default=RoleKind.CONTACT)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "organisation", "role"], name="crm_role_once"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="crm_role_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} — {self.get_role_display()} at {self.organisation}"


class OrgRelationshipKind(models.TextChoices):
    MEMBER_OF = "member_of", "is a member of"
    FUNDED_BY = "funded_by", "is funded by"
    PARTNER = "partner", "is a partner of"
    BRANCH_OF = "branch_of", "is a branch of"


class OrganisationRelationship(models.Model):
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="relationships_from"
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="relationships_to"
    )
    kind = models.CharField(max_length=20, choices=OrgRelationshipKind.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_organisation", "to_organisation", "kind"], name="crm_orgrel_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_organisation=models.F("to_organisation")),
                name="crm_orgrel_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_organisation} {self.get_kind_display()} {self.to_organisation}"


class InteractionKind(models.TextChoices):
    CALL = "call", "Phone call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "E-mail"
    ADVICE = "advice", "Advice session"
    TRAINING = "training", "Training"
    VISIT = "visit", "Visit"


class Interaction(models.Model):
    """What staff did with whom."""

    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    date = models.DateField(db_index=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="interactions")
    summary = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    follow_up_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # db_default too: raw and COPY inserts (imports, benchmarks) may leave it out.
    legal_hold = models.BooleanField(
        "legal hold", default=False, db_default=False,
        help_text="Retention schedules never remove it.",
    )  # fmt: skip

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}: {self.summary}"

    def get_absolute_url(self) -> str:
        return reverse("crm:interaction_detail", args=[self.pk])


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", "Marketing and newsletters"
    EVENTS = "events", "Event invitations"
    RESEARCH = "research", "Research and surveys"
    SHARING = "sharing", "Sharing with consortium members"


class ConsentChannel(models.TextChoices):
    ANY = "any", "Any channel"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    POST = "post", "Post"
    SMS = "sms", "Text message"


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Consent given"
    WITHDRAWN = "withdrawn", "Consent withdrawn"
    OBJECTED = "objected", "Objected"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"


class Consent(models.Model):
    """A consent decision, per purpose and channel. Kept as history: the newest one counts."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    channel = models.CharField(
        max_length=10, choices=ConsentChannel.choices, default=ConsentChannel.ANY
    )
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    lawful_basis = models.CharField(
        max_length=30, choices=LawfulBasis.choices, default=LawfulBasis.CONSENT
    )
    recorded_at = models.DateTimeField()
    method = models.CharField(
        "how", max_length=100, help_text="E.g. paper form, website, phone call, import."
    )
    wording = models.TextField("wording shown", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "purpose", "-recorded_at"], name="crm_consent_now")
        ]

    def __str__(self) -> str:
        channel = self.get_channel_display()
        return f"{self.get_purpose_display()} ({channel}): {self.get_status_display()}"


class MergeRecord(models.Model):
    """Who merged which record into which, and what the merged-away record held."""

    record_type = models.CharField(max_length=20)
    kept_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    merged_snapshot = models.JSONField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.record_type} {self.merged_id} merged into {self.kept_id}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Checked"
    FAILED = "failed", "Has problems"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    CRASHED = "crashed", "Stopped: nothing was written"


def import_upload_path(instance: ImportJob, filename: str) -> str:
    # Files of each member in a folder of their own; the name is never the user's.
    from django.db import connection

    return f"imports/{connection.schema_name}/{uuid.uuid4().hex}"


class ImportJob(models.Model):
    """One upload, from its preview to its result. Progress is written by a separate connection."""

    file = models.FileField(upload_to=import_upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    record_type = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="uploaded")
    tag_name = models.CharField("tag everyone in this import as", max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=80, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in {ImportStatus.CHECKING, ImportStatus.IMPORTING}
