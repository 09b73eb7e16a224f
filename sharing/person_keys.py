"""People's keys: keyed hashes of normalised identifiers, kept in step with every contact.

Normalising makes different spellings of one identifier one value: an e-mail trimmed and in
lower case; a phone number in E.164 (UK numbers read with the maintained ``phonenumbers``
library, so "01904 123456", "+44 1904 123456" and "(01904) 123 456" agree); a name folded
(accents removed, lower case, spaces collapsed) with the postcode in capitals without spaces.
Each value is then hashed with HMAC-SHA256 under ``settings.COMMONS_PERSON_KEY``, its kind
in the message, so the same text as an e-mail and as a name can never collide. The values
are never stored.

Keys change in the transaction of the contact write that changes them: ``crm.changes``
announces every write path's ids (bulk imports and merges included) and
:func:`on_records_changed` recomputes or removes the keys of those contacts.

Tenant assumptions: :func:`contact_keys_refresh` and the listener run on the member's schema
(the writer's); the keys table is public and reachable from there. :func:`person_keys_for`
touches no table.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import connection

from crm.models import Contact
from tenants.boundary import member_run
from tenants.models import Member, MemberKind

from .models import PersonKey, PersonKeyKind

BATCH = 2_000
# What a contact row gives its keys from (one query per batch of contacts).
CONTACT_COLUMNS = (
    "pk", "email", "other_emails", "phone", "mobile", "first_name", "preferred_name",
    "last_name", "postcode",
)  # fmt: skip
_SPACES = re.compile(r"\s+")


# --- normalising -----------------------------------------------------------------------


def email_normalise(value: str | None) -> str | None:
    """An e-mail as one spelling: trimmed, lower case; None for anything that is no address."""
    text = (value or "").strip().lower()
    return text if "@" in text and not _SPACES.search(text) else None


def phone_normalise(value: str | None) -> str | None:
    """A phone number in E.164, read as a UK number unless it says otherwise (+353 ...);
    None for what cannot be a number."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def name_fold(value: str | None) -> str:
    """A name without accents, in lower case, its spaces collapsed ("  Zoë  O'Brien" ->
    "zoe o'brien")."""
    plain = unicodedata.normalize("NFKD", value or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return _SPACES.sub(" ", plain).strip()


def postcode_normalise(value: str | None) -> str:
    return _SPACES.sub("", value or "").upper()


def name_postcode_normalise(name: str | None, postcode: str | None) -> str | None:
    """A full name and a postcode as one value; None unless both are there."""
    folded, code = name_fold(name), postcode_normalise(postcode)
    return f"{folded}|{code}" if folded and code else None


# --- hashing ---------------------------------------------------------------------------


def _key() -> bytes:
    # Read on every call, never at import time: the tests (and a key rotation) change it.
    return str(settings.COMMONS_PERSON_KEY).encode()


def digest_of(kind: str, normalised: str) -> str:
    """The keyed hash of an already normalised value (64 hexadecimal characters)."""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def person_keys_for(
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    postcode: str | None = None,
) -> list[str]:
    """The keys to look someone up by: each identifier given, normalised and hashed.

    ``name`` is the full name as the person gives it ("Zoë O'Brien"); it counts only with a
    postcode. An identifier that normalises to nothing gives no key."""
    found: list[tuple[str, str | None]] = [
        (PersonKeyKind.EMAIL, email_normalise(email)),
        (PersonKeyKind.PHONE, phone_normalise(phone)),
        (PersonKeyKind.NAME_POSTCODE, name_postcode_normalise(name, postcode)),
    ]
    return [digest_of(kind, value) for kind, value in found if value]


def contact_key_pairs(row: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, digest) of every identifier of one contact row (``CONTACT_COLUMNS``): its
    e-mail and other e-mails, phone and mobile, and its name (first or preferred name with
    the last name) with its postcode."""
    values: set[tuple[str, str]] = set()
    for email in [row.get("email"), *(row.get("other_emails") or [])]:
        if normalised := email_normalise(email):
            values.add((PersonKeyKind.EMAIL, normalised))
    for phone in (row.get("phone"), row.get("mobile")):
        if normalised := phone_normalise(phone):
            values.add((PersonKeyKind.PHONE, normalised))
    firsts = {n for n in (row.get("first_name"), row.get("preferred_name")) if n} or {""}
    for first in firsts:
        full = f"{first} {row.get('last_name') or ''}"
        if normalised := name_postcode_normalise(full, row.get("postcode")):
            values.add((PersonKeyKind.NAME_POSTCODE, normalised))
    return {(kind, digest_of(kind, value)) for kind, value in values}


# --- keeping them in step --------------------------------------------------------------


def _rows(ids: Iterable[int] | None) -> Iterator[list[dict[str, Any]]]:
    contacts = Contact.objects.order_by("pk").values(*CONTACT_COLUMNS)
    if ids is not None:
        contacts = contacts.filter(pk__in=list(ids))
    batch: list[dict[str, Any]] = []
    for row in contacts.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _keys_write(member_id: int, rows: list[dict[str, Any]]) -> int:
    made = [
        PersonKey(member_id=member_id, contact_id=row["pk"], kind=kind, digest=digest)
        for row in rows
        for kind, digest in sorted(contact_key_pairs(row))
    ]
    PersonKey.objects.bulk_create(made, batch_size=BATCH)
    return len(made)


def contact_keys_refresh(*, member_id: int, ids: Iterable[int]) -> int:
    """Recompute the keys of these contacts of the current schema's member (a contact no
    longer there keeps none); returns how many keys they now have. Set-based: one read, one
    delete and one insert per batch of contacts."""
    id_list = sorted({int(i) for i in ids})
    if not id_list:
        return 0
    PersonKey.objects.filter(member_id=member_id, contact_id__in=id_list).delete()
    return sum(_keys_write(member_id, rows) for rows in _rows(id_list))


def contact_keys_remove(*, member_id: int, ids: Iterable[int]) -> int:
    removed, _ = PersonKey.objects.filter(member_id=member_id, contact_id__in=list(ids)).delete()
    return removed


def member_keys_rebuild(member: Member) -> int:
    """Every key of one member, rebuilt from its contacts (on its own schema); how many."""

    def rebuild() -> int:
        PersonKey.objects.filter(member_id=member.pk).delete()
        return sum(_keys_write(member.pk, rows) for rows in _rows(None))

    return member_run(member, rebuild)


def person_keys_backfill(*, members: Iterable[Member] | None = None) -> dict[str, int]:
    """Rebuild the keys of every member (or of those given): a member's name -> its keys.
    For a database made before keys existed, or after ``COMMONS_PERSON_KEY`` changes."""
    chosen = list(members) if members is not None else list(Member.organisations.all())
    return {member.name: member_keys_rebuild(member) for member in chosen}


def _current_member_id() -> int | None:
    schema = getattr(connection, "schema_name", "")
    return (
        Member.objects.filter(schema_name=schema, kind=MemberKind.MEMBER)
        .values_list("pk", flat=True)
        .first()
    )


def on_records_changed(sender: Any, *, record_type: str, ids: list[int], action: str,
                       **_: Any) -> None:  # fmt: skip
    """crm.changes listener: a saved or merged contact's keys are recomputed, a deleted
    contact's removed, in the writer's transaction (tags and consent change no identifier)."""
    from crm.changes import DELETED, MERGED, SAVED

    if record_type != "contact" or action not in (SAVED, MERGED, DELETED):
        return
    member_id = _current_member_id()
    if member_id is None:
        return
    if action == DELETED:
        contact_keys_remove(member_id=member_id, ids=ids)
    else:
        contact_keys_refresh(member_id=member_id, ids=ids)
