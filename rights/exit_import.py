"""A new member's first import can be another member's complete export (rights.exit_export):
its contacts, organisations and their identifiers, tags, roles, links between organisations,
interactions and consent records, with their ids, as they were.

The ZIP is checked before anything is written: every file must be listed in its
``checksums.sha256`` with the right SHA-256, and nothing unlisted may be in it; one changed
byte and the whole file is refused, saying which file. Then everything is written in one
transaction (all of it, or on any failure none of it), read from the ZIP a batch at a time
(PostgreSQL's ``json_populate_recordset`` types each row by the table's own row type). Who
made or owns a record at the old member is not carried over: those references are left
empty, since those people do not work at the new member.

Tenant assumptions: the connection is on the new member's schema (its own site's request).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from crm.changes import SAVED, announce
from tenants.audit import audit_record
from tenants.models import Member
from tenants.permissions import permission_require

from .exit_export import (
    CHECKSUMS,
    FORMAT_VERSION,
    MANIFEST,
    quote_ident,
    schema_current,
    table_label,
)
from .exit_permissions import can_import_exit

NOT_A_ZIP = "This is not a ZIP file. Choose the ZIP a member's complete export gave you."
NOT_AN_EXPORT = (
    "This ZIP is not a Commons member's complete export (it has no {what}). Nothing was imported."
)
TAMPERED = (
    "This export has been changed since it was made: {detail}. Nothing was imported. Ask "
    "for the export again, as it was downloaded."
)
NOT_FIRST = (
    "A complete export can only be the first import of a new member, and {member} already "
    "has records ({what}). Nothing was imported."
)
TOO_BIG = "This file is larger than the {limit} MB an export import accepts."
NOT_A_MANAGER = "Only {member}’s managers can import another member's export."
BATCH = 1000

# What is carried over, in an order that satisfies the foreign keys.
IMPORTED_TABLES = (
    "crm_tag",
    "crm_organisation",
    "crm_organisationidentifier",
    "crm_contact",
    "crm_contactrole",
    "crm_organisationrelationship",
    "crm_interaction",
    "crm_consent",
    "crm_contact_tags",
    "crm_organisation_tags",
    "crm_interaction_contacts",
    "crm_interaction_organisations",
)
# Tables that must be empty for the import to be a "first" one.
MUST_BE_EMPTY = ("crm_contact", "crm_organisation", "crm_interaction")


@dataclass
class ExitImportResult:
    member_name: str
    exported_at: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def contacts(self) -> int:
        return self.rows.get("crm_contact", 0)

    @property
    def organisations(self) -> int:
        return self.rows.get("crm_organisation", 0)

    @property
    def rows_named(self) -> list[tuple[str, int]]:
        """(what the table holds, rows imported), for the page."""
        return [(table_label(table), rows) for table, rows in self.rows.items()]


def _entry_sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as entry:
        for block in iter(lambda: entry.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def exit_zip_verify(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Check every file against ``checksums.sha256`` (and that nothing is unlisted); return
    the manifest. Raises ValidationError with a message saying what is wrong."""
    names = {info.filename for info in archive.infolist() if not info.is_dir()}
    for what in (CHECKSUMS, MANIFEST):
        if what not in names:
            raise ValidationError(NOT_AN_EXPORT.format(what=what))
    listed: dict[str, str] = {}
    for line in archive.read(CHECKSUMS).decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        listed[name] = digest.strip().lower()
    unlisted = sorted(names - set(listed) - {CHECKSUMS})
    if unlisted:
        raise ValidationError(TAMPERED.format(detail=f"{unlisted[0]} was added"))
    for name, digest in sorted(listed.items()):
        if name not in names:
            raise ValidationError(TAMPERED.format(detail=f"{name} is missing"))
        if _entry_sha256(archive, name) != digest:
            raise ValidationError(TAMPERED.format(detail=f"{name} does not match its checksum"))
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except ValueError as exc:
        raise ValidationError(NOT_AN_EXPORT.format(what="readable manifest")) from exc
    if (
        manifest.get("format") != "commons-member-export"
        or manifest.get("format_version") != FORMAT_VERSION
    ):
        raise ValidationError(NOT_AN_EXPORT.format(what="manifest Commons can read"))
    return manifest


def _json_lines(handle: IO[bytes]) -> Iterator[str]:
    """The row objects of an export's JSON file (an array with one row per line)."""
    for raw in io.TextIOWrapper(handle, encoding="utf-8"):
        line = raw.strip()
        if line in ("[", "]", "[]", ""):
            continue
        yield line.removesuffix(",")


