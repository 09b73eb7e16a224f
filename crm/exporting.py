"""Every export of the project (CSV or XLSX) goes through here, so a value a spreadsheet
would run as a formula is made harmless in one place, and nothing else is touched.

* XLSX: a cell written as text (``data_type = "s"``) is never a formula, whatever it
  starts with, so text is written as text, unchanged: ``+44 1723 555000`` stays exactly that.
* CSV has no types: the spreadsheet guesses, and runs ``=…``. There a cell that would be
  executed gets a leading apostrophe (OWASP's advice), and only such a cell: a phone number
  or a signed number is left alone.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import tablib
from django.db.models import QuerySet

from tenants.csvfile import BOM, csv_bytes, csv_cell  # noqa: F401 - the project's one export helper names them too

from .resources import ContactResource, OrganisationResource

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
# Characters XML 1.0 (so XLSX) cannot hold.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any) -> tuple[Any, str | None]:
    """The value to write and, for text, the type that keeps it text."""
    if value is None:
        return None, None
    if isinstance(value, bool | int | float | Decimal):
        return value, None
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the wall-clock time, as people saw it on the page.
        return (value.replace(tzinfo=None) if value.tzinfo else value), None
    if isinstance(value, dt.date | dt.time):
        return value, None
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return XML_ILLEGAL.sub("", str(value)), "s"


def xlsx_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    """An XLSX workbook of one sheet: a bold header row frozen at the top, text written as
    text (never a formula), numbers and dates as themselves."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\\/*?:\[\]]", "-", title or "Export")[:31] or "Export"
    bold = Font(bold=True)
    for row_number, row in enumerate([headers, *rows], start=1):
        for column_number, raw in enumerate(row, start=1):
            value, data_type = _xlsx_value(raw)
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            if data_type:
                cell.data_type = data_type  # after the value: openpyxl guesses "f" for "=…"
            if row_number == 1:
                cell.font = bold
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_bytes(
    headers: Sequence[Any], rows: Iterable[Sequence[Any]], file_format: str, *, title: str = ""
) -> bytes:
    """Rows as a CSV or XLSX file's bytes (``file_format`` is a key of :data:`FORMATS`)."""
    if file_format == "xlsx":
        return xlsx_bytes(headers, list(rows), title=title)
    if file_format == "csv":
        return csv_bytes(headers, rows)
    raise ValueError(f"Unknown export format: {file_format}")


def dataset_bytes(dataset: tablib.Dataset, file_format: str) -> bytes:
    """A tablib dataset as a CSV or XLSX file's bytes (see :func:`table_bytes`)."""
    return table_bytes(
        list(dataset.headers or []), list(dataset), file_format, title=dataset.title or ""
    )


def records_export(*, queryset: QuerySet, record_type: str, file_format: str) -> bytes:
    """The rows of ``queryset`` (already filtered by the selectors) as CSV or XLSX bytes.
    A contact whose processing is restricted (Art. 18) is never exported, whoever built the
    queryset."""
    if record_type == "contact":
        queryset = queryset.filter(processing_restricted_at__isnull=True)
    resource = ContactResource() if record_type == "contact" else OrganisationResource()
    dataset = resource.export(queryset=queryset)
    dataset.title = "Contacts" if record_type == "contact" else "Organisations"
    return dataset_bytes(dataset, file_format)
