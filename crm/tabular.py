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

NOT_A_TABLE = "This file is not a table{what}. Save it from your spreadsheet as CSV or XLSX."
EMPTY_FILE = "The file is empty."
TOO_BIG = "The file is {size:.1f} MB; the largest file an import takes is {limit:.0f} MB."
UNKNOWN_ENCODING = (
    "The file's characters could not be read as UTF-8 or Windows-1252. "
    "Save it as “CSV UTF-8” from Excel."
)
NO_HEADER = "The first row should name the columns, but it is empty."
BROKEN_CSV = "Row {row}: the file's quoting is broken ({detail})."

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


def _detect_encoding(handle: IO[bytes]) -> str:
    start = handle.read(3)
    handle.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(0)
            continue
        handle.seek(0)
        return encoding
    raise TableError(UNKNOWN_ENCODING)


def _sniff_delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _open_xlsx(handle: IO[bytes]) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(NOT_A_TABLE.format(what=" (it is a ZIP archive, not a workbook)")) from exc
    sheet = book.worksheets[0]
    total = max((sheet.max_row or 1) - 1, 1)
    rows_iter = sheet.iter_rows(values_only=True)
    header_row = next(rows_iter, None)
    if header_row is None:
        raise TableError(EMPTY_FILE)
    headers = [_cell(v) for v in header_row]
    while headers and not headers[-1]:
        headers.pop()
    state = {"n": 0}

    def rows() -> Iterator[Row]:
        for number, values in enumerate(rows_iter, start=2):
            state["n"] = number - 1
            cells = [_cell(v) for v in values]
            while len(cells) > len(headers) and not cells[-1]:
                cells.pop()
            yield Row(number, cells)
        book.close()

    return Table(headers, rows(), lambda: min(state["n"] / total, 1.0), "xlsx")


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
    if b"\x00" in head:
        raise TableError(NOT_A_TABLE.format(what=" (it holds binary data)"))
    encoding = _detect_encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    sample = text.read(8192)
    text.seek(0)
    if not sample.strip():
        raise TableError(EMPTY_FILE)
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if control > len(sample) // 20:
        raise TableError(NOT_A_TABLE.format(what=" (it holds binary data)"))
    reader = csv.reader(text, delimiter=_sniff_delimiter(sample), strict=False)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise TableError(EMPTY_FILE) from exc
    except csv.Error as exc:
        raise TableError(BROKEN_CSV.format(row=1, detail=exc)) from exc
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise TableError(NO_HEADER)

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for values in reader:
                number += 1
                yield Row(number, [v.strip() for v in values])
        except csv.Error as exc:
            raise TableError(BROKEN_CSV.format(row=number + 1, detail=exc)) from exc

    def progress() -> float:
        try:
            return min(handle.tell() / size, 1.0)
        except (OSError, ValueError):
            return 0.0

    return Table(headers, rows(), progress, "csv")
