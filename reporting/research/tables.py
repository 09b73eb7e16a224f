"""Aggregate tables of a snapshot (counts, percentages, means, medians), every disclosure
rule applied, or controlled rounding instead of suppression; each one logged as an output.

Tenant assumptions: public schema only (snapshots and outputs live there).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from reporting.disclosure import MARKER, TOTAL, Protected, Rules, build_grid, coarsen, protect
from reporting.models import (
    DisclosureSettings,
    OutputKind,
    OutputStatus,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
    Snapshot,
)
from reporting.pooling import loads
from reporting.rounding import controlled_round

from .access import project_require_open, project_require_researcher
from .codebook import Variable, codebook, labels_order, value_label, variable_find
from .snapshots import active_research_agreements, snapshot_get

MEASURES = {"count": "Count of organisations", "percent": "Percentage of the row",
            "mean": "Mean", "median": "Median"}  # fmt: skip
NEEDS_VALUE = "Choose a numeric answer for a mean or median."
ROUNDING_BASE = 5
ROUNDING_COUNTS_ONLY = "Controlled rounding applies to counts of organisations only."


def _grouped(snapshot: Snapshot, row_var: Variable, col_var: Variable | None,
             value_var: Variable | None) -> list[tuple]:  # fmt: skip
    """Counts per (row value, column value) of the snapshot's organisations whose agreement
    is still in force, with the numeric answers of each group for means and medians. The
    grouping runs in SQL; values come back as JSON text."""
    params: list[Any] = [row_var.name]
    column = "NULL::jsonb"
    if col_var is not None:
        column = f"{col_var.source}->%s"
        params.append(col_var.name)
    number, numbers = "NULL::float8", "NULL::float8[]"
    if value_var is not None:
        number = ("CASE WHEN jsonb_typeof(answers->%s) = 'number' "
                  "THEN (answers->>%s)::float8 END")  # fmt: skip
        numbers = "array_agg(v) FILTER (WHERE v IS NOT NULL)"
        params += [value_var.name, value_var.name]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r, c, count(*), {numbers} FROM (SELECT {row_var.source}->%s AS r, "
            f"{column} AS c, {number} AS v FROM public.reporting_snapshotrow "
            "WHERE snapshot_id = %s AND agreement_id = ANY(%s)) AS x GROUP BY r, c",
            [*params, snapshot.pk, active_research_agreements()],
        )
        return cursor.fetchall()


def _released_counts(project: ResearchProject, query: dict[str, Any]) -> list[dict]:
    """Released tables of the same cross-classification in this project (drafts do not
    count), as their released contributor counts."""
    same = ResearchOutput.objects.filter(
        project=project, kind=OutputKind.TABLE, status=OutputStatus.RELEASED,
        dataset_id=query["dataset"], year=query["year"], query__rows=query["rows"],
        query__cols=query.get("cols", ""), query__coarse=query.get("coarse", False),
    )  # fmt: skip
    # Counts and percentages count organisations; means and medians count those who gave
    # that numeric answer: compare like with like.
    if query["measure"] in ("mean", "median"):
        same = same.filter(query__measure__in=["mean", "median"], query__value=query["value"])
    else:
        same = same.filter(query__measure__in=["count", "percent"])
    found = []
    for output in same:
        counts = output.result.get("released_counts", {})
        found.append({tuple(key.split("\x1f")): value for key, value in counts.items()})
    return found


def table_compute(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  rows: str, cols: str = "", measure: str = "count", value: str = "",
                  coarse: bool = False, rounding: bool = False,
                  rules: Rules | None = None) -> dict[str, Any]:  # fmt: skip
    """An aggregate table of the snapshot with every disclosure rule applied; returns the
    result as stored in the output log."""
    rules = rules or DisclosureSettings.current().rules()
    if measure not in MEASURES:
        raise ValidationError("Choose a measure from the list.")
    variables = codebook(dataset=dataset, year=year)
    row_var = variable_find(variables, rows)
    col_var = variable_find(variables, cols) if cols else None
    for var in (row_var, col_var):
        if var is not None and not var.is_dimension:
            raise ValidationError(f"{var.label} cannot be a row or column of a table.")
    value_var = None
    if measure in ("mean", "median"):
        value_var = variable_find(variables, value) if value else None
        if value_var is None or value_var.kind != "number":
            raise ValidationError(NEEDS_VALUE)
    snapshot = snapshot_get(project, dataset, year)
    groups = []
    for r_raw, c_raw, n, numbers in _grouped(snapshot, row_var, col_var, value_var):
        r = value_label(row_var, loads(r_raw))
        c = value_label(col_var, loads(c_raw)) if col_var else TOTAL
        groups.append((r, c, n, [float(x) for x in numbers or []]))
    row_labels = labels_order(row_var, {r for r, *_ in groups})
    col_labels = labels_order(col_var, {c for _, c, *_ in groups}) if col_var else []
    if coarse and groups:
        row_totals: Counter = Counter()
        col_totals: Counter = Counter()
        for r, c, n, _ in groups:
            row_totals[r] += n
            col_totals[c] += n
        row_map = coarsen(row_labels, [row_totals[x] for x in row_labels], rules.threshold)
        col_map = {TOTAL: TOTAL}
        if col_var:
            col_map = coarsen(col_labels, [col_totals[x] for x in col_labels], rules.threshold)
        groups = [(row_map[r], col_map[c], n, v) for r, c, n, v in groups]
        row_labels = list(dict.fromkeys(row_map[x] for x in row_labels))
        col_labels = list(dict.fromkeys(col_map[x] for x in col_labels)) if col_var else []
    if not row_labels:
        raise ValidationError("The snapshot holds no responses to tabulate.")
    width = len(col_labels) or 1
    r_index = {label: i for i, label in enumerate(row_labels)}
    c_index = {label: j for j, label in enumerate(col_labels)} if col_var else {TOTAL: 0}
    values: list[list[list[float]]] = [[[] for _ in range(width)] for _ in row_labels]
    counts = [[0] * width for _ in row_labels]
    for r, c, n, numbers in groups:
        i, j = r_index[r], c_index[c]
        # A mean or median counts the organisations that gave the numeric answer.
        counts[i][j] += len(numbers) if value_var else n
        values[i][j].extend(numbers)
    query = {"dataset": dataset.pk, "year": year, "rows": rows, "cols": cols,
             "measure": measure, "value": value, "coarse": coarse}  # fmt: skip
    if rounding:
        if measure != "count":
            raise ValidationError(ROUNDING_COUNTS_ONLY)
        return _rounded_result(row_labels, col_labels, counts, {**query, "rounding": True},
                               rules)  # fmt: skip
    table = protect(row_labels=row_labels, col_labels=col_labels, counts=counts, rules=rules,
                    released=_released_counts(project, query))  # fmt: skip
    return _result(table, values, measure, query, rules)


def _rounded_result(row_labels: list[str], col_labels: list[str], counts: list[list[int]],
                    query: dict, rules: Rules) -> dict[str, Any]:  # fmt: skip
    """The table by controlled rounding instead of suppression: every figure a multiple of
    the base within one base of the truth, rows and columns still adding up."""
    grid = [[cell.count for cell in row] for row in build_grid(counts)]
    rounded = controlled_round(grid, ROUNDING_BASE)
    return {
        "query": query, "rows": row_labels, "cols": col_labels, "measure": "count",
        "cells": [[{"value": v, "hidden": False, "reason": ""} for v in row] for row in rounded],
        # Rounded figures are not exact counts: later tables are not differenced against them.
        "released_counts": {}, "suppressed": 0, "mostly_blank": False, "explanations": {},
        "marker": MARKER, "threshold": rules.threshold, "rounded_to": ROUNDING_BASE,
    }  # fmt: skip


def _margin_values(values: list[list[list[float]]]) -> list[list[list[float]]]:
    rows, cols = len(values), len(values[0])
    one_way = cols == 1
    grid = [row[:] + ([] if one_way else [[v for cell in row for v in cell]]) for row in values]
    width = len(grid[0])
    grid.append([[v for i in range(rows) for v in grid[i][j]] for j in range(width)])
    return grid


def _result(table: Protected, values: list[list[list[float]]], measure: str,
            query: dict[str, Any], rules: Rules) -> dict[str, Any]:  # fmt: skip
    grid = table.grid
    stats = _margin_values(values) if measure in ("mean", "median") else None
    width = len(grid[0])
    cells = []
    for i, row in enumerate(grid):
        out = []
        for j, cell in enumerate(row):
            shown: float | int | None = None
            if not cell.suppressed:
                if measure == "count":
                    shown = cell.count
                elif measure == "percent":
                    denominator = row[-1] if width > 1 else grid[-1][0]
                    if not denominator.suppressed and denominator.count:
                        shown = round(100 * cell.count / denominator.count, 1)
                elif stats is not None:
                    data = stats[i][j]
                    summary = statistics.fmean if measure == "mean" else statistics.median
                    shown = round(summary(data), 2) if data else None
            reason = cell.reason.value if cell.reason else ""
            if shown is None and not reason and measure == "percent":
                reason = "denominator"
            out.append({"value": shown, "hidden": shown is None, "reason": reason})
        cells.append(out)
    released_counts = {
        f"{key[0]}\x1f{key[1]}": cell.count for key, cell in table.keyed().items()
        if not cell.suppressed
    }  # fmt: skip
    explanations = {r.value: rules.explain(r) for r in {c.reason for c in table.all_cells()
                                                        if c.reason}}  # fmt: skip
    if any(c["reason"] == "denominator" for row in cells for c in row):
        explanations["denominator"] = "its row total is hidden"
    return {
        "query": query, "rows": table.row_labels, "cols": table.col_labels,
        "measure": measure, "cells": cells, "released_counts": released_counts,
        "suppressed": sum(c["hidden"] for row in cells for c in row),
        "mostly_blank": table.mostly_blank, "explanations": explanations, "marker": MARKER,
        "threshold": rules.threshold,
    }  # fmt: skip


@transaction.atomic
def table_produce(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  researcher: Any, **spec: Any) -> ResearchOutput:  # fmt: skip
    """Compute a table and log it (who, project, dataset, query, cells suppressed)."""
    project_require_open(project)
    project_require_researcher(project, researcher)
    result = table_compute(project=project, dataset=dataset, year=year, **spec)
    return ResearchOutput.objects.create(
        project=project, dataset=dataset, year=year, researcher=researcher,
        kind=OutputKind.TABLE, query=result["query"], result=result,
        suppressed_cells=result["suppressed"], status=OutputStatus.PASSED,
    )  # fmt: skip
