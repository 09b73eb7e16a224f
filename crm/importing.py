"""Importing contacts and organisations from CSV or XLSX: check everything, then write
everything in one transaction with set-based SQL, or write nothing.

1. Read the file as a stream (crm.tabular) and map its columns (crm.columns).
2. Check every row in Python; each problem names its row, column and what is wrong.
   Valid rows are spooled to a temporary file in COPY format, so memory stays flat.
3. Only if no row has a problem: COPY the spool into a temporary table and merge it into
   the member's tables with a handful of statements, all in one transaction. A dry run does
   the same and rolls back, so the preview's counts are exact.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction

from .changes import SAVED, announce
from .columns import (
    CONTACT_COLUMNS,
    ORGANISATION_COLUMNS,
    Column,
    mapping_guess,
    record_type_guess,
)
from .models import Contact, Organisation, OrganisationType
from .selectors import contacts_visible_to
from .tabular import Table, TableError, table_open
from .validators import is_uk_postcode, normalise_postcode

MAX_PROBLEMS_KEPT = 500
PREVIEW_ROWS = 20

NOTHING_TO_IMPORT = "The file has a header row but no rows to import."
UNKNOWN_RECORD_TYPE = (
    "The file has no column for a last name (for contacts) or a name (for organisations). "
    "Columns found: {found}."
)
MISSING_COLUMN = "The file has no {label} column, which {kind} need. Columns found: {found}."
TOO_MANY_VALUES = (
    "This row has {n} values but the header has {m} columns: check for a comma that should "
    "be inside quotes."
)
BAD_EMAIL = "“{value}” is not a valid e-mail address."
BAD_POSTCODE = "“{value}” is not a UK postcode."
BAD_DATE = "“{value}” is not a date (use 31/12/1980 or 1980-12-31)."
FUTURE_DATE = "{value} is in the future."
BAD_FLAG = "“{value}” should be yes or no."
TOO_LONG = "is longer than {n} characters."
TOO_LONG_ID = "The identifier is longer than 40 characters."
# List fields: each entry must fit.
ITEM_LIMITS = {"areas_of_work": 60, "beneficiaries": 60, "other_names": 200, "tags": 80}
IDENTIFIER_FIELDS = {"charity_number", "company_number", "identifier"}
REQUIRED = "{label} is missing."
NEEDS_ACCESS = "needs a colleague with access"
SAME_AS_ROW = "same {what} as row {row}, which was used"

TRUE_WORDS = {"yes", "y", "true", "t", "1", "x", "opted out", "opt out", "unsubscribed", "on"}
FALSE_WORDS = {"", "no", "n", "false", "f", "0", "off", "subscribed", "opted in"}

ProgressCallback = Callable[[int, str], None]  # (percent 0-100, phase)


class ImportRejected(Exception):
    """The import cannot go ahead: a file-level problem, or rows with problems."""

    def __init__(self, message: str, result: ImportResult | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    record_type: str
    headers: list[str]
    mapping: dict[int, str]
    total_rows: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    new_organisations: int = 0
    objections: int = 0
    written: bool = False

    @property
    def ignored_columns(self) -> list[str]:
        return [h for i, h in enumerate(self.headers) if i not in self.mapping and h]

    def as_summary(self) -> dict[str, Any]:
        columns = CONTACT_COLUMNS if self.record_type == "contact" else ORGANISATION_COLUMNS
        return {
            "record_type": self.record_type,
            "total_rows": self.total_rows,
            "new": self.new,
            "updated": self.updated,
            "skipped": self.skipped,
            "new_organisations": self.new_organisations,
            "objections": self.objections,
            "problem_count": self.problem_count,
            "skipped_rows": self.skipped_rows[:MAX_PROBLEMS_KEPT],
            "mapping": [
                {"header": h, "field": columns[self.mapping[i]].label if i in self.mapping else ""}
                for i, h in enumerate(self.headers)
            ],
            "ignored_columns": self.ignored_columns,
            "preview": self.preview,
            "written": self.written,
        }


# --- per-field cleaning ---------------------------------------------------------------

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y")


def _date(value: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if parsed > date.today():  # noqa: DTZ011 - a calendar date
            raise ValueError(FUTURE_DATE.format(value=value))
        return parsed
    raise ValueError(BAD_DATE.format(value=value))


def _flag(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(BAD_FLAG.format(value=value))


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError(BAD_EMAIL.format(value=value)) from exc
    return value


def _postcode(value: str) -> str:
    if not is_uk_postcode(value):
        raise ValueError(BAD_POSTCODE.format(value=value))
    return normalise_postcode(value)


def _identifier_from(kind: str, value: str) -> str:
    value = re.sub(r"\s+", "", value).upper()
    if kind == "charity_number":
        return f"GB-SC|{value}" if value.startswith("SC") else f"GB-CHC|{value}"
    if kind == "company_number":
        return f"GB-COH|{value}"
    parts = value.split("-")
    if len(parts) >= 3:
        return f"{parts[0]}-{parts[1]}|{'-'.join(parts[2:])}"
    raise ValueError(f"“{value}” is not an org-id identifier (e.g. GB-CHC-1234567).")


ORG_TYPE_WORDS = [
    ("cio", OrganisationType.CIO), ("charitable incorporated", OrganisationType.CIO),
    ("cic", OrganisationType.CIC), ("community interest", OrganisationType.CIC),
    ("social enterprise", OrganisationType.SOCIAL_ENTERPRISE),
    ("charity", OrganisationType.REGISTERED_CHARITY),
    ("company", OrganisationType.COMPANY), ("guarantee", OrganisationType.COMPANY),
    ("faith", OrganisationType.FAITH_GROUP), ("church", OrganisationType.FAITH_GROUP),
    ("community", OrganisationType.COMMUNITY_GROUP),
    ("unincorporated", OrganisationType.COMMUNITY_GROUP),
    ("council", OrganisationType.PUBLIC_BODY), ("nhs", OrganisationType.PUBLIC_BODY),
    ("public", OrganisationType.PUBLIC_BODY),
]  # fmt: skip


def _org_type(value: str) -> str:
    lowered = value.lower()
    for word, choice in ORG_TYPE_WORDS:
        if word in lowered:
            return choice
    return OrganisationType.OTHER


def _max_lengths(model) -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in model._meta.get_fields()
        if getattr(f, "max_length", None) and f.concrete
    }


# --- spooling rows in COPY text format ------------------------------------------------

CONTACT_COPY = [
    "rownum", "title", "first_name", "last_name", "preferred_name", "email", "phone", "mobile",
    "address_line1", "address_line2", "town", "county", "postcode", "date_of_birth", "notes",
    "organisation", "tags", "opt_out",
]  # fmt: skip
ORG_COPY = [
    "rownum", "name", "other_names", "org_type", "email", "phone", "address_line1",
    "address_line2", "town", "postcode", "district", "website", "areas_of_work",
    "beneficiaries", "notes", "tags", "identifiers",
]  # fmt: skip


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Checker:
    """Checks rows one by one; valid ones go to the spool, problems to the result."""

    def __init__(self, result: ImportResult, columns: dict[str, Column], spool: IO[str]) -> None:
        self.result = result
        self.columns = columns
        self.spool = spool
        self.model = Contact if result.record_type == "contact" else Organisation
        self.lengths = _max_lengths(self.model)
        self.lengths.update(organisation=200)
        self.header_of = {f: result.headers[i] for i, f in result.mapping.items()}

    def problem(self, row: int, field_name: str, message: str) -> None:
        self.result.problem_count += 1
        if len(self.result.problems) < MAX_PROBLEMS_KEPT:
            column = self.header_of.get(
                field_name,
                self.columns[field_name].label if field_name in self.columns else field_name,
            )
            self.result.problems.append(RowProblem(row, column, message))

    def values(self, number: int, cells: list[str]) -> dict[str, str] | None:
        headers = self.result.headers
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            self.result.problem_count += 1
            if len(self.result.problems) < MAX_PROBLEMS_KEPT:
                self.result.problems.append(
                    RowProblem(number, "(whole row)",
                               TOO_MANY_VALUES.format(n=len(cells), m=len(headers)))
                )  # fmt: skip
            return None
        return {f: (cells[i] if i < len(cells) else "") for i, f in self.result.mapping.items()}

    def clean(self, number: int, raw: dict[str, str], cleaners: dict[str, Callable]) -> dict:
        out: dict[str, Any] = {}
        ok = True
        for name, value in raw.items():
            value = value.strip()
            if value and name in cleaners:
                try:
                    value = cleaners[name](value)
                except ValueError as exc:
                    self.problem(number, name, str(exc))
                    ok = False
                    continue
            message = self._too_long(name, value)
            if message:
                self.problem(number, name, message)
                ok = False
                continue
            out[name] = value
        return out if ok else {}

    def _too_long(self, name: str, value: Any) -> str | None:
        """Every value must fit its column; list fields are checked item by item."""
        if not isinstance(value, str) or not value:
            return None
        label = self.columns[name].label if name in self.columns else name
        if name in ITEM_LIMITS:
            separators = ";," if name == "tags" else ";"
            items = re.split(f"[{separators}]", value)
            longest = max(len(item.strip()) for item in items)
            if longest > ITEM_LIMITS[name]:
                return f"An entry in {label} is longer than {ITEM_LIMITS[name]} characters."
            return None
        if name in IDENTIFIER_FIELDS:
            return TOO_LONG_ID if len(value.split("|", 1)[-1]) > 40 else None
        limit = self.lengths.get(name)
        if limit and len(value) > limit:
            return f"{label} {TOO_LONG.format(n=limit)}"
        return None

    def spool_row(self, number: int, record: dict[str, Any], order: list[str]) -> None:
        record["rownum"] = number
        self.spool.write("\t".join(_copy_value(record.get(c, "")) for c in order) + "\n")
        if len(self.result.preview) < PREVIEW_ROWS:
            shown = {"row": number}
            for key, value in record.items():
                if key == "rownum" or value in ("", None, False):
                    continue
                label = self.columns[key].label if key in self.columns else key.capitalize()
                shown[label] = "Yes" if value is True else str(value).replace("|", "-")
            self.result.preview.append(shown)


def _check_contacts(table: Table, result: ImportResult, spool: IO[str], report) -> None:
    checker = _Checker(result, CONTACT_COLUMNS, spool)
    fields = set(result.mapping.values())
    if not fields & {"last_name", "full_name"}:
        raise ImportRejected(
            MISSING_COLUMN.format(label="Last name", kind="contacts",
                                  found=", ".join(h for h in result.headers if h) or "none")
        )  # fmt: skip
    cleaners = {"email": _email, "postcode": _postcode, "date_of_birth": _date, "opt_out": _flag}
    for row in table.rows:
        if not any(row.values):
            continue
        result.total_rows += 1
        if result.total_rows % 2000 == 0:
            report(table.progress())
        raw = checker.values(row.number, row.values)
        if raw is None:
            continue
        full = raw.pop("full_name", "").strip()
        if full and not raw.get("last_name", "").strip():
            first, _, last = full.rpartition(" ")
            raw["last_name"] = last
            raw.setdefault("first_name", "")
            if not raw["first_name"].strip():
                raw["first_name"] = first
        record = checker.clean(row.number, raw, cleaners)
        if not record:
            continue
        if not record.get("last_name"):
            checker.problem(row.number, "last_name", REQUIRED.format(label="Last name"))
            continue
        record["opt_out"] = bool(record.get("opt_out"))
        record["date_of_birth"] = record.get("date_of_birth") or None
        checker.spool_row(row.number, record, CONTACT_COPY)


def _check_organisations(table: Table, result: ImportResult, spool: IO[str], report) -> None:
    checker = _Checker(result, ORGANISATION_COLUMNS, spool)
    if "name" not in set(result.mapping.values()):
        raise ImportRejected(
            MISSING_COLUMN.format(label="Name", kind="organisations",
                                  found=", ".join(h for h in result.headers if h) or "none")
        )  # fmt: skip
    cleaners = {
        "email": _email, "postcode": _postcode, "org_type": _org_type,
        "charity_number": lambda v: _identifier_from("charity_number", v),
        "company_number": lambda v: _identifier_from("company_number", v),
        "identifier": lambda v: _identifier_from("identifier", v),
    }  # fmt: skip
    for row in table.rows:
        if not any(row.values):
            continue
        result.total_rows += 1
        if result.total_rows % 2000 == 0:
            report(table.progress())
        raw = checker.values(row.number, row.values)
        if raw is None:
            continue
        record = checker.clean(row.number, raw, cleaners)
        if not record:
            continue
        if not record.get("name"):
            checker.problem(row.number, "name", REQUIRED.format(label="Name"))
            continue
        identifiers = [record.pop(k) for k in ("charity_number", "company_number", "identifier")
                       if record.get(k)]  # fmt: skip
        record["identifiers"] = ";".join(identifiers)
        if not record.get("org_type"):
            if raw.get("charity_number"):
                record["org_type"] = OrganisationType.REGISTERED_CHARITY
            elif raw.get("company_number"):
                record["org_type"] = OrganisationType.COMPANY
            else:
                record["org_type"] = OrganisationType.OTHER
        checker.spool_row(row.number, record, ORG_COPY)


# --- writing ---------------------------------------------------------------------------


def _sql(cursor, statement: str, params: Any = None) -> None:
    cursor.execute(statement, params)


Written = tuple[str | None, str | None]  # queries for the contact and organisation ids written
ANNOUNCE_CHUNK = 10_000


def _announce_written(record_type: str, sql: str | None, acting_user: Any) -> None:
    """Announce the ids an import wrote, in chunks read from a server-side cursor, so a
    million-row import holds ten thousand ids at a time, not a million."""
    if sql is None:
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(ANNOUNCE_CHUNK):
            announce(record_type=record_type, ids=[r[0] for r in rows], action=SAVED,
                     acting_user=acting_user)  # fmt: skip


def _write_contacts(cursor, spool: IO[str], result: ImportResult, *, user_id, acting_user,
                    method: str, tag_name: str, crash_after: str | None) -> Written:  # fmt: skip
    _sql(
        cursor,
        "DROP TABLE IF EXISTS import_contact, import_org_name, import_identifier, import_tag",
    )
    _sql(cursor, """
        CREATE TEMP TABLE import_contact (
            rownum int, title text, first_name text, last_name text, preferred_name text,
            email text, phone text, mobile text, address_line1 text, address_line2 text,
            town text, county text, postcode text, date_of_birth date, notes text,
            organisation text, tags text, opt_out boolean,
            email_key text, contact_id bigint, is_new boolean NOT NULL DEFAULT false,
            skip_reason text
        ) ON COMMIT DROP""")  # fmt: skip
    spool.seek(0)
    cursor.copy_expert(f"COPY import_contact ({', '.join(CONTACT_COPY)}) FROM STDIN", spool)
    _sql(cursor, "UPDATE import_contact SET email_key = lower(email) WHERE email <> ''")
    _sql(cursor, "CREATE INDEX ON import_contact (email_key)")
    _sql(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same e-mail as row ' || d.first_row
          FROM (SELECT email_key, min(rownum) AS first_row FROM import_contact
                 WHERE email_key IS NOT NULL GROUP BY email_key HAVING count(*) > 1) d
         WHERE t.email_key = d.email_key AND t.rownum <> d.first_row""",
    )
    _sql(
        cursor,
        """
        UPDATE import_contact t SET contact_id = m.id
          FROM (SELECT lower(c.email) AS k, min(c.id) AS id FROM crm_contact c
                 WHERE lower(c.email) IN (SELECT email_key FROM import_contact)
                 GROUP BY lower(c.email)) m
         WHERE t.email_key = m.k AND t.skip_reason IS NULL""",
    )
    # Rows matching a contact the importer may not see are skipped; who may see what is
    # the selector's decision (restricted rows are the only candidates, so ask about them).
    cursor.execute(
        "SELECT DISTINCT c.id FROM import_contact t JOIN crm_contact c ON c.id = t.contact_id "
        "WHERE c.is_restricted"
    )
    restricted = [row[0] for row in cursor.fetchall()]
    if restricted:
        visible = set(
            contacts_visible_to(user=acting_user)
            .filter(pk__in=restricted)
            .values_list("pk", flat=True)
        )
        hidden = [pk for pk in restricted if pk not in visible]
        _sql(cursor, "UPDATE import_contact SET skip_reason = %s WHERE contact_id = ANY(%s)",
             [NEEDS_ACCESS, hidden])  # fmt: skip
    _sql(cursor, """
        UPDATE crm_contact c SET
            title = CASE WHEN t.title <> '' THEN t.title ELSE c.title END,
            first_name = CASE WHEN t.first_name <> '' THEN t.first_name ELSE c.first_name END,
            last_name = CASE WHEN t.last_name <> '' THEN t.last_name ELSE c.last_name END,
            preferred_name = CASE WHEN t.preferred_name <> '' THEN t.preferred_name
                                  ELSE c.preferred_name END,
            phone = CASE WHEN t.phone <> '' THEN t.phone ELSE c.phone END,
            mobile = CASE WHEN t.mobile <> '' THEN t.mobile ELSE c.mobile END,
            address_line1 = CASE WHEN t.address_line1 <> '' THEN t.address_line1
                                 ELSE c.address_line1 END,
            address_line2 = CASE WHEN t.address_line2 <> '' THEN t.address_line2
                                 ELSE c.address_line2 END,
            town = CASE WHEN t.town <> '' THEN t.town ELSE c.town END,
            county = CASE WHEN t.county <> '' THEN t.county ELSE c.county END,
            postcode = CASE WHEN t.postcode <> '' THEN t.postcode ELSE c.postcode END,
            date_of_birth = COALESCE(t.date_of_birth, c.date_of_birth),
            notes = CASE WHEN t.notes = '' THEN c.notes WHEN c.notes = '' THEN t.notes
                         ELSE c.notes || E'\\n\\n' || t.notes END,
            updated_at = now(), updated_by_id = %(user)s
          FROM import_contact t
         WHERE t.contact_id = c.id AND NOT t.is_new AND t.skip_reason IS NULL""",
         {"user": user_id})  # fmt: skip
    _sql(
        cursor,
        """
        UPDATE import_contact SET contact_id = nextval(pg_get_serial_sequence('crm_contact', 'id')),
               is_new = true
         WHERE contact_id IS NULL AND skip_reason IS NULL""",
    )
    _sql(cursor, """
        INSERT INTO crm_contact (id, created_at, updated_at, created_by_id, updated_by_id,
            owner_id, title, first_name, last_name, preferred_name, email, other_emails, phone,
            mobile, address_line1, address_line2, town, county, postcode, date_of_birth, notes,
            is_restricted)
        SELECT contact_id, now(), now(), %(user)s, %(user)s, %(user)s, title, first_name,
               last_name, preferred_name, email, '{}', phone, mobile, address_line1,
               address_line2, town, county, postcode, date_of_birth, notes, false
          FROM import_contact WHERE is_new ORDER BY rownum""", {"user": user_id})  # fmt: skip
    if crash_after == "contacts":
        raise RuntimeError("injected crash after writing contacts")

    # Organisations named in the file: linked by folded name, created when new.
    _sql(
        cursor,
        """
        CREATE TEMP TABLE import_org_name ON COMMIT DROP AS
        SELECT DISTINCT ON (public.commons_fold(organisation)) organisation AS name,
               public.commons_fold(organisation) AS k, NULL::bigint AS org_id,
               false AS is_new
          FROM import_contact WHERE organisation <> '' AND skip_reason IS NULL
         ORDER BY public.commons_fold(organisation), rownum""",
    )
    _sql(
        cursor,
        """
        UPDATE import_org_name n SET org_id = m.id
          FROM (SELECT public.commons_fold(name) AS k, min(id) AS id FROM crm_organisation
                 GROUP BY 1) m
         WHERE m.k = n.k""",
    )
    _sql(
        cursor,
        """
        UPDATE import_org_name SET is_new = true,
               org_id = nextval(pg_get_serial_sequence('crm_organisation', 'id'))
         WHERE org_id IS NULL""",
    )
    _sql(cursor, """
        INSERT INTO crm_organisation (id, created_at, updated_at, created_by_id, updated_by_id,
            name, other_names, org_type, email, phone, address_line1, address_line2, town,
            postcode, district, website, areas_of_work, beneficiaries, income_band,
            membership_status, notes)
        SELECT org_id, now(), now(), %(user)s, %(user)s, name, '{}', 'other', '', '', '', '',
               '', '', '', '', '{}', '{}', '', 'none', ''
          FROM import_org_name WHERE is_new""", {"user": user_id})  # fmt: skip
    _sql(
        cursor,
        """
        INSERT INTO crm_contactrole (contact_id, organisation_id, role)
        SELECT t.contact_id, n.org_id, 'contact'
          FROM import_contact t JOIN import_org_name n ON n.k = public.commons_fold(t.organisation)
         WHERE t.skip_reason IS NULL
        ON CONFLICT DO NOTHING""",
    )
    _tags_apply(cursor, "import_contact", "contact_id", "crm_contact_tags", "contact_id", tag_name)

    # An opt-out becomes a marketing objection, unless one is already the latest word.
    _sql(cursor, """
        INSERT INTO crm_consent (contact_id, purpose, channel, status, lawful_basis,
            recorded_at, method, wording, recorded_by_id)
        SELECT t.contact_id, 'marketing', 'any', 'objected', 'legitimate_interests', now(),
               %(method)s, 'Marked as opted out in the imported file', %(user)s
          FROM import_contact t
         WHERE t.opt_out AND t.skip_reason IS NULL
           AND COALESCE((SELECT c.status FROM crm_consent c
                          WHERE c.contact_id = t.contact_id AND c.purpose = 'marketing'
                          ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), '') <> 'objected'""",
         {"method": method[:100], "user": user_id})  # fmt: skip
    result.objections = cursor.rowcount

    cursor.execute("""
        SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new
               AND skip_reason IS NULL), count(*) FILTER (WHERE skip_reason IS NOT NULL)
          FROM import_contact""")
    result.new, result.updated, result.skipped = cursor.fetchone()
    cursor.execute(
        "SELECT rownum, skip_reason FROM import_contact WHERE skip_reason IS NOT NULL "
        "ORDER BY rownum LIMIT %s", [MAX_PROBLEMS_KEPT])  # fmt: skip
    result.skipped_rows = [tuple(r) for r in cursor.fetchall()]
    cursor.execute("SELECT count(*) FROM import_org_name WHERE is_new")
    result.new_organisations = cursor.fetchone()[0]
    return (
        "SELECT contact_id FROM import_contact WHERE skip_reason IS NULL",
        "SELECT org_id FROM import_org_name WHERE is_new",
    )


