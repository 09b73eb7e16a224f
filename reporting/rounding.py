"""Controlled rounding of an aggregate table: the alternative to suppression, a pure module
(no database). Every figure goes to a multiple of the base next to it, and rows and columns
still add up to their rounded totals, so nothing is hidden and no figure is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise


def controlled_round(grid_counts: Sequence[Sequence[int]], base: int) -> list[list[int]]:
    """Controlled rounding of a table with its margins (last row and column are totals, or a
    single column with a total row): every cell goes to a multiple of ``base`` next to it
    (exact multiples stay), and rows and columns still add up to their rounded totals.

    Fractional parts are moved around cycles of the bipartite graph of not-yet-rounded cells
    (rows and columns as vertices, a total entering its equation with the opposite sign) until
    each is 0 or 1. Every vertex's equation sums to a whole number, so a vertex never has a
    single fractional cell: while any is left there is a cycle. Each step rounds at least one
    cell, taking the shorter move around the cycle (so cells tend to go to the nearer multiple).
    """
    rows, cols = len(grid_counts), len(grid_counts[0])
    one_way = cols == 1
    whole = [[c // base for c in row] for row in grid_counts]
    frac = {(r, c): Fraction(grid_counts[r][c] % base, base)
            for r in range(rows) for c in range(cols)}  # fmt: skip

    def vertices(r: int, c: int) -> list[tuple[str, int, int]]:
        """The equations a cell is in, with its sign in each: ("row", i) and ("col", j)."""
        if one_way:
            return [("col", 0, -1 if r == rows - 1 else 1)]
        return [("row", r, -1 if c == cols - 1 else 1), ("col", c, -1 if r == rows - 1 else 1)]

    while True:
        open_cells = [cell for cell, f in frac.items() if 0 < f < 1]
        if not open_cells:
            break
        adjacency: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for cell in open_cells:
            for kind, index, _ in vertices(*cell):
                adjacency.setdefault((kind, index), []).append(cell)
        cycle = _find_cycle(adjacency, open_cells, vertices, one_way)
        # Directions so that every equation on the cycle keeps its sum.
        directions = [1]
        shared = _shared_vertices(cycle, vertices)
        for (a, b_cell), vertex in zip(pairwise(cycle), shared, strict=True):
            sign_a = next(s for k, i, s in vertices(*a) if (k, i) == vertex)
            sign_b = next(s for k, i, s in vertices(*b_cell) if (k, i) == vertex)
            directions.append(-sign_a * directions[-1] * sign_b)
        up = min((1 - frac[c]) if d > 0 else frac[c] for c, d in zip(cycle, directions,
                                                                      strict=True))  # fmt: skip
        down = min(frac[c] if d > 0 else (1 - frac[c]) for c, d in zip(cycle, directions,
                                                                        strict=True))  # fmt: skip
        step = up if up <= down else -down
        for cell, d in zip(cycle, directions, strict=True):
            frac[cell] += step * d
    return [[base * (whole[r][c] + int(frac[(r, c)])) for c in range(cols)] for r in range(rows)]


def _shared_vertices(cycle, vertices) -> list[tuple[str, int]]:
    shared = []
    for a, b in pairwise(cycle):
        va = {(k, i) for k, i, _ in vertices(*a)}
        vb = {(k, i) for k, i, _ in vertices(*b)}
        shared.append(sorted(va & vb)[0])
    return shared


def _find_cycle(adjacency, open_cells, vertices, one_way) -> list[tuple[int, int]]:
    """A closed walk of distinct cells, consecutive cells sharing an equation, last and first
    sharing one too. One-way tables have one equation: any two open cells form a cycle."""
    if one_way:
        return sorted(open_cells)[:2]
    start = open_cells[0]
    start_vertex = ("row", start[0])
    # Depth-first search over vertices, alternating row and column equations.
    stack = [(("col", start[1]), [start], {start_vertex, ("col", start[1])})]
    while stack:
        vertex, path, seen = stack.pop()
        for cell in adjacency.get(vertex, []):
            if cell in path:
                continue
            other = next((k, i) for k, i, _ in vertices(*cell) if (k, i) != vertex)
            if other == start_vertex and len(path) >= 2:
                return [*path, cell]
            if other in seen:
                continue
            stack.append((other, [*path, cell], seen | {other}))
    raise AssertionError("fractional cells without a cycle: the table does not add up")
