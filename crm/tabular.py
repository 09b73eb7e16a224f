"""Reading the tables people actually have: CSV in the encodings Excel writes, or XLSX.

Streams: a file of any length is read row by row, never whole into memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from .columns import header_key, heading_score
from .encodings import EncodingUnclear, encoding_decide

NOT_A_TABLE = "This file is not a table{what}. Save it from your spreadsheet as CSV or XLSX."
EMPTY_FILE = "The file is empty."
TOO_BIG = "The file is {size:.1f} MB; the largest file an import takes is {limit:.0f} MB."
UNKNOWN_ENCODING = (
    "The file's characters could not be read with confidence as UTF-8 or Windows-1252. "
    "Nothing was imported. Save it from your spreadsheet as “CSV UTF-8” and try again."
)
BAD_BYTE = (
    "Row {row}, column {column} has a byte that is not valid {encoding}, so the file's "
    "characters cannot be read with confidence. Nothing was imported. Save it from your "
    "spreadsheet as “CSV UTF-8” and try again."
)
BAD_BYTE_SOMEWHERE = (
    "The file has a byte that is not valid {encoding} (at byte {offset}), so its characters "
    "cannot be read with confidence. Nothing was imported. Save it from your spreadsheet as "
    "“CSV UTF-8” and try again."
)
NO_HEADER = "The first row should name the columns, but it is empty."
BROKEN_CSV = "Row {row}: the file's quoting is broken ({detail})."
CELL_TOO_BIG = "Row {row} has a value longer than {limit:,} characters, which is too long."
DUPLICATE_HEADING = (
    "Columns {a} and {b} both have the heading “{heading}”. Rename or remove one of them and "
    "try again."
)
WEB_PAGE = (
    "This looks like a web page, not a spreadsheet. Open the table in your spreadsheet and save "
    "it as CSV or XLSX."
)
XML_FILE = (
    "This looks like an XML file, not a spreadsheet table. Open it in your spreadsheet and save "
    "it as CSV or XLSX."
)

DELIMITERS = (",", ";", "\t", "|")
SAMPLE = 8192
HEADER_SEARCH_ROWS = 10
# A bad byte read for locating it: a lone surrogate, which no valid decoding produces.
BAD_BYTE_MARK = "\udcff"
# Larger than any cell a spreadsheet writes, so a long cell reaches the row checks and is
# reported with its row and column; csv's default (131,072) would blame the quoting.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))

MAGIC = [
    (b"\x89PNG", " (it is a PNG image)"),
    (b"\xff\xd8\xff", " (it is a JPEG image)"),
    (b"GIF8", " (it is a GIF image)"),
    (b"%PDF", " (it is a PDF document)"),
    (b"\xd0\xcf\x11\xe0", " (it is an old Excel .xls or Word file: save it as .xlsx)"),
    (b"\x1f\x8b", " (it is a compressed .gz file)"),
]


class TableError(Exception):
    """The file as a whole cannot be read as a table; nothing was imported."""


@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: list[str]


class Table:
    """Headers, then rows; ``progress()`` says how far through the file reading is (0..1)."""

    def __init__(self, headers: list[str], rows: Iterator[Row], progress, kind: str) -> None:
        self.headers = headers
        self.rows = rows
        self.progress = progress
        self.kind = kind


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_error(row: int, exc: csv.Error) -> TableError:
    detail = str(exc)
    if "NUL" in detail:
        return TableError(NOT_A_TABLE.format(what=" (it holds binary data)"))
    if "field larger than field limit" in detail:
        return TableError(CELL_TOO_BIG.format(row=row, limit=CSV_FIELD_LIMIT))
    return TableError(BROKEN_CSV.format(row=row, detail=detail))


def _sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first rows into the same number of columns (more than
    one), quotes respected. A wrong delimiter leaves quote marks inside values
    (`Name;"Address, line 1"` split on commas), so fewer of those wins, then more columns."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end half-way through a row
    text = "".join(lines[:50])
    best, best_score = ",", (False, -1, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        widths = {len(r) for r in rows[:20]}
        stray = sum(1 for r in rows for value in r if '"' in value)
        score = (len(widths) == 1, -stray, len(rows[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header_find(first: list[list[str]]) -> tuple[int, list[str], int]:
    """Among the first rows, the header: (index of its first row, headings, rows it spans).

    The header is the row naming most known headings (a title row above it is skipped).
    A two-row header (a merged "Name" over "First" and "Last") is read as one: each column
    takes the lower row's heading, or the upper one's where the lower is blank.
    """
    if not first:
        return 0, [], 1
    scores = [heading_score(r) for r in first]
    k = max(range(len(first)), key=lambda i: (scores[i], -i))
    if scores[k] < 2 or scores[k] <= scores[0]:
        k = 0
    top, rows = k, [first[k]]
    if k > 0 and _is_merged_above(first[k - 1], first[k]):
        top, rows = k - 1, [first[k - 1], first[k]]
    elif k + 1 < len(first) and _is_merged_above(first[k], first[k + 1]):
        rows = [first[k], first[k + 1]]
    width = max(len(r) for r in rows)
    lower = rows[-1] + [""] * (width - len(rows[-1]))
    upper = rows[0] + [""] * (width - len(rows[0])) if len(rows) == 2 else [""] * width
    headings = [(lo or up).strip() for lo, up in zip(lower, upper, strict=True)]
    return top, headings, len(rows)


def _is_merged_above(upper: list[str], lower: list[str]) -> bool:
    """``upper`` has blanks (merged cells) above known headings in ``lower``."""
    under_blanks = [
        cell for i, cell in enumerate(lower) if cell and (i >= len(upper) or not upper[i])
    ]
    return any(upper) and heading_score(under_blanks) >= 1 and heading_score(lower) >= 2


def _headings_check(headers: list[str]) -> None:
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise TableError(NO_HEADER)
    seen: dict[str, int] = {}
    for index, heading in enumerate(headers):
        key = header_key(heading) or heading
        if not heading:
            continue
        if key in seen:
            raise TableError(
                DUPLICATE_HEADING.format(
                    a=column_name(seen[key]), b=column_name(index), heading=heading_shown(heading)
                )
            )
        seen[key] = index


def column_name(index: int) -> str:
    """``2`` -> ``column 3 (C)``: the number people count and the letter Excel shows."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{index + 1} ({letters})"


