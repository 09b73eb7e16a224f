"""Reading a CSV of colleagues to invite (first name, last name, e-mail, optional role), with
each row's problem named by its row number, before anything is written.

Pure reading: the one database question (who already works at the member) is asked by the
caller and passed in, so the same check runs again, inside the transaction, on confirming.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import Role

MAX_BYTES = 1_000_000
NAME_MAX = 150
EMAIL_MAX = 254

NOT_CSV = (
    "That file is not a CSV file. Save the list as “CSV (comma separated)” from your "
    "spreadsheet and upload that."
)
EMPTY = "The file is empty. It needs one row for each person: first name, last name, e-mail."
TOO_BIG = "The file is larger than 1 MB. Split the list and upload each part in turn."
TOO_MANY = (
    "The file has {count:,} people; at most {limit:,} can be invited in one go. Split the list "
    "and upload each part in turn."
)
NO_PEOPLE = "The file has a heading row but nobody to invite."
BAD_COLUMNS = "has {count} columns; expected first name, last name, e-mail and (optionally) role"
BAD_EMAIL = "the e-mail address “{email}” is not a valid address"
NO_EMAIL = "the e-mail address is missing"
NO_NAME = "the {which} name is missing"
LONG_NAME = "the {which} name is longer than 150 characters"
DUPLICATE = "the e-mail address {email} is also on row {first}"
ALREADY = "{email} already works here"
BAD_ROLE = "the role “{role}” is not one of: {roles}"
BAD_ENCODING = (
    "some characters could not be read{guess}. Save the file as “CSV UTF-8” and upload it again"
)

HEADINGS = {"first name", "first_name", "firstname", "given name", "forename", "first"}
ROLE_WORDS = {
    **{value: value for value in Role.values},
    **{label.lower(): value for value, label in Role.choices},
}


@dataclass
class InviteRow:
    number: int
    first_name: str
    last_name: str
    email: str
    role: str
    problems: list[str] = field(default_factory=list)

    def as_cells(self) -> list[str]:
        return [self.first_name, self.last_name, self.email, self.role]

    def as_data(self) -> dict[str, str]:
        return {
            "first_name": self.first_name, "last_name": self.last_name, "email": self.email,
            "role": self.role,
        }  # fmt: skip


@dataclass
class ParsedList:
    rows: list[InviteRow] = field(default_factory=list)
    error: str = ""  # a problem with the whole file: then there are no rows

    @property
    def problem_rows(self) -> list[InviteRow]:
        return [row for row in self.rows if row.problems]

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.rows) and not self.problem_rows


def looks_like_csv(*, name: str, head: bytes) -> bool:
    """A CSV by its name, and not a spreadsheet's or a document's binary in disguise."""
    if not name.lower().endswith((".csv", ".txt")):
        return False
    binary_signatures = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8")
    return not head.startswith(binary_signatures) and b"\x00" not in head[:4096]


def _encoding_guess(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding.replace("_", "-") if best is not None else ""


def _readable(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _has_undecodable(values: Iterable[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for value in values for ch in value)


def rows_parse(data: bytes, *, existing_emails: set[str], max_rows: int) -> ParsedList:
    """The people in a CSV file's bytes, each row with its problems (empty if fine).

    ``existing_emails`` (lower-case) are people who already work at the member. Text that is
    not UTF-8 is read with the bad bytes kept aside, so each row holding them is named.
    """
    if not data.strip():
        return ParsedList(error=EMPTY)
    if len(data) > MAX_BYTES:
        return ParsedList(error=TOO_BIG)
    text = data.decode("utf-8-sig", errors="surrogateescape")
    guess = ""
    if _has_undecodable([text]):
        guess = _encoding_guess(data)
    records = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text)), 1) if any(
        cell.strip() for cell in r
    )]  # fmt: skip
    if records and records[0][1][0].strip().lower() in HEADINGS:
        records = records[1:]
        if not records:
            return ParsedList(error=NO_PEOPLE)
    if not records:
        return ParsedList(error=EMPTY)
    if len(records) > max_rows:
        return ParsedList(error=TOO_MANY.format(count=len(records), limit=max_rows))
    return rows_check(records, existing_emails=existing_emails, encoding_guess=guess)


def rows_check(
    records: Iterable[tuple[int, list[str]]], *, existing_emails: set[str], encoding_guess: str = ""
) -> ParsedList:
    """Each numbered row's problems: the preview's check, and the confirmation's again."""
    parsed = ParsedList()
    first_seen: dict[str, int] = {}
    for number, cells in records:
        parsed.rows.append(_row(number, cells, encoding_guess, existing_emails, first_seen))
    return parsed


def _row(
    number: int, cells: list[str], guess: str, existing: set[str], first_seen: dict[str, int]
) -> InviteRow:
    undecodable = _has_undecodable(cells)
    # Bytes that are not UTF-8 are shown as "�" on the preview (they cannot be shown at all).
    cells = [_readable(cell).strip() for cell in cells]
    padded = [*cells, "", "", "", ""]
    row = InviteRow(number, padded[0], padded[1], padded[2], (padded[3] or Role.STAFF).lower())
    if undecodable:
        named = f" (it looks like {guess})" if guess else ""
        row.problems.append(BAD_ENCODING.format(guess=named))
        return row
    if len(cells) not in (3, 4):
        row.problems.append(BAD_COLUMNS.format(count=len(cells)))
        return row
    for which, value in (("first", row.first_name), ("last", row.last_name)):
        if not value:
            row.problems.append(NO_NAME.format(which=which))
        elif len(value) > NAME_MAX:
            row.problems.append(LONG_NAME.format(which=which))
    email = row.email
    if not email:
        row.problems.append(NO_EMAIL)
    else:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            row.problems.append(BAD_EMAIL.format(email=email[:80]))
        else:
            key = email.lower()
            if key in first_seen:
                row.problems.append(DUPLICATE.format(email=email, first=first_seen[key]))
            else:
                first_seen[key] = row.number
            if key in existing:
                row.problems.append(ALREADY.format(email=email))
    if row.role not in ROLE_WORDS:
        roles = ", ".join(label.lower() for _value, label in Role.choices)
        row.problems.append(BAD_ROLE.format(role=row.role[:40], roles=roles))
    else:
        row.role = ROLE_WORDS[row.role]
    return row
