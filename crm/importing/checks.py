"""Checking an import's rows: every cell is text a spreadsheet holds and fits its column,
every value cleans (crm.importing.values), every row has what its record type needs.

Valid rows are spooled to a temporary file in COPY text format, so memory stays flat; each
problem names its row, column and what is wrong. Tenant assumptions: none (no query).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import IO, Any

from crm.columns import CONTACT_COLUMNS, ORGANISATION_COLUMNS, Column
from crm.models import Contact, Organisation, OrganisationType
from crm.tabular import Table

from . import values
from .results import MAX_PROBLEMS_KEPT, PREVIEW_ROWS, ImportRejected, ImportResult, RowProblem

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
HOUSEHOLD = "a household account, not an organisation"
TOO_MANY_VALUES = (
    "This row has {n} values but the header has {m} columns: check for a comma that should "
    "be inside quotes."
)
TOO_LONG = "is longer than {n} characters."
TOO_LONG_ID = "The identifier is longer than 40 characters."
# List fields: each entry must fit.
ITEM_LIMITS = {"areas_of_work": 60, "beneficiaries": 60, "other_names": 200, "tags": 80}
IDENTIFIER_FIELDS = {"charity_number", "company_number", "identifier"}
REQUIRED = "{label} is missing."
HOUSEHOLD_NAME = re.compile(r"\bhousehold\s*$", re.IGNORECASE)

ProgressReport = Callable[[float], None]  # the fraction of the file read so far


def max_lengths(model: Any) -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in model._meta.get_fields()
        if getattr(f, "max_length", None) and f.concrete
    }


# Rows are spooled in COPY text format, in these columns.
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


def copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def cell_problem(value: str) -> str | None:
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


def headings_found(headers: list[str]) -> str:
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
        self.lengths = max_lengths(self.model)
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

    def rows(self, table: Table, report: ProgressReport) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row's number and values by field. Blank rows are passed over; a row with a
        problem is counted and left out."""
        for row in table.rows:
            if not any(row.values):
                continue
            self.result.total_rows += 1
            if self.result.total_rows % 2000 == 0:
                report(table.progress())
            raw = self.values(row.number, row.values)
            if raw is not None:
                yield row.number, raw

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
            message = cell_problem(value)
            if message:
                self.problem(number, name, message, column=column)
                ok = False
                continue
            if name == "opt_out":
                try:
                    opted_out = bool(opted_out) | values.opted_out(value)
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
        self.spool.write("\t".join(copy_value(record.get(c, "")) for c in order) + "\n")
        if len(self.result.preview) < PREVIEW_ROWS:
            shown = {"row": number}
            for key, value in record.items():
                if key in ("rownum", "address_one_line") or value in ("", None, False):
                    continue
                label = self.columns[key].label if key in self.columns else key.capitalize()
                label = "Skipped" if key == "skip_reason" else label
                shown[label] = "Yes" if value is True else str(value).replace("|", "-")
            self.result.preview.append(shown)


def contacts_check(
    table: Table, result: ImportResult, spool: IO[str], report: ProgressReport
) -> None:
    """Check every contact row; valid ones are spooled in CONTACT_COPY's columns."""
    checker = _Checker(result, CONTACT_COLUMNS, spool)
    fields = set(result.mapping.values())
    if not fields & {"last_name", "full_name"}:
        raise ImportRejected(
            MISSING_COLUMN.format(
                label="Last name", kind="contacts", found=headings_found(result.headers)
            )
        )
    cleaners = {
        "email": values.email, "postcode": values.postcode, "opt_out": values.flag,
        "date_of_birth": values.calendar_date, "tags": values.tag_names,
        "optin_time": values.timestamp, "confirm_time": values.timestamp,
    }  # fmt: skip
    # A file with one address column and no town or postcode has one-line addresses
    # (Mailchimp's ``Address``): split them, and never let them replace a structured one.
    one_line = "address_line1" in fields and not fields & {"address_line2", "town", "postcode"}
    for number, raw in checker.rows(table, report):
        full = raw.pop("full_name", "").strip()
        if full and not raw.get("last_name", "").strip():
            first, _, last = full.rpartition(" ")
            raw["last_name"] = last
            raw.setdefault("first_name", "")
            if not raw["first_name"].strip():
                raw["first_name"] = first
        if one_line and raw.get("address_line1", "").strip():
            parts = values.address_split(raw["address_line1"])
            raw["address_line1"] = parts.pop("address_line1")
            raw.update({k: v for k, v in parts.items() if v and not raw.get(k, "").strip()})
            raw["address_one_line"] = "yes"
        if HOUSEHOLD_NAME.search(raw.get("organisation", "")):
            raw["organisation"] = ""  # Salesforce NPSP's household accounts are families
        record = checker.clean(number, raw, cleaners)
        if not record:
            continue
        if not record.get("last_name"):
            checker.problem(number, "last_name", REQUIRED.format(label="Last name"))
            continue
        record["opt_out"] = bool(record.get("opt_out"))
        record["address_one_line"] = bool(record.pop("address_one_line", False))
        record["date_of_birth"] = record.get("date_of_birth") or None
        record["optin_time"] = record.get("optin_time") or None
        record["confirm_time"] = record.get("confirm_time") or None
        checker.spool_row(number, record, CONTACT_COPY)


def organisations_check(
    table: Table, result: ImportResult, spool: IO[str], report: ProgressReport
) -> None:
    """Check every organisation row; valid ones are spooled in ORG_COPY's columns."""
    checker = _Checker(result, ORGANISATION_COLUMNS, spool)
    if "name" not in set(result.mapping.values()):
        raise ImportRejected(
            MISSING_COLUMN.format(
                label="Name", kind="organisations", found=headings_found(result.headers)
            )
        )
    cleaners = {
        "email": values.email, "postcode": values.postcode, "org_type": values.org_type,
        "charity_number": lambda v: values.identifier_from("charity_number", v),
        "company_number": lambda v: values.identifier_from("company_number", v),
        "identifier": lambda v: values.identifier_from("identifier", v),
        "tags": values.tag_names,
    }  # fmt: skip
    for number, raw in checker.rows(table, report):
        record = checker.clean(number, raw, cleaners)
        if not record:
            continue
        if not record.get("name"):
            checker.problem(number, "name", REQUIRED.format(label="Name"))
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
        checker.spool_row(number, record, ORG_COPY)
