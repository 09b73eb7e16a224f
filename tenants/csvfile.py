"""CSV files of the whole project, made harmless in one place: a cell a spreadsheet would
run as a formula gets a leading apostrophe (OWASP's advice), and only such a cell; a phone
number or a signed number is left alone. Here, below every app, so tenants' own downloads
(the security events) and crm.exporting share it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

BOM = "\ufeff"
# Always run by Excel, LibreOffice or Sheets as a formula (or a DDE call), or able to hide
# one: =, @, and a leading tab or carriage return.
ALWAYS_EXECUTED = ("=", "@", "\t", "\r")
# A leading + or - starts a formula (``-2+3*cmd|…``, ``+A1``) unless the cell is a plain
# signed number (``-12.5``, ``+1,000``, a lone ``-``) or a phone number (``+44 1723 555000``,
# ``+44 (0)1723 555000``): digits, spaces and brackets only, so nothing to calculate.
PLAIN_SIGNED = re.compile(r"[+-](?:|\d+(?:[.,]\d+)*|\.\d+)|\+\(?\d[\d ()]*\d")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: prefixed with an apostrophe only if a spreadsheet would
    execute it (``=SUM(A1)``, ``@cmd``, ``-2+3*cmd|' /C calc'!A0``), otherwise unchanged
    (``+44 1723 555000``, ``-12.5``)."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(ALWAYS_EXECUTED):
        return "'" + value
    if value[0] in "+-" and not PLAIN_SIGNED.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file: UTF-8 with a BOM (so Excel reads accents and £ when the file is
    double-clicked), every cell through :func:`csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")


class CsvRows:
    """A CSV file written a row at a time to an open text file (one too big to build in
    memory: a subject access pack's section), with the BOM first and every cell through
    :func:`csv_cell`, as :func:`csv_bytes` does."""

    def __init__(self, handle: Any) -> None:
        handle.write(BOM)
        self._writer = csv.writer(handle)

    def writerow(self, cells: Sequence[Any]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in cells])
