"""People's keyed identifier hashes: how Commons knows that two members hold the same person
without either seeing the other's record (DESIGN.md, "The consortium's common picture").

A row says "member M's contact C has an identifier of this kind whose keyed hash is D". The
identifier itself (an e-mail, a phone number, a name with a postcode) is never stored: only
an HMAC-SHA256 under a key from the environment (``settings.COMMONS_PERSON_KEY``), so the
table is no list of people to anyone who reads it without that key.
"""

from __future__ import annotations

from django.db import models


class PersonKeyKind(models.TextChoices):
    EMAIL = "email", "E-mail address"
    PHONE = "phone", "Phone number"
    NAME_POSTCODE = "name_postcode", "Name and postcode"


class PersonKey(models.Model):
    """One keyed hash of one identifier of a member's contact (plain ids, public schema)."""

    # contact_id is a member's contact id (tests/test_visibility_sweep.py).
    contact_ref_fields = ("contact_id",)

    member_id = models.BigIntegerField()
    contact_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=PersonKeyKind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member_id", "contact_id", "kind", "digest"], name="sharing_person_key_once"
            )
        ]
        indexes = [
            models.Index(fields=["digest"], name="sharing_person_key_digest"),
            models.Index(fields=["member_id", "contact_id"], name="sharing_person_key_contact"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} key of contact {self.contact_id} at member {self.member_id}"
        )
