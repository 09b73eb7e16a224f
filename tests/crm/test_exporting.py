"""Exports: real files read back (CSV with csv, XLSX with openpyxl). Text is written as text,
only what a spreadsheet would execute is neutralised, and every CSV starts with a BOM."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.db import connection

from crm import services
from crm.exporting import BOM, csv_cell, table_bytes

ROOT = Path(__file__).resolve().parent.parent.parent
PHONE = "+44 1723 555000"
FORMULA = '=HYPERLINK("http://x.example","Click")'


@pytest.mark.parametrize(
    "value",
    ["+44 1723 555000", "+44 (0)1723 555000", "+441723555000", "-12.5", "+1,000", "-",
     "Ryedale Carers", "O'Brien", "50% off", "", "a=b"],
)  # fmt: skip
def test_csv_leaves_values_a_spreadsheet_would_not_execute(value):
    """Phone numbers, signed numbers and ordinary text reach the CSV exactly as written."""
    assert csv_cell(value) == value


@pytest.mark.parametrize(
    "value",
    ["=1+1", "@SUM(A1)", "+A1", "-1+2", "-2+3*cmd|' /C calc'!A0", "\t=1", "\r=1", "-x", "+cmd"],
)
def test_csv_neutralises_what_a_spreadsheet_would_execute(value):
    """A cell a spreadsheet would run as a formula gets one leading apostrophe."""
    assert csv_cell(value) == "'" + value


def test_xlsx_writes_text_as_text_unchanged():
    """In XLSX a formula-looking or phone-number text is a text cell with no apostrophe."""
    data = table_bytes(["Name", "Phone", "Count"], [[FORMULA, PHONE, 3]], "xlsx", title="T")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[2]] == [FORMULA, PHONE, 3]
    assert [c.data_type for c in sheet[2]] == ["s", "s", "n"]


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_contact_export_keeps_phone_numbers_and_neutralises_formulas(
    client_for, user, member_a, at_a
):
    """The contacts export keeps +44 numbers as written in CSV and XLSX; a formula is
    neutralised in CSV and a plain text cell in XLSX."""
    services.contact_create(acting_user=None, first_name=FORMULA, last_name="Hart", phone=PHONE)
    connection.set_schema_to_public()
    client = client_for(user("staff-a"), member_a)
    rows = _csv_rows(client.get("/contacts/export.csv").content)
    header, row = rows[0], rows[1]
    assert row[header.index("Phone")] == PHONE
    assert row[header.index("First name")] == "'" + FORMULA
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/contacts/export.xlsx").content)).active
    header = [c.value for c in sheet[1]]
    cells = sheet[2]
    assert cells[header.index("Phone")].value == PHONE
    assert cells[header.index("First name")].value == FORMULA
    assert cells[header.index("First name")].data_type == "s"


HELPERS = {Path("crm/exporting.py"), Path("tenants/csvfile.py")}


def test_every_export_writes_through_the_one_helper():
    """No module outside crm/exporting.py and tenants/csvfile.py writes CSV or XLSX itself
    (csv.writer, tablib's export, openpyxl's Workbook), so every export gets the same
    neutralising and BOM."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "bench"} or relative in {
            Path("crm/exporting.py"),
            Path("tenants/csvfile.py"),
        }:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if name in {"writer", "DictWriter", "Workbook"} or (
                    name == "export"
                    and node.args
                    and getattr(node.args[0], "value", "") in {"csv", "xlsx"}
                ):
                    offenders.append(f"{relative}:{node.lineno} {name}")
    assert offenders == []
