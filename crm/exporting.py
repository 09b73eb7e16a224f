"""Exports of any list, as CSV or XLSX, with spreadsheet formulas neutralised."""

from __future__ import annotations

from typing import Any

import tablib
from django.db.models import QuerySet

from .resources import ContactResource, OrganisationResource

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def neutralise(value: Any) -> Any:
    """Prefix a cell that a spreadsheet would evaluate with an apostrophe, so it stays text.

    (django-import-export's own escaping removes a leading ``=`` only.)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def dataset_neutralise(dataset: tablib.Dataset) -> tablib.Dataset:
    clean = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        clean.append([neutralise(cell) for cell in row])
    return clean


def records_export(*, queryset: QuerySet, record_type: str, file_format: str) -> bytes:
    """The rows of ``queryset`` (already filtered by the selectors) as CSV or XLSX bytes."""
    resource = ContactResource() if record_type == "contact" else OrganisationResource()
    dataset = dataset_neutralise(resource.export(queryset=queryset))
    dataset.title = "Contacts" if record_type == "contact" else "Organisations"
    return dataset_bytes(dataset, file_format)


def dataset_bytes(dataset: Any, file_format: str) -> bytes:
    """A tablib dataset as a file's bytes. Text formats get a BOM so Excel reads UTF-8
    (accents, £) correctly when the file is double-clicked."""
    data = dataset.export(file_format)
    if isinstance(data, str):
        return ("\ufeff" + data).encode("utf-8")
    return data
