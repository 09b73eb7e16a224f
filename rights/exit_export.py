"""A leaving member's complete export: every table of its schema as CSV and JSON, a data
dictionary, and the SHA-256 of every file, in one ZIP on disk.

The tables come from PostgreSQL's catalog (everything in the schema, guardian's and the
many-to-many tables included, whatever the models say); Django's models only add what a
column means. Nothing is held in memory whole: each table's CSV is streamed by
``COPY ... TO STDOUT`` and its JSON read through a server-side cursor, both written straight
into the ZIP, so a member of 50,000 contacts costs no more memory than one of 50. Every table
is read in one REPEATABLE READ snapshot, so the files agree with each other and with the
row counts in the manifest.

Tenant assumptions: the connection is on the member's schema (the queue's boundary or
``tenants.boundary.member_run`` put it there); the schema's own name is the one read.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tenants.csvfile import csv_bytes

FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
CHECKSUMS = "checksums.sha256"
DICTIONARY_CSV = "data_dictionary.csv"
DICTIONARY_JSON = "data_dictionary.json"
README = "README.txt"
JSON_BATCH = 500

Progress = Callable[[int, str], None]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Column:
    name: str
    type: str
    nullable: bool
    generated: bool
    meaning: str = ""


@dataclass
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)
    model: str = ""
    meaning: str = ""
    rows: int = 0


def schema_current() -> str:
    """The schema the connection is on (django-tenants' connection, untyped)."""
    return connection.schema_name  # type: ignore[attr-defined]


def _meanings() -> dict[str, tuple[str, str, dict[str, str]]]:
    """db_table -> (model label, what the table holds, column -> meaning), from the models
    of the apps that live in a member's schema (auto-created many-to-many tables included)."""
    tenant_labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in tenant_labels:
            continue
        columns: dict[str, str] = {}
        for f in model._meta.concrete_fields:
            label = str(getattr(f, "verbose_name", "") or f.name)
            help_text = str(getattr(f, "help_text", "") or "")
            meaning = label[:1].upper() + label[1:]
            if f.is_relation and f.related_model is not None:
                meaning += f" (id of a row in {f.related_model._meta.db_table})"
            if help_text:
                meaning += f": {help_text}"
            choices = getattr(f, "choices", None)
            if choices:
                meaning += ". Values: " + "; ".join(f"{k} = {v}" for k, v in choices)
            columns[f.column] = meaning
        plural = str(model._meta.verbose_name_plural)
        found[model._meta.db_table] = (model._meta.label, plural[:1].upper() + plural[1:],
                                       columns)  # fmt: skip
    return found


def schema_tables(schema: str) -> list[Table]:
    """Every table of ``schema`` from the catalog, with its columns in order and their
    types; what Django says each means, where it says."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
            "NOT a.attnotnull, a.attgenerated <> '' "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') "
            "ORDER BY c.relname, a.attnum",
            [schema],
        )
        rows = cursor.fetchall()
    meanings = _meanings()
    tables: dict[str, Table] = {}
    for name, column, type_, nullable, generated in rows:
        table = tables.get(name)
        if table is None:
            label, what, _ = meanings.get(name, ("", "", {}))
            table = tables[name] = Table(name=name, model=label, meaning=what)
        meaning = meanings.get(name, ("", "", {}))[2].get(column, "")
        table.columns.append(Column(column, type_, nullable, generated, meaning))
    return list(tables.values())


class _Hashing:
    """A file-like writer that hashes what passes through it and counts its bytes."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _csv_stream(schema: str, table: Table, out: _Hashing) -> None:
    """The table as CSV with a header row, straight from COPY (NULL is an empty field, an
    empty text a quoted one: PostgreSQL's own CSV, so nothing is lost)."""
    source = f"{quote_ident(schema)}.{quote_ident(table.name)}"
    order = " ORDER BY 1"
    sql = f"COPY (SELECT * FROM {source}{order}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(sql) as copy:
            for chunk in copy:
                out.write(chunk)


def _json_rows(schema: str, table: Table) -> Iterator[str]:
    """The table's rows as JSON objects (``row_to_json``: PostgreSQL's own typing), read
    through a server-side cursor ``JSON_BATCH`` rows at a time."""
    source = f"{quote_ident(schema)}.{quote_ident(table.name)}"
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {source} t ORDER BY 1")
        while True:
            batch = cursor.fetchmany(JSON_BATCH)
            if not batch:
                return
            for (text,) in batch:
                yield text
    finally:
        cursor.close()


def _json_stream(schema: str, table: Table, out: _Hashing) -> int:
    """A JSON array with one row object per line (so it reads as JSON and line by line);
    returns how many rows."""
    count = 0
    out.write(b"[")
    for text in _json_rows(schema, table):
        out.write((b",\n" if count else b"\n") + text.encode())
        count += 1
    out.write(b"\n]\n" if count else b"]\n")
    return count


def _dictionary_rows(tables: list[Table]) -> list[list[str]]:
    rows = [["table", "column", "type", "nullable", "generated", "meaning", "model"]]
    for table in tables:
        for column in table.columns:
            rows.append([
                table.name, column.name, column.type, "yes" if column.nullable else "no",
                "yes" if column.generated else "no", column.meaning, table.model,
            ])  # fmt: skip
    return rows


def _readme(member_name: str, schema: str, tables: list[Table], at: str) -> str:
    total = sum(t.rows for t in tables)
    return (
        f"The complete data of {member_name}, exported from Commons on {at}.\n\n"
        f"Every table of its database schema ({len(tables)} tables, {total} rows in all) is\n"
        'here twice: tables/<name>.csv (PostgreSQL\'s CSV: an empty field is no value, "" an\n'
        "empty text) and tables/<name>.json (a JSON array, one row per line).\n"
        f"{DICTIONARY_CSV} and {DICTIONARY_JSON} say, for every column, its type and what it\n"
        f"means. {MANIFEST} lists the tables and their row counts. {CHECKSUMS} holds the\n"
        "SHA-256 of every other file (check with `sha256sum -c checksums.sha256`).\n\n"
        "Another member of Commons can start from this file: its first import accepts it as\n"
        "it is, and refuses it if any file has changed.\n"
    )


class _ZipWriter:
    """Writes entries into the ZIP, keeping each entry's checksum and size."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.sums: dict[str, str] = {}

    def stream(self, name: str, write: Callable[[_Hashing], Any]) -> Any:
        with self.archive.open(name, "w", force_zip64=True) as entry:
            hashing = _Hashing(entry)
            result = write(hashing)
        self.sums[name] = hashing.digest.hexdigest()
        return result

    def text(self, name: str, text: str) -> None:
        self.stream(name, lambda out: out.write(text.encode()))


def export_build(*, path: Path, member_name: str, progress: Progress | None = None) -> dict:
    """Write the current schema's complete export to ``path`` (a ZIP); returns its manifest
    (tables, columns and row counts) with the ZIP's own SHA-256 under ``"sha256"``.

    All tables are read in one REPEATABLE READ transaction (read only), so the export is one
    moment's picture (inside a caller's transaction, that transaction's own). The file is
    written beside its final name and moved into place at the end: a crash leaves no
    half-written export under that name.
    """
    schema = schema_current()
    report = progress or (lambda percent, phase: None)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    outermost = not connection.in_atomic_block
    if outermost:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the schema's search_path is set before the snapshot
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        tables = schema_tables(schema)
        report(1, f"Reading {len(tables)} tables")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=6, allowZip64=True) as archive:  # fmt: skip
            writer = _ZipWriter(archive)
            for index, table in enumerate(tables, start=1):
                table.rows = writer.stream(
                    f"tables/{table.name}.json", lambda out, t=table: _json_stream(schema, t, out)
                )
                writer.stream(f"tables/{table.name}.csv",
                              lambda out, t=table: _csv_stream(schema, t, out))  # fmt: skip
                report(1 + int(95 * index / max(len(tables), 1)), f"Exported {table.name}")
            at = timezone.now().isoformat(timespec="seconds")
            manifest = {
                "format": "commons-member-export",
                "format_version": FORMAT_VERSION,
                "member": member_name,
                "schema": schema,
                "exported_at": at,
                "tables": [
                    {"name": t.name, "model": t.model, "rows": t.rows,
                     "files": [f"tables/{t.name}.csv", f"tables/{t.name}.json"],
                     "columns": [c.name for c in t.columns]}
                    for t in tables
                ],
            }  # fmt: skip
            dictionary = _dictionary_rows(tables)
            writer.stream(DICTIONARY_CSV, lambda out: _csv_rows_write(out, dictionary))
            writer.text(DICTIONARY_JSON, json.dumps(
                [dict(zip(dictionary[0], row, strict=True)) for row in dictionary[1:]],
                indent=1, ensure_ascii=False,
            ))  # fmt: skip
            writer.text(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
            writer.text(README, _readme(member_name, schema, tables, at))
            sums = "".join(f"{digest}  {name}\n" for name, digest in sorted(writer.sums.items()))
            archive.writestr(CHECKSUMS, sums)
    report(98, "Checking the file")
    manifest["sha256"] = file_sha256(partial)
    manifest["size"] = partial.stat().st_size
    partial.replace(path)
    report(100, "Ready")
    return manifest


def _csv_rows_write(out: _Hashing, rows: list[list[str]]) -> None:
    """The data dictionary as CSV (the house helper: BOM, cells a spreadsheet would run made
    harmless; the tables themselves are COPY's own output, byte for byte)."""
    out.write(csv_bytes(rows[0], rows[1:]))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_label(name: str) -> str:
    """What a table holds, in words (its model's plural name), for pages."""
    meaning = _meanings().get(name)
    return meaning[1] if meaning else name.replace("_", " ").capitalize()


def schema_row_counts(schema: str) -> list[dict[str, Any]]:
    """Every table of ``schema``, what it holds and its exact row count (for the
    certificate, just before the schema is dropped)."""
    counts = []
    with connection.cursor() as cursor:
        for table in schema_tables(schema):
            cursor.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table.name)}")
            counts.append({"table": table.name, "label": table.meaning or table_label(table.name),
                           "rows": cursor.fetchone()[0]})  # fmt: skip
    return counts