def _tags_apply(cursor, temp: str, id_column: str, through: str, fk: str, tag_name: str) -> None:
    _sql(cursor, f"""
        CREATE TEMP TABLE import_tag ON COMMIT DROP AS
        SELECT DISTINCT t.{id_column} AS record_id, btrim(x) AS name
          FROM {temp} t, unnest(string_to_array(replace(t.tags, ',', ';'), ';')) AS x
         WHERE t.skip_reason IS NULL AND btrim(x) <> ''
        UNION
        SELECT t.{id_column}, %(tag)s FROM {temp} t
         WHERE t.skip_reason IS NULL AND %(tag)s <> ''""", {"tag": tag_name})  # fmt: skip
    _sql(
        cursor,
        """
        INSERT INTO crm_tag (name, created_at)
        SELECT DISTINCT ON (lower(n.name)) n.name, now() FROM import_tag n
         WHERE NOT EXISTS (SELECT 1 FROM crm_tag g WHERE lower(g.name) = lower(n.name))
        ON CONFLICT (name) DO NOTHING""",
    )
    _sql(cursor, f"""
        INSERT INTO {through} ({fk}, tag_id)
        SELECT DISTINCT n.record_id, g.id FROM import_tag n
          JOIN crm_tag g ON lower(g.name) = lower(n.name)
        ON CONFLICT DO NOTHING""")  # fmt: skip
    _sql(cursor, "DROP TABLE import_tag")


