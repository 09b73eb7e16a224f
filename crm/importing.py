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

import csv
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
from .selectors import contact_ids_hidden_from
from .tabular import Table, TableError, table_open
from .validators import is_uk_postcode, normalise_postcode

MAX_PROBLEMS_KEPT = 500
PREVIEW_ROWS = 20

NOTHING_TO_IMPORT = "The file has a header row but no rows to import."
UNKNOWN_RECORD_TYPE = (
    "The file has no column for a last name (for contacts) or a name (for organisations). {found}"
)
MISSING_COLUMN = "The file has no {label} column, which {kind} need. {found}"
COLUMNS_FOUND = "Columns found: {names}."
NOT_HEADINGS = (
    "Its first row does not look like column headings: check that this is the spreadsheet "
    "you meant, with the column names in the first row."
)
CELL_LIMIT = 32_767  # the most an Excel cell holds
CELL_TOO_LONG = (
    "This value is {n:,} characters long, which is too long: a cell may hold at most "
    "{limit:,} characters."
)
CONTROL_CHARACTER = (
    "This value holds a control character (code {code}) that is not text, so the file may be "
    "damaged."
)
REPLACEMENT_CHARACTER = (
    "This value holds “\ufffd”, which an earlier conversion left where it could not read a "
    "character: correct the text in your spreadsheet."
)
NOT_TEXT_CHARACTER = (
    "This value holds a character that is not text (U+{code}: unassigned or private), so the "
    "file may be damaged or in another encoding."
)
# Unicode categories no one types: unassigned, private use, unpaired surrogates.
NOT_TEXT = {"Cn", "Co", "Cs"}
BAD_TIME = "“{value}” is not a date and time (use 2024-03-31 14:05:00)."
HOUSEHOLD = "a household account, not an organisation"
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
SAME_AS_ROW = "same {what} as row {row}, which was used"
HOUSEHOLD_NAME = re.compile(r"\bhousehold\s*$", re.IGNORECASE)

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
    unchanged: int = 0
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
            "unchanged": self.unchanged,
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


TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")  # fmt: skip
LOOKS_LIKE_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


def _timestamp(value: str) -> str:
    """Mailchimp's OPTIN_TIME and CONFIRM_TIME (UTC) as an ISO timestamp."""
    text = value.strip().removesuffix("Z").removesuffix(" UTC")
    for fmt in TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if parsed > datetime.now(tz=UTC):
            raise ValueError(FUTURE_DATE.format(value=value))
        return parsed.isoformat()
    raise ValueError(BAD_TIME.format(value=value))


def _opted_out(value: str) -> bool:
    """An opt-out cell: yes/no words, or a date (Mailchimp's UNSUB_TIME) meaning yes."""
    return bool(LOOKS_LIKE_DATE.match(value.strip())) or _flag(value)


TAG_QUOTES = "\"'“”‘’"


def _tags(value: str) -> str:
    """``"Volunteers","Newsletter 2026"`` (Mailchimp) or ``a; b, c``: names without quotes,
    separated by semicolons."""
    if any(q in value for q in '"“”'):
        text = value.replace("“", '"').replace("”", '"')
        items = next(csv.reader([text], skipinitialspace=True), [])
        items = [i for item in items for i in re.split(r"[;]", item)]
    else:
        items = re.split(r"[;,]", value)
    names = [item.strip().strip(TAG_QUOTES).strip() for item in items]
    return ";".join(n for n in names if n)


COUNTRY_WORDS = {"gb", "uk", "united kingdom", "england", "scotland", "wales", "great britain"}


