"""Data-sharing agreements, the shared directory (a projection) and the disclosure log.

All in the public schema. Member records are referred to by plain ids (no foreign key points
into a member's schema); the projection holds only the fields an agreement allows.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import timezone

from crm.models import Fold, LawfulBasis  # the six bases of UK GDPR Article 6(1)


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

    def is_in_force(self, on=None) -> bool:
        today = on or timezone.localdate()
        return (
            self.status == Status.ACTIVE
            and self.start_date <= today
            and (self.end_date is None or self.end_date >= today)
        )


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


class SharedRecord(models.Model):
    """A provider's record as an active agreement lets recipients see it: only the agreed
    fields, plus what search needs (folded from those fields alone)."""

    # record_id is a member's contact (or organisation) id (tests/test_visibility_sweep.py).
    contact_ref_fields = ("record_id",)

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    provider_id = models.BigIntegerField()
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    record_id = models.BigIntegerField()
    display_name = models.CharField(max_length=300)
    data = models.JSONField()
    search_text = models.TextField()
    # Words of search_text ('simple' configuration: no stemming, no stop words), for exact
    # and prefix tiers of search; search_text's trigrams serve fragments and typos.
    search_vector = SearchVectorField(null=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "record_type", "record_id"], name="sharing_record_once"
            )
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="sharing_record_words"),
            models.Index(fields=["display_name", "id"], name="sharing_record_name_order"),
            # A full postcode is looked up exactly, not as two common words.
            models.Index(KeyTextTransform("postcode", "data"), name="sharing_record_postcode"),
            # Full names typed whole ("olivia smith"): a prefix range on the folded name.
            models.Index(
                OpClass(Fold("display_name"), name="text_pattern_ops"),
                name="sharing_record_name_prefix",
            ),
            models.Index(fields=["provider_id", "record_type", "record_id"],
                         name="sharing_record_source"),
            GinIndex(OpClass("search_text", name="public.gin_trgm_ops"),
                     name="sharing_record_trgm"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.display_name

    def facts(self) -> list[tuple[str, object]]:
        """(label, value) of each shared field, as people read them: a choice's label, not
        its code ("Registered charity", never "charity")."""
        from crm.models import OrganisationType, RoleKind

        labels = SHAREABLE_FIELDS.get(self.record_type, {})
        words = {"org_type": dict(OrganisationType.choices)}
        roles = dict(RoleKind.choices)
        out = []
        for key, value in self.data.items():
            if key in words and isinstance(value, str):
                value = str(words[key].get(value, value.replace("_", " ")))
            elif key == "organisations" and isinstance(value, list):
                value = [
                    {**v, "role": str(roles.get(v.get("role"), v.get("role", "")))}
                    if isinstance(v, dict)
                    else v
                    for v in value
                ]
            out.append((labels.get(key, key.replace("_", " ").capitalize()), value))
        return out

    @property
    def holds_personal_data(self) -> bool:
        return bool(PERSONAL_FIELDS & set(self.data))


class DisclosureAction(models.TextChoices):
    VIEW = "view", "Viewed"
    EXPORT = "export", "Exported"
    COPY = "copy", "Copied into own CRM"
    EVENT_SNAPSHOT = "event_snapshot", "Sent to an event host"


class Disclosure(models.Model):
    """The disclosure log: each view of shared personal data, each export and each copy.

    Append-only (database triggers refuse UPDATE, DELETE and TRUNCATE); plain ids only, no
    foreign keys and no personal data, so erasure and offboarding never touch it.
    """

    # record_ids are a member's contact or organisation ids (tests/test_visibility_sweep.py).
    contact_ref_fields = ("record_ids",)

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    member_id = models.BigIntegerField(help_text="the member whose user saw the data")
    provider_id = models.BigIntegerField(db_index=True)
    agreement_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=20, choices=DisclosureAction.choices)
    record_type = models.CharField(max_length=20)
    record_ids = ArrayField(models.BigIntegerField())
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {len(self.record_ids)} records"


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


class OrganisationLink(models.Model):
    """A recipient's confirmation that a provider's shared organisation is the same as one of
    its own. Plain ids on both sides: no foreign key into a member's schema."""

    # Plain ids of members' organisations (tests/test_visibility_sweep.py).
    organisation_ref_fields = ("own_organisation_id", "provider_record_id")

    member_id = models.BigIntegerField(help_text="the recipient")
    own_organisation_id = models.BigIntegerField()
    provider_id = models.BigIntegerField()
    provider_record_id = models.BigIntegerField()
    matched_by = models.CharField(max_length=20)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member_id", "own_organisation_id", "provider_id", "provider_record_id"],
                name="sharing_link_once",
            )
        ]

    def __str__(self) -> str:
        return (
            f"member {self.member_id} organisation {self.own_organisation_id} = "
            f"provider {self.provider_id} organisation {self.provider_record_id}"
        )


class SharedWord(models.Model):
    """Distinct words of the shared directory, kept by a database trigger; typo-tolerant
    search corrects query words against this short list (pg_trgm's spelling method)."""

    word = models.CharField(max_length=60, unique=True)

    class Meta:
        indexes = [GinIndex(OpClass("word", name="public.gin_trgm_ops"), name="sharing_word_trgm")]

    def __str__(self) -> str:
        return self.word


# --- the consortium's rules ----------------------------------------------------------------


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