def _write_organisations(cursor, spool: IO[str], result: ImportResult, *, user_id,
                         tag_name: str, crash_after: str | None) -> Written:  # fmt: skip
    _sql(
        cursor,
        "DROP TABLE IF EXISTS import_organisation, import_org_name, import_identifier, import_tag",
    )
    _sql(
        cursor,
        """
        CREATE TEMP TABLE import_organisation (
            rownum int, name text, other_names text, org_type text, email text, phone text,
            address_line1 text, address_line2 text, town text, postcode text, district text,
            website text, areas_of_work text, beneficiaries text, notes text, tags text,
            identifiers text, org_id bigint, is_new boolean NOT NULL DEFAULT false,
            skip_reason text
        ) ON COMMIT DROP""",
    )
    spool.seek(0)
    cursor.copy_expert(f"COPY import_organisation ({', '.join(ORG_COPY)}) FROM STDIN", spool)
    _sql(
        cursor,
        """
        CREATE TEMP TABLE import_identifier ON COMMIT DROP AS
        SELECT t.rownum, split_part(x, '|', 1) AS scheme, split_part(x, '|', 2) AS value
          FROM import_organisation t, unnest(string_to_array(t.identifiers, ';')) AS x
         WHERE x <> ''""",
    )
    _sql(
        cursor,
        """
        UPDATE import_organisation t SET skip_reason = 'same identifier as row ' || d.first_row
          FROM (SELECT i.rownum, min(j.rownum) AS first_row FROM import_identifier i
                  JOIN import_identifier j ON j.scheme = i.scheme AND j.value = i.value
                   AND j.rownum < i.rownum GROUP BY i.rownum) d
         WHERE t.rownum = d.rownum""",
    )
    _sql(
        cursor,
        """
        UPDATE import_organisation t SET org_id = m.organisation_id
          FROM (SELECT DISTINCT ON (i.rownum) i.rownum, e.organisation_id
                  FROM import_identifier i
                  JOIN crm_organisationidentifier e ON e.scheme = i.scheme AND e.value = i.value
                 ORDER BY i.rownum, e.organisation_id) m
         WHERE t.rownum = m.rownum AND t.skip_reason IS NULL""",
    )
    _sql(
        cursor,
        """
        UPDATE import_organisation t SET org_id = m.id
          FROM (SELECT public.commons_fold(name) AS k, postcode, min(id) AS id
                  FROM crm_organisation GROUP BY 1, 2) m
         WHERE t.org_id IS NULL AND t.skip_reason IS NULL
           AND m.k = public.commons_fold(t.name) AND m.postcode = t.postcode""",
    )
    _sql(
        cursor,
        """
        UPDATE import_organisation t SET skip_reason = 'same organisation as row ' || d.first_row
          FROM (SELECT org_id, min(rownum) AS first_row FROM import_organisation
                 WHERE org_id IS NOT NULL AND skip_reason IS NULL
                 GROUP BY org_id HAVING count(*) > 1) d
         WHERE t.org_id = d.org_id AND t.rownum <> d.first_row""",
    )
    text_fields = ["name", "org_type", "email", "phone", "address_line1", "address_line2",
                   "town", "postcode", "district", "website"]  # fmt: skip
    sets = ",\n".join(f"{f} = CASE WHEN t.{f} <> '' THEN t.{f} ELSE o.{f} END" for f in text_fields)
    _sql(cursor, f"""
        UPDATE crm_organisation o SET {sets},
            other_names = CASE WHEN t.other_names <> ''
                               THEN string_to_array(t.other_names, ';') ELSE o.other_names END,
            areas_of_work = CASE WHEN t.areas_of_work <> ''
                                 THEN string_to_array(t.areas_of_work, ';')
                                 ELSE o.areas_of_work END,
            beneficiaries = CASE WHEN t.beneficiaries <> ''
                                 THEN string_to_array(t.beneficiaries, ';')
                                 ELSE o.beneficiaries END,
            notes = CASE WHEN t.notes = '' THEN o.notes WHEN o.notes = '' THEN t.notes
                         ELSE o.notes || E'\\n\\n' || t.notes END,
            updated_at = now(), updated_by_id = %(user)s
          FROM import_organisation t
         WHERE t.org_id = o.id AND t.skip_reason IS NULL""", {"user": user_id})  # fmt: skip
    _sql(
        cursor,
        """
        UPDATE import_organisation SET is_new = true,
               org_id = nextval(pg_get_serial_sequence('crm_organisation', 'id'))
         WHERE org_id IS NULL AND skip_reason IS NULL""",
    )
    _sql(cursor, """
        INSERT INTO crm_organisation (id, created_at, updated_at, created_by_id, updated_by_id,
            name, other_names, org_type, email, phone, address_line1, address_line2, town,
            postcode, district, website, areas_of_work, beneficiaries, income_band,
            membership_status, notes)
        SELECT org_id, now(), now(), %(user)s, %(user)s, name,
               COALESCE(string_to_array(NULLIF(other_names, ''), ';'), '{}'),
               COALESCE(NULLIF(org_type, ''), 'other'), email, phone, address_line1,
               address_line2, town, postcode, district, website,
               COALESCE(string_to_array(NULLIF(areas_of_work, ''), ';'), '{}'),
               COALESCE(string_to_array(NULLIF(beneficiaries, ''), ';'), '{}'), '', 'none', notes
          FROM import_organisation WHERE is_new ORDER BY rownum""", {"user": user_id})  # fmt: skip
    if crash_after == "organisations":
        raise RuntimeError("injected crash after writing organisations")
    _sql(
        cursor,
        """
        INSERT INTO crm_organisationidentifier (organisation_id, scheme, value, is_preferred)
        SELECT DISTINCT ON (i.scheme, i.value) t.org_id, i.scheme, i.value, false
          FROM import_identifier i JOIN import_organisation t ON t.rownum = i.rownum
         WHERE t.skip_reason IS NULL ORDER BY i.scheme, i.value, i.rownum
        ON CONFLICT (scheme, value) DO NOTHING""",
    )
    _sql(
        cursor,
        """
        UPDATE crm_organisationidentifier e SET is_preferred = true
          FROM (SELECT DISTINCT ON (organisation_id) id FROM crm_organisationidentifier
                 WHERE organisation_id IN (SELECT org_id FROM import_organisation)
                 ORDER BY organisation_id, id) first
         WHERE e.id = first.id AND NOT EXISTS (
               SELECT 1 FROM crm_organisationidentifier p
                WHERE p.organisation_id = e.organisation_id AND p.is_preferred)""",
    )
    _tags_apply(cursor, "import_organisation", "org_id", "crm_organisation_tags",
                "organisation_id", tag_name)  # fmt: skip
    cursor.execute("""
        SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new
               AND skip_reason IS NULL), count(*) FILTER (WHERE skip_reason IS NOT NULL)
          FROM import_organisation""")
    result.new, result.updated, result.skipped = cursor.fetchone()
    cursor.execute(
        "SELECT rownum, skip_reason FROM import_organisation WHERE skip_reason IS NOT NULL "
        "ORDER BY rownum LIMIT %s", [MAX_PROBLEMS_KEPT])  # fmt: skip
    result.skipped_rows = [tuple(r) for r in cursor.fetchall()]
    return None, "SELECT org_id FROM import_organisation WHERE skip_reason IS NULL"