def heading_shown(text: str) -> str:
    """A heading as an error message may quote it: printable and short, never raw content."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return clean[:40] + ("…" if len(clean) > 40 else "")


def _rows_with_header(records: Iterator[list[str]]) -> tuple[list[str], Iterator[Row], int]:
    """Headings, then the rows below them numbered as a spreadsheet shows them."""
    numbered = ((n, [v.strip() for v in r]) for n, r in enumerate(records, start=1))
    first: list[tuple[int, list[str]]] = []
    for number, values in numbered:
        first.append((number, values))
        if len([v for _, v in first if any(v)]) >= HEADER_SEARCH_ROWS:
            break
    filled = [(n, v) for n, v in first if any(v)]
    if not filled:
        raise TableError(EMPTY_FILE)
    top, headers, span = _header_find([v for _, v in filled])
    header_number = filled[top + span - 1][0]
    _headings_check(headers)

    def rows() -> Iterator[Row]:
        for number, values in first:
            if number > header_number:
                yield Row(number, values)
        for number, values in numbered:
            yield Row(number, values)

    return headers, rows(), header_number


def _mark_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    return BAD_BYTE_MARK, error.end


codecs.register_error("commons-mark", _mark_bad_bytes)


def _bad_byte_locate(handle: IO[bytes], problem: EncodingUnclear) -> TableError:
    """Where the first byte that is not ``problem.encoding`` sits, as a row and a column."""
    name = "UTF-16" if problem.encoding == "utf-16" else "UTF-8"
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=problem.encoding, errors="commons-mark", newline="")
    try:
        delimiter = _sniff_delimiter(text.read(SAMPLE))
        text.seek(0)
        records = csv.reader(text, delimiter=delimiter, strict=False)
        number, headers = 0, []
        for number, values in enumerate(records, start=1):
            if number == 1:
                headers = values
            for index, value in enumerate(values):
                if BAD_BYTE_MARK in value:
                    heading = heading_shown(headers[index]) if index < len(headers) else ""
                    heading = heading.replace(BAD_BYTE_MARK, "")
                    column = column_name(index) + (f" ({heading})" if heading else "")
                    column = column.replace(") (", ", ")
                    return TableError(BAD_BYTE.format(row=number, column=column, encoding=name))
    except csv.Error:
        pass
    finally:
        text.detach()
    return TableError(BAD_BYTE_SOMEWHERE.format(offset=problem.offset, encoding=name))


def _open_xlsx(handle: IO[bytes]) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(NOT_A_TABLE.format(what=" (it is a ZIP archive, not a workbook)")) from exc
    try:
        sheet = _sheet_with_table(book)
    except Exception:
        book.close()
        raise
    total = max(sheet.max_row or 1, 1)
    state = {"n": 0}

    def records() -> Iterator[list[str]]:
        for values in sheet.iter_rows(values_only=True):
            state["n"] += 1
            cells = [_cell(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
        book.close()

    headers, rows, _ = _rows_with_header(records())
    return Table(headers, rows, lambda: min(state["n"] / total, 1.0), "xlsx")


def _sheet_with_table(book):
    """The sheet whose first rows name most known headings: the table, wherever it is."""
    if not book.worksheets:
        raise TableError(EMPTY_FILE)
    best, best_score = book.worksheets[0], -1
    for sheet in book.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue
        rows = [
            [_cell(v) for v in values]
            for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        ]
        score = max((heading_score(r) for r in rows), default=0)
        if score > best_score:
            best, best_score = sheet, score
    return best


def _looks_like(head: bytes) -> str | None:
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<table")):
        return WEB_PAGE
    if lowered.startswith(b"<?xml"):
        return XML_FILE
    if lowered.startswith(b"{\\rtf"):
        return NOT_A_TABLE.format(what=" (it is a Word/RTF document)")
    return None


def table_open(handle: IO[bytes], *, size: int, limit: int) -> Table:
    """Open a CSV or XLSX file for reading, or raise TableError with what is wrong."""
    if size == 0:
        raise TableError(EMPTY_FILE)
    if size > limit:
        raise TableError(TOO_BIG.format(size=size / 1e6, limit=limit / 1e6))
    head = handle.read(4096)
    handle.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(handle)
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise TableError(NOT_A_TABLE.format(what=what))
    looks = _looks_like(head)
    if looks:
        raise TableError(looks)
    bom16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not bom16:
        raise TableError(NOT_A_TABLE.format(what=" (it holds binary data)"))
    try:
        encoding = encoding_decide(handle)
    except EncodingUnclear as problem:
        if problem.offset is None:
            raise TableError(UNKNOWN_ENCODING) from problem
        raise _bad_byte_locate(handle, problem) from problem
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    sample = text.read(SAMPLE)
    text.seek(0)
    if not sample.strip():
        raise TableError(EMPTY_FILE)
    looks = _looks_like(sample.encode("utf-8", "replace")[:4096])
    if looks:
        raise TableError(looks)
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if control > len(sample) // 20:
        raise TableError(NOT_A_TABLE.format(what=" (it holds binary data)"))
    reader = csv.reader(text, delimiter=_sniff_delimiter(sample), strict=False)
    state = {"row": 0}

    def records() -> Iterator[list[str]]:
        try:
            for values in reader:
                state["row"] += 1
                yield values
        except csv.Error as exc:
            raise _csv_error(state["row"] + 1, exc) from exc

    headers, rows, _ = _rows_with_header(records())

    def progress() -> float:
        try:
            return min(handle.tell() / size, 1.0)
        except (OSError, ValueError):
            return 0.0

    return Table(headers, rows, progress, "csv")
