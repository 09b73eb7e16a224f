"""What an import reports: its result (counts, problems, preview), and its refusal.

Tenant assumptions: none; these are plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm.columns import CONTACT_COLUMNS, ORGANISATION_COLUMNS

MAX_PROBLEMS_KEPT = 500
PREVIEW_ROWS = 20

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