class _DryRun(Exception):
    pass


def records_import(
    *,
    handle: IO[bytes],
    size: int,
    acting_user: Any,
    filename: str = "upload",
    record_type: str | None = None,
    mapping: dict[int, str] | None = None,
    tag_name: str = "",
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    crash_after: str | None = None,
) -> ImportResult:
    """Import contacts or organisations from a CSV/XLSX stream: all rows or none.

    Raises ImportRejected (with the result, for row problems) when nothing can be written.
    ``dry_run`` does everything and rolls back, so its counts are exact.
    """

    def report(fraction: float, phase: str = "Checking rows") -> None:
        if progress:
            progress(int(fraction * 60), phase)

    try:
        table = table_open(handle, size=size, limit=settings.IMPORT_MAX_BYTES)
    except TableError as exc:
        raise ImportRejected(str(exc)) from exc
    kind = record_type or record_type_guess(table.headers)
    if kind is None:
        raise ImportRejected(
            UNKNOWN_RECORD_TYPE.format(found=", ".join(h for h in table.headers if h) or "none")
        )
    columns = CONTACT_COLUMNS if kind == "contact" else ORGANISATION_COLUMNS
    chosen = mapping if mapping is not None else mapping_guess(table.headers, columns)
    chosen = {int(i): f for i, f in chosen.items() if f in columns and int(i) < len(table.headers)}
    result = ImportResult(record_type=kind, headers=table.headers, mapping=chosen)
    report(0.0)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        try:
            if kind == "contact":
                _check_contacts(table, result, spool, report)
            else:
                _check_organisations(table, result, spool, report)
        except TableError as exc:
            raise ImportRejected(str(exc), result) from exc
        if result.problem_count:
            raise ImportRejected(
                f"{result.problem_count} problem{'s' if result.problem_count != 1 else ''} "
                "found. Nothing was imported: correct the file and try again.",
                result,
            )
        if result.total_rows == 0:
            raise ImportRejected(NOTHING_TO_IMPORT, result)
        if progress:
            progress(65, "Writing records")
        user_id = getattr(acting_user, "pk", None)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if kind == "contact":
                    contact_sql, org_sql = _write_contacts(
                        cursor, spool, result, user_id=user_id, acting_user=acting_user,
                        method=f"import: {filename}",
                        tag_name=tag_name, crash_after=crash_after,
                    )  # fmt: skip
                else:
                    contact_sql, org_sql = _write_organisations(
                        cursor, spool, result, user_id=user_id, tag_name=tag_name,
                        crash_after=crash_after,
                    )  # fmt: skip
                if progress:
                    progress(90, "Updating what depends on these records")
                _announce_written("contact", contact_sql, acting_user)
                _announce_written("organisation", org_sql, acting_user)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            return result
    result.written = True
    if progress:
        progress(100, "Done")
    return result