def _address_split(value: str) -> dict[str, str]:
    """A one-line address (Mailchimp's ``Address``: parts two spaces apart, or a line with
    commas) as structured fields: the postcode and country recognised from the end."""
    mailchimp = bool(re.search(r"\S {2,}\S", value))
    parts = [p.strip() for p in re.split(r" {2,}|\s*,\s*|\n", value) if p.strip()]
    if parts and parts[-1].lower().rstrip(".") in COUNTRY_WORDS:
        parts.pop()
    out = {"address_line1": "", "address_line2": "", "town": "", "county": "", "postcode": ""}
    if parts and is_uk_postcode(parts[-1]):
        out["postcode"] = parts.pop()
    elif parts:
        found = re.search(r"\s([A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2})$", parts[-1])
        if found and is_uk_postcode(found.group(1)):
            out["postcode"] = found.group(1)
            parts[-1] = parts[-1][: found.start()].strip()
    if mailchimp and len(parts) >= 3:
        out["county"] = parts.pop()
    if parts:
        out["address_line1"] = parts.pop(0)
    if len(parts) >= 1:
        out["town"] = parts.pop()
    out["address_line2"] = ", ".join(parts)
    return out


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
        # Companies House numbers are 8 characters: registers and spreadsheets drop the
        # leading zeros (1422334 is 01422334; SC12345 is SC012345).
        prefix = re.fullmatch(r"([A-Z]{2})(\d+)", value)
        if value.isdigit() and len(value) < 8:
            value = value.zfill(8)
        elif prefix and len(value) < 8:
            value = prefix.group(1) + prefix.group(2).zfill(6)
        return f"GB-COH|{value}"
    parts = value.split("-")
    if len(parts) >= 3:
        return f"{parts[0]}-{parts[1]}|{'-'.join(parts[2:])}"
    raise ValueError(f"“{value}” is not an org-id identifier (e.g. GB-CHC-1234567).")


ORG_TYPE_WORDS = [
    ("cio", OrganisationType.CIO), ("charitable incorporated", OrganisationType.CIO),
    ("charitable company", OrganisationType.REGISTERED_CHARITY),
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
    "organisation", "tags", "opt_out", "optin_time", "confirm_time", "address_one_line",
]  # fmt: skip
ORG_COPY = [
    "rownum", "name", "other_names", "org_type", "email", "phone", "address_line1",
    "address_line2", "town", "postcode", "district", "website", "areas_of_work",
    "beneficiaries", "notes", "tags", "identifiers", "skip_reason",
]  # fmt: skip


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _cell_problem(value: str) -> str | None:
    """Text no spreadsheet cell holds: too long, control codes, a replacement character."""
    if len(value) > CELL_LIMIT:
        return CELL_TOO_LONG.format(n=len(value), limit=CELL_LIMIT)
    if value.isascii():
        return next(
            (CONTROL_CHARACTER.format(code=ord(ch)) for ch in value
             if (ord(ch) < 32 and ch not in "\t\r\n") or ord(ch) == 0x7F),
            None,
        )  # fmt: skip
    for ch in value:
        kind = unicodedata.category(ch)
        if kind == "Cc" and ch not in "\t\r\n":
            return CONTROL_CHARACTER.format(code=ord(ch))
        if ch == "\ufffd":
            return REPLACEMENT_CHARACTER
        if kind in NOT_TEXT:
            return NOT_TEXT_CHARACTER.format(code=f"{ord(ch):04X}")
    return None