def _target_columns(schema: str, table: str) -> list[tuple[str, bool]]:
    """(column, generated) of ``table`` in the new member's schema, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, a.attgenerated <> '' FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            [schema, table],
        )
        return cursor.fetchall()


def _people_columns() -> dict[str, set[str]]:
    """Per table, the nullable columns that name a person's account (left empty)."""
    user_model = get_user_model()
    found: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is user_model and f.null:
                found.setdefault(model._meta.db_table, set()).add(f.column)
    return found


def _insert(schema: str, table: str, rows: list[str], columns: list[str], people: set[str]) -> None:
    source = f"{quote_ident(schema)}.{quote_ident(table)}"
    names = ", ".join(quote_ident(c) for c in columns)
    values = ", ".join("NULL" if c in people else f"r.{quote_ident(c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {source} ({names}) SELECT {values} "
            f"FROM json_populate_recordset(NULL::{source}, %s::json) AS r",
            ["[" + ",".join(rows) + "]"],
        )


def _sequence_reset(schema: str, table: str) -> None:
    source = f"{quote_ident(schema)}.{quote_ident(table)}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [source])
        sequence = cursor.fetchone()[0]
        if sequence:
            cursor.execute(f"SELECT setval(%s, max(id)) FROM {source} HAVING max(id) IS NOT NULL",
                           [sequence])  # fmt: skip


def _first_import_check(schema: str, member: Member) -> None:
    with connection.cursor() as cursor:
        for table in MUST_BE_EMPTY:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(schema)}.{table})")
            if cursor.fetchone()[0]:
                what = table.removeprefix("crm_") + "s"
                raise ValidationError(NOT_FIRST.format(member=member, what=what))


def exit_zip_import(*, member: Member, handle: IO[bytes], size: int, acting_user: Any,
                    filename: str = "") -> ExitImportResult:  # fmt: skip
    """Import another member's complete export into ``member`` (its first import): checked
    whole first, then written whole or not at all. Audited."""
    permission_require(can_import_exit(acting_user, member), NOT_A_MANAGER.format(member=member))
    if size > settings.EXIT_IMPORT_MAX_BYTES:
        raise ValidationError(TOO_BIG.format(limit=settings.EXIT_IMPORT_MAX_BYTES // 2**20))
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as exc:
        raise ValidationError(NOT_A_ZIP) from exc
    with archive:
        manifest = exit_zip_verify(archive)
        schema = schema_current()
        exported = {t["name"] for t in manifest.get("tables", [])}
        names = {info.filename for info in archive.infolist()}
        people = _people_columns()
        result = ExitImportResult(member_name=str(manifest.get("member", "")),
                                  exported_at=str(manifest.get("exported_at", "")))  # fmt: skip
        with transaction.atomic():
            _first_import_check(schema, member)
            for table in IMPORTED_TABLES:
                entry = f"tables/{table}.json"
                if table not in exported or entry not in names:
                    continue
                target = [name for name, generated in _target_columns(schema, table)
                          if not generated]  # fmt: skip
                with archive.open(entry) as peek:
                    first = next(_json_lines(peek), None)
                if first is None:
                    continue
                with archive.open(entry) as raw:
                    present = set(json.loads(first))
                    columns = [c for c in target if c in present]
                    batch: list[str] = []
                    count = 0
                    for line in _json_lines(raw):
                        batch.append(line)
                        if len(batch) >= BATCH:
                            _insert(schema, table, batch, columns, people.get(table, set()))
                            count, batch = count + len(batch), []
                    if batch:
                        _insert(schema, table, batch, columns, people.get(table, set()))
                        count += len(batch)
                if "id" in columns:
                    _sequence_reset(schema, table)
                result.rows[table] = count
            from crm.models import Contact, Organisation

            announce(record_type="contact", action=SAVED, acting_user=acting_user,
                     ids=Contact.objects.values_list("pk", flat=True))  # fmt: skip
            announce(record_type="organisation", action=SAVED, acting_user=acting_user,
                     ids=Organisation.objects.values_list("pk", flat=True))  # fmt: skip
            audit_record(
                action="member_exit.imported", actor=acting_user, member=member,
                target=filename[:200] or "exit ZIP", from_member=result.member_name,
                exported_at=result.exported_at, rows=result.rows,
            )  # fmt: skip
    return result
