"""Consortium-wide reports of aggregate counts, built per member schema.

Each member's schema is asked aggregate SQL (GROUP BY with counts) that reads only
non-personal columns (district, interaction dates and types, survey invitation and response
counts); the per-member results are combined here. No query joins two members' schemas.

Tenant assumptions: any schema; each query names its member's schema explicitly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import connection

from sharing.projection import quote
from tenants.models import Member

REPORTS = {
    "districts": "Organisations supported per locality, per member",
    "quarters": "Interactions per quarter, per member",
    "surveys": "Survey invitations and responses, per member",
}


@dataclass
class CrossTable:
    title: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], int]

    def row_total(self, row: str) -> int:
        return sum(self.cells.get((row, c), 0) for c in self.cols)

    def col_total(self, col: str) -> int:
        return sum(self.cells.get((r, col), 0) for r in self.rows)

    def col_totals(self) -> list[int]:
        return [self.col_total(c) for c in self.cols]

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def as_rows(self) -> list[tuple[str, list[int], int]]:
        return [(r, [self.cells.get((r, c), 0) for c in self.cols], self.row_total(r))
                for r in self.rows]  # fmt: skip


def _members() -> list[Member]:
    return list(Member.organisations.filter(is_active=True).order_by("name"))


def _per_member(sql: str, params: list | None = None) -> dict[str, list[tuple]]:
    """Run one aggregate query (with ``{s}`` for the schema) in each member's schema."""
    found: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        for member in _members():
            cursor.execute(sql.format(s=quote(member.schema_name)), params or [])
            found[member.name] = cursor.fetchall()
    return found


def organisations_by_district() -> CrossTable:
    results = _per_member(
        "SELECT coalesce(nullif(district, ''), 'Not recorded'), count(*) "
        "FROM {s}.crm_organisation GROUP BY 1"
    )
    return _cross(REPORTS["districts"], results)


def interactions_by_quarter(*, since: date | None = None) -> CrossTable:
    since = since or date(date.today().year - 2, 1, 1)  # noqa: DTZ011 - a calendar bound
    results = _per_member(
        "SELECT to_char(date_trunc('quarter', date), 'YYYY \"Q\"Q'), count(*) "
        "FROM {s}.crm_interaction WHERE date >= %s GROUP BY 1",
        [since],
    )
    return _cross(REPORTS["quarters"], results)


def survey_coverage() -> CrossTable:
    results = _per_member(
        "SELECT 'Invited', count(*) FROM {s}.surveys_invitation "
        "UNION ALL SELECT 'Responded', count(*) FROM {s}.surveys_response"
    )
    return _cross(REPORTS["surveys"], results, cols=["Invited", "Responded"])


def _cross(title: str, results: dict[str, list[tuple]], *,
           cols: list[str] | None = None) -> CrossTable:  # fmt: skip
    cells: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[str] = set()
    for member, rows in results.items():
        for key, n in rows:
            cells[(member, key)] += n
            seen.add(key)
    return CrossTable(title, list(results), cols or sorted(seen), dict(cells))


def report(name: str) -> CrossTable:
    builders = {"districts": organisations_by_district, "quarters": interactions_by_quarter,
                "surveys": survey_coverage}  # fmt: skip
    if name not in builders:
        raise KeyError(name)
    return builders[name]()