def _found(headers: list[str]) -> str:
    """The headings an error may quote, or a plain word that they are not headings: an
    error never echoes raw file content."""
    names = [h for h in headers if h]
    if not names or any(len(h) > 60 or not h.isprintable() or "<" in h or ">" in h for h in names):
        return NOT_HEADINGS
    shown = names[:12]
    more = f" and {len(names) - 12} more" if len(names) > 12 else ""
    return COLUMNS_FOUND.format(names=", ".join(shown) + more)


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

    def problem(self, row: int, field_name: str, message: str, column: str = "") -> None:
        self.result.problem_count += 1
        if len(self.result.problems) < MAX_PROBLEMS_KEPT:
            column = column or self.header_of.get(
                field_name,
                self.columns[field_name].label if field_name in self.columns else field_name,
            )
            self.result.problems.append(RowProblem(row, column, message))

    def values(self, number: int, cells: list[str]) -> dict[str, str] | None:
        """The row's values by field, or None when the row has a problem. Several opt-out
        columns count together: any one saying yes is an opt-out."""
        headers = self.result.headers
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            self.result.problem_count += 1
            if len(self.result.problems) < MAX_PROBLEMS_KEPT:
                self.result.problems.append(
                    RowProblem(number, "(whole row)",
                               TOO_MANY_VALUES.format(n=len(cells), m=len(headers)))
                )  # fmt: skip
            return None
        out: dict[str, str] = {}
        opted_out: bool | None = None
        ok = True
        for index, name in self.result.mapping.items():
            value = cells[index] if index < len(cells) else ""
            column = headers[index] or name
            message = _cell_problem(value)
            if message:
                self.problem(number, name, message, column=column)
                ok = False
                continue
            if name == "opt_out":
                try:
                    opted_out = bool(opted_out) | _opted_out(value)
                except ValueError as exc:
                    self.problem(number, name, str(exc), column=column)
                    ok = False
            elif name in out:
                out[name] = out[name] or value
            else:
                out[name] = value
        if opted_out is not None:
            out["opt_out"] = "yes" if opted_out else "no"
        return out if ok else None

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
                if key in ("rownum", "address_one_line") or value in ("", None, False):
                    continue
                label = self.columns[key].label if key in self.columns else key.capitalize()
                label = "Skipped" if key == "skip_reason" else label
                shown[label] = "Yes" if value is True else str(value).replace("|", "-")
            self.result.preview.append(shown)


def _check_contacts(table: Table, result: ImportResult, spool: IO[str], report) -> None:
    checker = _Checker(result, CONTACT_COLUMNS, spool)
    fields = set(result.mapping.values())
    if not fields & {"last_name", "full_name"}:
        raise ImportRejected(
            MISSING_COLUMN.format(label="Last name", kind="contacts", found=_found(result.headers))
        )
    cleaners = {
        "email": _email, "postcode": _postcode, "date_of_birth": _date, "opt_out": _flag,
        "optin_time": _timestamp, "confirm_time": _timestamp, "tags": _tags,
    }  # fmt: skip
    # A file with one address column and no town or postcode has one-line addresses
    # (Mailchimp's ``Address``): split them, and never let them replace a structured one.
    one_line = "address_line1" in fields and not fields & {"address_line2", "town", "postcode"}
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
        if one_line and raw.get("address_line1", "").strip():
            parts = _address_split(raw["address_line1"])
            raw["address_line1"] = parts.pop("address_line1")
            raw.update({k: v for k, v in parts.items() if v and not raw.get(k, "").strip()})
            raw["address_one_line"] = "yes"
        if HOUSEHOLD_NAME.search(raw.get("organisation", "")):
            raw["organisation"] = ""  # Salesforce NPSP's household accounts are families
        record = checker.clean(row.number, raw, cleaners)
        if not record:
            continue
        if not record.get("last_name"):
            checker.problem(row.number, "last_name", REQUIRED.format(label="Last name"))
            continue
        record["opt_out"] = bool(record.get("opt_out"))
        record["address_one_line"] = bool(record.pop("address_one_line", False))
        record["date_of_birth"] = record.get("date_of_birth") or None
        record["optin_time"] = record.get("optin_time") or None
        record["confirm_time"] = record.get("confirm_time") or None
        checker.spool_row(row.number, record, CONTACT_COPY)


