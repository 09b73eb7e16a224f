"""Sweep "Imports never lie": whatever people put in their spreadsheets, in whichever
encoding, delimiter and format the importer supports, comes back exactly as written; and
bytes that are not a table give a clear error with nothing written, never garbled text.

The delimiters are the importer's own (crm.tabular.DELIMITERS), so a new one is swept the
day it is added; the encodings are those crm.encodings decides on (a UTF-8 or UTF-16
byte-order mark, strict UTF-8, Windows-1252).
"""

from __future__ import annotations

import csv
import io
import unicodedata

import openpyxl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import importing, tabular
from crm.models import Consent, Contact, Organisation

# Pieces of what people type: accents, apostrophes and curly quotes, commas and semicolons,
# emoji, leading zeros, a pound sign, quotes inside values.
PIECES = [
    "Zoë", "Brontë", "O'Brien", "José", "Müller", "Siân", "Łukasz", "Ørsted", "Nuñez",
    "café", "naïve", "£5", "“quoted”", "‘single’", "it’s", 'say "hi"', "a, b", "x; y",
    "😀", "🏳️‍🌈", "01234", "007", "0", "+44 1723 555000", "Smith-Jones", "St. Mary's",
    "–", "…", "Ünïcødé", "北京", "שלום",
]  # fmt: skip
FIELDS = [
    ("first_name", "First name"), ("last_name", "Last name"), ("phone", "Phone"),
    ("town", "Town"), ("notes", "Notes"),
]  # fmt: skip


def _text(*, multiline: bool) -> st.SearchStrategy[str]:
    joiners = [" ", "\n", " \n"] if multiline else [" "]
    return st.builds(
        lambda parts, joiner: unicodedata.normalize("NFC", joiner.join(parts)).strip(),
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=3),
        st.sampled_from(joiners),
    )


def _row() -> st.SearchStrategy[dict[str, str]]:
    maybe = lambda s: st.one_of(st.just(""), s)  # noqa: E731 - an empty cell, or a value
    return st.fixed_dictionaries({
        "first_name": maybe(_text(multiline=False)),
        "last_name": _text(multiline=False),
        "phone": maybe(st.sampled_from(["01234 567890", "07700 900123", "0", "+44 1723 555000"])),
        "town": maybe(_text(multiline=False)),
        "notes": maybe(_text(multiline=True)),
    })  # fmt: skip


def SWEEP(*, max_examples: int):  # noqa: N802 - reads as the decorator it returns
    """Bounded, machine-speed independent: each example rolls back what it wrote."""
    return settings(
        max_examples=max_examples, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )  # fmt: skip


ROWS = st.lists(_row(), min_size=1, max_size=6)

# Python writes "utf-8-sig" and "utf-16" with their byte-order marks; Windows-1252 gets
# the characters it can hold.
CSV_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
CASES = [("xlsx", None, None)] + [
    ("csv", encoding, delimiter) for encoding in CSV_ENCODINGS for delimiter in tabular.DELIMITERS
]


def _table(rows: list[dict[str, str]]) -> list[list[str]]:
    header = [label for _, label in FIELDS] + ["Email"]
    body = [[row[f] for f, _ in FIELDS] + [f"person{i}@example.org"] for i, row in enumerate(rows)]
    return [header, *body]


def _write(rows: list[list[str]], file_format: str, encoding: str | None, delimiter) -> bytes:
    if file_format == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                cell.data_type = "s"  # text as text: "01234" and "+44..." are never numbers
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def _import(data: bytes, user=None):
    return importing.records_import(
        handle=io.BytesIO(data), size=len(data), acting_user=user, filename="sweep"
    )


def _counts() -> tuple[int, int, int]:
    return Contact.objects.count(), Organisation.objects.count(), Consent.objects.count()


class _RollBack(Exception):
    pass


def _in_savepoint(body) -> None:
    """Run ``body`` and undo whatever it wrote, so every example starts from the same data."""
    try:
        with transaction.atomic():
            body()
            raise _RollBack
    except _RollBack:
        pass


@pytest.mark.parametrize(
    ("file_format", "encoding", "delimiter"), CASES,
    ids=[f"{f}-{e or ''}-{'tab' if d == chr(9) else d or ''}" for f, e, d in CASES],
)  # fmt: skip
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS)
def test_what_is_written_is_read_back_exactly(file_format, encoding, delimiter, rows, at_a):
    """Rows with accents, quotes, newlines, emoji, leading zeros and empty cells, written in
    each supported encoding, delimiter and format, import as exactly what was written."""
    table = _table(rows)
    if encoding == "cp1252":
        try:
            _write(table, file_format, encoding, delimiter)
        except UnicodeEncodeError:
            table = [[v.encode("cp1252", "ignore").decode("cp1252").strip() or "x" for v in r]
                     for r in table]  # fmt: skip
            table[0] = _table(rows)[0]
    data = _write(table, file_format, encoding, delimiter)

    def body() -> None:
        result = _import(data)
        assert (result.new, result.problem_count) == (len(rows), 0)
        written = {c.email: c for c in Contact.objects.filter(email__endswith="@example.org")}
        for values in table[1:]:
            contact = written[values[-1]]
            got = [getattr(contact, f) for f, _ in FIELDS]
            assert got == values[:-1]

    _in_savepoint(body)


NOT_TEXT = {"Cc", "Cn", "Co", "Cs"}


def _clean_message(message: str) -> None:
    """Text people can read: no control codes, no replacement, private, unassigned or
    unpaired characters."""
    assert message.strip()
    for ch in message:
        assert ch in "\n\t" or unicodedata.category(ch) not in NOT_TEXT, repr(message)
        assert ch != "\ufffd", repr(message)


def _check_outcome(data: bytes) -> None:
    before = _counts()
    existing = set(Contact.objects.values_list("pk", flat=True))
    try:
        result = _import(data)
    except importing.ImportRejected as refused:
        _clean_message(refused.message)
        for problem in refused.result.problems if refused.result else []:
            _clean_message(problem.message)
        assert _counts() == before
        return
    # The bytes happened to be a table: what was written must be text the file really
    # holds, in UTF-8 or Windows-1252, never a garbled reading of it.
    assert result.written
    for contact in Contact.objects.exclude(pk__in=existing):
        for value in (contact.first_name, contact.last_name, contact.email):
            _clean_message(value or "x")
            assert any(
                value.encode(enc, "ignore") in data for enc in ("utf-8", "cp1252", "utf-16-le")
            )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_give_a_clear_error_and_write_nothing(data, at_a):
    """Arbitrary bytes give a clear error with nothing written, never an exception escaping
    and never garbled text."""
    _in_savepoint(lambda: _check_outcome(data))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from([b"First name,Last name,Email\r\n", b"\xef\xbb\xbfName;Surname\r\n",
                            b"\xff\xfeL\x00a\x00s\x00t\x00 \x00n\x00a\x00m\x00e\x00\n\x00"]),
    body=st.binary(max_size=300),
)  # fmt: skip
def test_a_real_header_over_arbitrary_bytes_never_garbles(header, body, at_a):
    """Under a real header, arbitrary bytes are refused clearly, or (when they happen to be
    text) written exactly as the file holds them."""
    _in_savepoint(lambda: _check_outcome(header + body))
