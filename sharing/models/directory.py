"""The shared directory (a projection of providers' records, only the fields an agreement
allows), the disclosure log, recipients' links to their own organisations, and the word list
search corrects against. All in the public schema; member records are plain ids."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from crm.models import Fold

from .agreements import PERSONAL_FIELDS, SHAREABLE_FIELDS, Agreement, RecordType


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