def _check_organisations(table: Table, result: ImportResult, spool: IO[str], report) -> None:
    checker = _Checker(result, ORGANISATION_COLUMNS, spool)
    if "name" not in set(result.mapping.values()):
        raise ImportRejected(
            MISSING_COLUMN.format(label="Name", kind="organisations", found=_found(result.headers))
        )
    cleaners = {
        "email": _email, "postcode": _postcode, "org_type": _org_type,
        "charity_number": lambda v: _identifier_from("charity_number", v),
        "company_number": lambda v: _identifier_from("company_number", v),
        "identifier": lambda v: _identifier_from("identifier", v), "tags": _tags,
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
        household = (
            HOUSEHOLD_NAME.search(record["name"]) or "household" in raw.get("org_type", "").lower()
        )
        record["skip_reason"] = HOUSEHOLD if household else None
        if record.get("org_type") in (None, "", OrganisationType.OTHER):
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


def _copy_in(cursor, statement: str, spool: IO[str]) -> None:
    """COPY the spool in, a chunk at a time, so memory stays flat (psycopg 3's COPY)."""
    with cursor.copy(statement) as copy:
        while chunk := spool.read(1 << 16):
            copy.write(chunk)


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


def _hidden_contacts(acting_user: Any) -> list[int]:
    """Restricted contacts the importer may not see. An import treats them as if they did
    not exist: a row with one of their e-mails is a new person, exactly as an unknown
    address is, so a dry run reveals nothing and no restricted record is changed. Who may
    see what is the selector's decision."""
    return contact_ids_hidden_from(user=acting_user)


# Contact fields an import fills where the file has a value; address fields from a one-line
# address only fill a contact that has no address yet.
CONTACT_TEXT_FIELDS = ["title", "first_name", "last_name", "preferred_name", "phone", "mobile"]
ADDRESS_FIELDS = ["address_line1", "address_line2", "town", "county", "postcode"]
NO_ADDRESS = "(c.address_line1 = '' AND c.address_line2 = '' AND c.town = '' AND c.postcode = '')"
PHONE_KEY = "right(regexp_replace({col}, '[^0-9]', '', 'g'), 10)"


def _contact_sets() -> tuple[list[str], list[str]]:
    """SET clauses for crm_contact c from import_contact t, and the conditions under which
    each would change something."""
    sets, changes = [], []
    for f in CONTACT_TEXT_FIELDS:
        sets.append(f"{f} = CASE WHEN t.{f} <> '' THEN t.{f} ELSE c.{f} END")
        changes.append(f"(t.{f} <> '' AND t.{f} <> c.{f})")
    for f in ADDRESS_FIELDS:
        applies = f"t.{f} <> '' AND (NOT t.address_one_line OR {NO_ADDRESS})"
        sets.append(f"{f} = CASE WHEN {applies} THEN t.{f} ELSE c.{f} END")
        changes.append(f"({applies} AND t.{f} <> c.{f})")
    sets.append("date_of_birth = COALESCE(t.date_of_birth, c.date_of_birth)")
    changes.append("(t.date_of_birth IS NOT NULL AND t.date_of_birth IS DISTINCT FROM "
                   "c.date_of_birth)")  # fmt: skip
    # Notes are added to, once: re-importing the same file does not repeat them.
    sets.append("notes = CASE WHEN t.notes = '' OR strpos(c.notes, t.notes) > 0 THEN c.notes "
                "WHEN c.notes = '' THEN t.notes "
                "ELSE c.notes || E'\\n\\n' || t.notes END")  # fmt: skip
    changes.append("(t.notes <> '' AND strpos(c.notes, t.notes) = 0)")
    return sets, changes


def _mark_changed(cursor, temp: str, id_column: str, insert: str, returning: str,
                  params: Any = None) -> int:  # fmt: skip
    """Run ``insert`` (INSERT ... RETURNING ``returning``) and mark the existing records it
    added something to as changed; returns how many rows it inserted."""
    _sql(cursor, f"""
        WITH added AS ({insert} RETURNING {returning} AS record_id),
             marked AS (UPDATE {temp} SET changed = true
                         WHERE {id_column} IN (SELECT record_id FROM added) AND NOT is_new)
        SELECT count(*) FROM added""", params)  # fmt: skip
    return cursor.fetchone()[0]


def _match_without_email(cursor, hidden: list[int]) -> None:
    """Rows without an e-mail match a visible contact by name and postcode, else by name
    and phone (the last ten digits, so +44 1904 and 01904 agree)."""
    _sql(cursor, """
        UPDATE import_contact t SET contact_id = m.id, match_how = 'name and postcode'
          FROM (SELECT public.commons_fold(c.first_name || ' ' || c.last_name) AS k,
                       c.postcode, min(c.id) AS id FROM crm_contact c
                 WHERE c.postcode IN (SELECT postcode FROM import_contact
                                       WHERE email_key IS NULL AND postcode <> '')
                   AND c.id <> ALL(%(hidden)s)
                 GROUP BY 1, 2) m
         WHERE t.email_key IS NULL AND t.skip_reason IS NULL AND t.postcode <> ''
           AND m.k = t.name_key AND m.postcode = t.postcode""", {"hidden": hidden})  # fmt: skip
    c_phone = PHONE_KEY.format(col="p.number")
    _sql(cursor, f"""
        UPDATE import_contact t SET contact_id = m.id, match_how = 'name and phone'
          FROM (SELECT public.commons_fold(c.first_name || ' ' || c.last_name) AS k,
                       {c_phone} AS p, min(c.id) AS id
                  FROM crm_contact c, LATERAL (VALUES (c.phone), (c.mobile)) AS p(number)
                 WHERE p.number <> '' AND c.id <> ALL(%(hidden)s)
                   AND {c_phone} IN (SELECT phone_key FROM import_contact
                                      WHERE email_key IS NULL AND contact_id IS NULL)
                 GROUP BY 1, 2) m
         WHERE t.email_key IS NULL AND t.contact_id IS NULL AND t.skip_reason IS NULL
           AND m.k = t.name_key AND m.p = t.phone_key""", {"hidden": hidden})  # fmt: skip


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
            organisation text, tags text, opt_out boolean, optin_time timestamptz,
            confirm_time timestamptz, address_one_line boolean,
            email_key text, name_key text, phone_key text, contact_id bigint,
            is_new boolean NOT NULL DEFAULT false, changed boolean NOT NULL DEFAULT false,
            match_how text, skip_reason text
        ) ON COMMIT DROP""")  # fmt: skip
    spool.seek(0)
    _copy_in(cursor, f"COPY import_contact ({', '.join(CONTACT_COPY)}) FROM STDIN", spool)
    phone = PHONE_KEY.format(col="COALESCE(NULLIF(phone, ''), mobile)")
    _sql(cursor, f"""
        UPDATE import_contact SET email_key = NULLIF(lower(email), ''),
               name_key = public.commons_fold(first_name || ' ' || last_name),
               phone_key = CASE WHEN length({phone}) = 10 THEN {phone} END""")  # fmt: skip
    _sql(cursor, "CREATE INDEX ON import_contact (email_key)")
    _sql(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same e-mail as row ' || d.first_row
          FROM (SELECT email_key, min(rownum) AS first_row FROM import_contact
                 WHERE email_key IS NOT NULL GROUP BY email_key HAVING count(*) > 1) d
         WHERE t.email_key = d.email_key AND t.rownum <> d.first_row""",
    )
    hidden = _hidden_contacts(acting_user)
    _sql(cursor, """
        UPDATE import_contact t SET contact_id = m.id, match_how = 'e-mail'
          FROM (SELECT lower(c.email) AS k, min(c.id) AS id FROM crm_contact c
                 WHERE lower(c.email) IN (SELECT email_key FROM import_contact)
                   AND c.id <> ALL(%(hidden)s)
                 GROUP BY lower(c.email)) m
         WHERE t.email_key = m.k AND t.skip_reason IS NULL""", {"hidden": hidden})  # fmt: skip
    # People without an e-mail: the same name at the same postcode, or with the same phone
    # (asked only when the file has such rows: it reads every contact's phone numbers).
    cursor.execute("SELECT EXISTS (SELECT 1 FROM import_contact WHERE email_key IS NULL)")
    if cursor.fetchone()[0]:
        _match_without_email(cursor, hidden)
    # Two rows for one person (by e-mail in one, by name in another, or twice by name).
    _sql(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same person as row ' || d.first_row
          FROM (SELECT contact_id, min(rownum) AS first_row FROM import_contact
                 WHERE contact_id IS NOT NULL AND skip_reason IS NULL
                 GROUP BY contact_id HAVING count(*) > 1) d
         WHERE t.contact_id = d.contact_id AND t.rownum <> d.first_row""",
    )
    _sql(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same person as row ' || d.first_row
          FROM (SELECT name_key, postcode, phone_key, rownum, min(rownum) OVER (
                       PARTITION BY name_key, COALESCE(NULLIF(postcode, ''), phone_key)
                       ) AS first_row
                  FROM import_contact
                 WHERE email_key IS NULL AND contact_id IS NULL AND skip_reason IS NULL
                   AND (postcode <> '' OR phone_key IS NOT NULL)) d
         WHERE t.rownum = d.rownum AND d.first_row <> d.rownum""",
    )
    _preview_matches(cursor, result)
    sets, changes = _contact_sets()
    changed = " OR ".join(changes)
    _sql(cursor, f"""
        UPDATE import_contact t SET changed = true FROM crm_contact c
         WHERE t.contact_id = c.id AND t.skip_reason IS NULL AND ({changed})""")  # fmt: skip
    assignments = ", ".join(sets)
    _sql(cursor, f"""
        UPDATE crm_contact c SET {assignments}, updated_at = now(), updated_by_id = %(user)s
          FROM import_contact t
         WHERE t.contact_id = c.id AND NOT t.is_new AND t.skip_reason IS NULL AND t.changed""",
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
    _mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_contactrole (contact_id, organisation_id, role)
        SELECT t.contact_id, n.org_id, 'contact'
          FROM import_contact t JOIN import_org_name n ON n.k = public.commons_fold(t.organisation)
         WHERE t.skip_reason IS NULL
        ON CONFLICT DO NOTHING""", "contact_id")  # fmt: skip
    _tags_apply(cursor, "import_contact", "contact_id", "crm_contact_tags", "contact_id", tag_name)

    # An opt-out becomes a marketing objection, unless one is already the latest word.
    result.objections = _mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_consent (contact_id, purpose, channel, status, lawful_basis,
            recorded_at, method, wording, recorded_by_id)
        SELECT t.contact_id, 'marketing', 'any', 'objected', 'legitimate_interests', now(),
               %(method)s, 'Marked as opted out in the imported file', %(user)s
          FROM import_contact t
         WHERE t.opt_out AND t.skip_reason IS NULL
           AND COALESCE((SELECT c.status FROM crm_consent c
                          WHERE c.contact_id = t.contact_id AND c.purpose = 'marketing'
                          ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), '') <> 'objected'""",
        "contact_id", {"method": method[:100], "user": user_id})  # fmt: skip
    # A mailing tool's opt-in times (Mailchimp's OPTIN_TIME, CONFIRM_TIME) are the evidence
    # of consent: kept as a consent given at that time, once.
    _mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_consent (contact_id, purpose, channel, status, lawful_basis,
            recorded_at, method, wording, recorded_by_id)
        SELECT t.contact_id, 'marketing', 'email', 'granted', 'consent',
               COALESCE(t.confirm_time, t.optin_time), %(method)s,
               concat_ws('; ',
                   'Opted in to the mailing list at ' || to_char(t.optin_time AT TIME ZONE 'UTC',
                                                            'YYYY-MM-DD HH24:MI:SS "UTC"'),
                   'confirmed at ' || to_char(t.confirm_time AT TIME ZONE 'UTC',
                                              'YYYY-MM-DD HH24:MI:SS "UTC"')),
               %(user)s
          FROM import_contact t
         WHERE NOT t.opt_out AND t.skip_reason IS NULL
           AND COALESCE(t.confirm_time, t.optin_time) IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM crm_consent c
                            WHERE c.contact_id = t.contact_id AND c.purpose = 'marketing'
                              AND c.status = 'granted'
                              AND c.recorded_at = COALESCE(t.confirm_time, t.optin_time))""",
        "contact_id", {"method": method[:100], "user": user_id})  # fmt: skip

    cursor.execute("""
        SELECT count(*) FILTER (WHERE is_new),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND changed),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND NOT changed),
               count(*) FILTER (WHERE skip_reason IS NOT NULL)
          FROM import_contact""")
    result.new, result.updated, result.unchanged, result.skipped = cursor.fetchone()
    cursor.execute(
        "SELECT rownum, skip_reason FROM import_contact WHERE skip_reason IS NOT NULL "
        "ORDER BY rownum LIMIT %s", [MAX_PROBLEMS_KEPT])  # fmt: skip
    result.skipped_rows = [tuple(r) for r in cursor.fetchall()]
    cursor.execute("SELECT count(*) FROM import_org_name WHERE is_new")
    result.new_organisations = cursor.fetchone()[0]
    return (
        "SELECT contact_id FROM import_contact WHERE skip_reason IS NULL AND (is_new OR changed)",
        "SELECT org_id FROM import_org_name WHERE is_new",
    )


MATCH_LABEL = "Matches"


def _preview_matches(cursor, result: ImportResult) -> None:
    """Show in the preview which existing contact each row will update, and how it was
    matched. Only contacts the importer may see are ever matched."""
    rows = [p["row"] for p in result.preview]
    if not rows:
        return
    cursor.execute(
        """
        SELECT t.rownum, t.match_how, c.first_name, c.last_name, c.email
          FROM import_contact t JOIN crm_contact c ON c.id = t.contact_id
         WHERE t.rownum = ANY(%s) AND t.skip_reason IS NULL""",
        [rows],
    )
    found = {
        rownum: f"{' '.join(x for x in (first, last) if x)}"
        + (f" ({email})" if email else "")
        + f", by {how}"
        for rownum, how, first, last, email in cursor.fetchall()
    }
    for shown in result.preview:
        if shown["row"] in found:
            shown[MATCH_LABEL] = found[shown["row"]]


def _tags_apply(cursor, temp: str, id_column: str, through: str, fk: str, tag_name: str) -> None:
    _sql(cursor, f"""
        CREATE TEMP TABLE import_tag ON COMMIT DROP AS
        SELECT DISTINCT t.{id_column} AS record_id, btrim(x) AS name
          FROM {temp} t, unnest(string_to_array(t.tags, ';')) AS x
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
    _mark_changed(cursor, temp, id_column, f"""
        INSERT INTO {through} ({fk}, tag_id)
        SELECT DISTINCT n.record_id, g.id FROM import_tag n
          JOIN crm_tag g ON lower(g.name) = lower(n.name)
        ON CONFLICT DO NOTHING""", fk)  # fmt: skip
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
            identifiers text, skip_reason text, org_id bigint,
            is_new boolean NOT NULL DEFAULT false, changed boolean NOT NULL DEFAULT false
        ) ON COMMIT DROP""",
    )
    spool.seek(0)
    _copy_in(cursor, f"COPY import_organisation ({', '.join(ORG_COPY)}) FROM STDIN", spool)
    _sql(
        cursor,
        """
        CREATE TEMP TABLE import_identifier ON COMMIT DROP AS
        SELECT t.rownum, split_part(x, '|', 1) AS scheme, split_part(x, '|', 2) AS value
          FROM import_organisation t, unnest(string_to_array(t.identifiers, ';')) AS x
         WHERE x <> '' AND t.skip_reason IS NULL""",
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
    text_fields = ["org_type", "email", "phone", "address_line1", "address_line2",
                   "town", "postcode", "district", "website"]  # fmt: skip
    sets = ",\n".join(f"{f} = CASE WHEN t.{f} <> '' THEN t.{f} ELSE o.{f} END" for f in text_fields)
    changes = [f"(t.{f} <> '' AND t.{f} <> o.{f})" for f in text_fields]
    # A register's "SKIPTON LUNCH CLUB" does not replace the member's "Skipton Lunch Club".
    renamed = "(t.name <> '' AND public.commons_fold(t.name) <> public.commons_fold(o.name))"
    changes += [
        renamed,
        *(
            f"(t.{f} <> '' AND string_to_array(t.{f}, ';') <> o.{f}::text[])"
            for f in ("other_names", "areas_of_work", "beneficiaries")
        ),
        "(t.notes <> '' AND strpos(o.notes, t.notes) = 0)",
    ]
    changed = " OR ".join(changes)
    _sql(cursor, f"""
        UPDATE import_organisation t SET changed = true FROM crm_organisation o
         WHERE t.org_id = o.id AND t.skip_reason IS NULL AND ({changed})""")  # fmt: skip
    _sql(cursor, f"""
        UPDATE crm_organisation o SET {sets},
            name = CASE WHEN {renamed} THEN t.name ELSE o.name END,
            other_names = CASE WHEN t.other_names <> ''
                               THEN string_to_array(t.other_names, ';') ELSE o.other_names END,
            areas_of_work = CASE WHEN t.areas_of_work <> ''
                                 THEN string_to_array(t.areas_of_work, ';')
                                 ELSE o.areas_of_work END,
            beneficiaries = CASE WHEN t.beneficiaries <> ''
                                 THEN string_to_array(t.beneficiaries, ';')
                                 ELSE o.beneficiaries END,
            notes = CASE WHEN t.notes = '' OR strpos(o.notes, t.notes) > 0 THEN o.notes
                         WHEN o.notes = '' THEN t.notes
                         ELSE o.notes || E'\\n\\n' || t.notes END,
            updated_at = now(), updated_by_id = %(user)s
          FROM import_organisation t
         WHERE t.org_id = o.id AND t.skip_reason IS NULL AND t.changed""",
         {"user": user_id})  # fmt: skip
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
    _mark_changed(cursor, "import_organisation", "org_id", """
        INSERT INTO crm_organisationidentifier (organisation_id, scheme, value, is_preferred)
        SELECT DISTINCT ON (i.scheme, i.value) t.org_id, i.scheme, i.value, false
          FROM import_identifier i JOIN import_organisation t ON t.rownum = i.rownum
         WHERE t.skip_reason IS NULL ORDER BY i.scheme, i.value, i.rownum
        ON CONFLICT (scheme, value) DO NOTHING""", "organisation_id")  # fmt: skip
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
        SELECT count(*) FILTER (WHERE is_new),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND changed),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND NOT changed),
               count(*) FILTER (WHERE skip_reason IS NOT NULL)
          FROM import_organisation""")
    result.new, result.updated, result.unchanged, result.skipped = cursor.fetchone()
    cursor.execute(
        "SELECT rownum, skip_reason FROM import_organisation WHERE skip_reason IS NOT NULL "
        "ORDER BY rownum LIMIT %s", [MAX_PROBLEMS_KEPT])  # fmt: skip
    result.skipped_rows = [tuple(r) for r in cursor.fetchall()]
    return None, (
        "SELECT org_id FROM import_organisation WHERE skip_reason IS NULL AND (is_new OR changed)"
    )


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
        raise ImportRejected(UNKNOWN_RECORD_TYPE.format(found=_found(table.headers)))
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
