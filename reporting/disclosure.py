"""Statistical disclosure control for aggregate tables: a pure module (no database).

A table is a grid of cells with its margins. Each cell carries how many organisations
contribute to it (``count``) and, for sums, their individual contributions. The rules, with
the consortium's settings (defaults in :class:`Rules`):

* primary suppression: a count below the threshold, a zero (disclosive by default), a sum
  failing the dominance test (largest contributor over 50 %, two largest over 67 %), and a
  cell whose difference from the same cell of a released table of the same
  cross-classification is below the threshold (differencing);
* secondary suppression, so that no suppressed cell can be worked out exactly from the
  released cells and margins.

Controlled rounding, the alternative to suppression, is in :mod:`reporting.rounding`.

Why the secondary rule is exact: with the margins published, the table's linear equations
(each row and each column adds up to its total) involve the suppressed cells as a bipartite
graph, rows and columns as vertices (totals included), suppressed cells as edges. A cell is
fixed by those equations exactly when its edge is a bridge (it lies on no cycle); every cycle
alternates signs consistently, so a cell on a cycle can move while every equation holds.
Secondary suppression therefore closes a cycle through each bridge, along the cheapest path
of small cells. For a one-way table (one equation: the cells add up to the total) a single
suppressed cell is fixed, so at least two are suppressed.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

TOTAL = "Total"


class Reason(StrEnum):
    LOW = "low"
    ZERO = "zero"
    DOMINANCE = "dominance"
    DIFFERENCING = "differencing"
    SECONDARY = "secondary"
    TOO_FEW_FOR_STATISTIC = "too_few"


EXPLANATIONS = {
    Reason.LOW: "fewer than {threshold} organisations",
    Reason.ZERO: "a zero can reveal something about every organisation in its row and column",
    Reason.DOMINANCE: "one or two organisations make up most of this sum",
    Reason.DIFFERENCING: (
        "it differs from a released table by fewer than {threshold} organisations"
    ),
    Reason.SECONDARY: "hidden so that another hidden cell cannot be worked out from the totals",
    Reason.TOO_FEW_FOR_STATISTIC: "a mean or median needs at least {threshold} contributors",
}
MARKER = "[c]"


@dataclass(frozen=True)
class Rules:
    threshold: int = 10
    zero_disclosive: bool = True
    dominance_one: float = 0.50
    dominance_two: float = 0.67
    mostly_blank: float = 0.5

    def explain(self, reason: Reason) -> str:
        return EXPLANATIONS[reason].format(threshold=self.threshold)


@dataclass
class Cell:
    count: int
    suppressed: bool = False
    reason: Reason | None = None
    contributions: list[float] = field(default_factory=list)

    def suppress(self, reason: Reason) -> None:
        if not self.suppressed:
            self.suppressed = True
            self.reason = reason


@dataclass
class Protected:
    """A protected table: ``grid[i][j]`` with margins in the last row and column (a one-way
    table has one column of cells and a total row)."""

    row_labels: list[str]
    col_labels: list[str]
    grid: list[list[Cell]]
    rules: Rules

    @property
    def one_way(self) -> bool:
        return len(self.grid[0]) == 1

    def interior(self) -> list[Cell]:
        rows = self.grid[:-1]
        return [c for row in rows for c in (row if self.one_way else row[:-1])]

    def all_cells(self) -> list[Cell]:
        return [c for row in self.grid for c in row]

    @property
    def suppressed_count(self) -> int:
        return sum(c.suppressed for c in self.all_cells())

    @property
    def mostly_blank(self) -> bool:
        cells = self.interior()
        return (
            bool(cells) and sum(c.suppressed for c in cells) / len(cells) > self.rules.mostly_blank
        )

    def keyed(self) -> dict[tuple[str, str], Cell]:
        rows = [*self.row_labels, TOTAL]
        cols = [*self.col_labels, TOTAL] if not self.one_way else [TOTAL]
        return {(rows[i], cols[j]): cell for i, row in enumerate(self.grid)
                for j, cell in enumerate(row)}  # fmt: skip


def _dominated(values: Sequence[float], rules: Rules) -> bool:
    total = sum(values)
    if total <= 0:
        return False
    top = sorted(values, reverse=True)
    return top[0] > rules.dominance_one * total or (
        len(top) > 1 and top[0] + top[1] > rules.dominance_two * total
    )


def _primary(cell: Cell, rules: Rules, dominance: bool) -> None:
    if cell.count == 0:
        if rules.zero_disclosive:
            cell.suppress(Reason.ZERO)
    elif cell.count < rules.threshold:
        cell.suppress(Reason.LOW)
    elif dominance and _dominated(cell.contributions, rules):
        cell.suppress(Reason.DOMINANCE)


def build_grid(counts: Sequence[Sequence[int]],
               contributions: Sequence[Sequence[Sequence[float]]] | None = None,
               ) -> list[list[Cell]]:  # fmt: skip
    """Cells with margins: the last row and column hold totals (one-way: a total row only)."""
    rows, cols = len(counts), len(counts[0])
    one_way = cols == 1

    def contrib(i: int, j: int) -> list[float]:
        return list(contributions[i][j]) if contributions else []

    grid = [[Cell(counts[i][j], contributions=contrib(i, j)) for j in range(cols)]
            for i in range(rows)]  # fmt: skip
    if not one_way:
        for i in range(rows):
            grid[i].append(Cell(sum(counts[i]), contributions=[
                v for j in range(cols) for v in contrib(i, j)]))  # fmt: skip
    width = len(grid[0])
    grid.append([
        Cell(sum(grid[i][j].count for i in range(rows)),
             contributions=[v for i in range(rows) for v in grid[i][j].contributions])
        for j in range(width)
    ])  # fmt: skip
    return grid


def protect(
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str] = (),
    counts: Sequence[Sequence[int]],
    rules: Rules = Rules(),
    contributions: Sequence[Sequence[Sequence[float]]] | None = None,
    released: Sequence[dict[tuple[str, str], int]] = (),
) -> Protected:
    """Apply every rule to a table of contributor counts.

    ``counts[i][j]`` counts the organisations in row i, column j (a one-way table has one
    column and empty ``col_labels``). ``contributions`` (for sums) turns on the dominance
    test. ``released`` are earlier released tables of the same cross-classification,
    as ``{(row label, column label or "Total"): count}`` of their released cells.
    """
    if not counts or not counts[0]:
        raise ValueError("A table needs at least one cell.")
    grid = build_grid(counts, contributions)
    table = Protected(list(row_labels), list(col_labels), grid, rules)
    for cell in table.all_cells():
        _primary(cell, rules, dominance=contributions is not None)
    keyed = table.keyed()
    for earlier in released:
        for key, old in earlier.items():
            same = keyed.get(key)
            if same is not None and 0 < abs(same.count - old) < rules.threshold:
                same.suppress(Reason.DIFFERENCING)
    if table.one_way:
        _secondary_one_way(grid)
    else:
        _secondary_two_way(grid)
    return table


def _secondary_one_way(grid: list[list[Cell]]) -> None:
    column = [row[0] for row in grid]
    hidden = [c for c in column if c.suppressed]
    if len(hidden) == 1:
        candidates = sorted((c for c in column[:-1] if not c.suppressed), key=lambda c: c.count)
        if candidates:
            candidates[0].suppress(Reason.SECONDARY)
        else:
            column[-1].suppress(Reason.SECONDARY)


def bridges(edges: set[tuple[int, int]], rows: int, cols: int) -> list[tuple[int, int]]:
    """Edges (row, column) of the bipartite graph that lie on no cycle (Tarjan)."""
    adjacency: dict[int, list[tuple[int, int]]] = {v: [] for v in range(rows + cols)}
    for index, (r, c) in enumerate(sorted(edges)):
        adjacency[r].append((rows + c, index))
        adjacency[rows + c].append((r, index))
    ordered = sorted(edges)
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    found: list[tuple[int, int]] = []
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        stack = [(root, -1, iter(adjacency[root]))]
        order[root] = low[root] = counter
        counter += 1
        while stack:
            vertex, via, neighbours = stack[-1]
            advanced = False
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if nxt in order:
                    low[vertex] = min(low[vertex], order[nxt])
                else:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        found.append(ordered[via])
    return found


def _cheapest_path(grid: list[list[Cell]], start_row: int, end_col: int) -> list[tuple[int, int]]:
    """Cells of the cheapest row-to-column path that avoids cell (start_row, end_col);
    hidden cells cost nothing, others their count (the grand total is a last resort)."""
    rows, cols = len(grid), len(grid[0])
    big = 10**12

    def cost(r: int, c: int) -> float:
        cell = grid[r][c]
        if cell.suppressed:
            return 0
        if r == rows - 1 and c == cols - 1:
            return big
        return cell.count + 1

    # Vertices: rows 0..rows-1, columns rows..rows+cols-1.
    start, goal = start_row, rows + end_col
    best = {start: 0.0}
    previous: dict[int, tuple[int, tuple[int, int]]] = {}
    heap = [(0.0, start)]
    while heap:
        dist, vertex = heapq.heappop(heap)
        if vertex == goal:
            break
        if dist > best.get(vertex, float("inf")):
            continue
        if vertex < rows:
            steps = [(rows + c, (vertex, c)) for c in range(cols)]
        else:
            c = vertex - rows
            steps = [(r, (r, c)) for r in range(rows)]
        for nxt, (r, c) in steps:
            if (r, c) == (start_row, end_col):
                continue
            candidate = dist + cost(r, c)
            if candidate < best.get(nxt, float("inf")):
                best[nxt] = candidate
                previous[nxt] = (vertex, (r, c))
                heapq.heappush(heap, (candidate, nxt))
    path = []
    vertex = goal
    while vertex != start:
        vertex, cell = previous[vertex]
        path.append(cell)
    return path


def _secondary_two_way(grid: list[list[Cell]]) -> None:
    rows, cols = len(grid), len(grid[0])
    while True:
        edges = {(r, c) for r in range(rows) for c in range(cols) if grid[r][c].suppressed}
        found = bridges(edges, rows, cols)
        if not found:
            return
        r, c = found[0]
        for pr, pc in _cheapest_path(grid, r, c):
            grid[pr][pc].suppress(Reason.SECONDARY)


def coarsen(labels: Sequence[str], totals: Sequence[int], threshold: int,
            other: str = "Other (combined)") -> dict[str, str]:  # fmt: skip
    """A coarser classification: categories whose totals are below the threshold are
    merged into one "other" category (with the next smallest, if that alone is small)."""
    small = [label for label, total in zip(labels, totals, strict=True) if total < threshold]
    if small and sum(t for label, t in zip(labels, totals, strict=True) if label in small) < (
        threshold
    ):
        rest = sorted((t, label) for label, t in zip(labels, totals, strict=True)
                      if label not in small)  # fmt: skip
        if rest:
            small.append(rest[0][1])
    return {label: (other if label in small else label) for label in labels}
