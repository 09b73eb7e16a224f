"""Disclosure control, for all tables hypothesis can think of: no released cell below the
threshold, and no suppressed cell recoverable exactly from the released cells and margins
(checked by solving the table's linear equations with exact rational arithmetic)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.disclosure import Reason, Rules, bridges, coarsen, protect

RULES = Rules()
small_or_not = st.one_of(st.integers(0, 12), st.integers(10, 60))


def rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gaussian elimination over the rationals."""
    matrix = [row[:] for row in rows if any(row)]
    rank_found = 0
    width = len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((i for i in range(rank_found, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank_found], matrix[pivot] = matrix[pivot], matrix[rank_found]
        for i in range(len(matrix)):
            if i != rank_found and matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[rank_found][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank_found],
                                                            strict=True)]  # fmt: skip
        rank_found += 1
    return rank_found


def equations(grid_shape: tuple[int, int], one_way: bool) -> list[list[tuple[int, int, int]]]:
    """Each published equation as (row, column, coefficient) terms summing to zero."""
    rows, cols = grid_shape
    if one_way:
        return [[(r, 0, 1) for r in range(rows - 1)] + [(rows - 1, 0, -1)]]
    found = []
    for r in range(rows):
        found.append([(r, c, 1) for c in range(cols - 1)] + [(r, cols - 1, -1)])
    for c in range(cols):
        found.append([(r, c, 1) for r in range(rows - 1)] + [(rows - 1, c, -1)])
    return found


def recoverable(table) -> list[tuple[int, int]]:
    """Suppressed cells whose value the released cells and margins fix exactly: x_k is fixed
    iff the unit vector e_k lies in the row space of the system over the unknowns."""
    grid = table.grid
    unknowns = [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
                if cell.suppressed]  # fmt: skip
    if not unknowns:
        return []
    index = {cell: i for i, cell in enumerate(unknowns)}
    system = []
    for equation in equations((len(grid), len(grid[0])), table.one_way):
        row = [Fraction(0)] * len(unknowns)
        for r, c, coefficient in equation:
            if (r, c) in index:
                row[index[(r, c)]] += coefficient
        system.append(row)
    base = rank(system)
    fixed = []
    for i, cell in enumerate(unknowns):
        unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
        if rank([*system, unit]) == base:
            fixed.append(cell)
    return fixed


def check(table, rules: Rules = RULES) -> None:
    for cell in table.all_cells():
        if not cell.suppressed:
            assert cell.count >= rules.threshold, "a released cell is below the threshold"
        if cell.count == 0:
            assert cell.suppressed, "a zero was released"
    assert recoverable(table) == []


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6).flatmap(
    lambda cols: st.lists(st.lists(small_or_not, min_size=cols, max_size=cols),
                          min_size=1, max_size=6)))  # fmt: skip
def test_two_way_tables_never_release_small_or_recoverable_cells(counts):
    """Random two-way (and one-way) tables: every released cell is at least the threshold,
    and the linear system of the published margins fixes no suppressed cell."""
    labels = [f"r{i}" for i in range(len(counts))]
    cols = [f"c{j}" for j in range(len(counts[0]))] if len(counts[0]) > 1 else []
    table = protect(row_labels=labels, col_labels=cols, counts=counts)
    check(table)


@settings(max_examples=150, deadline=None)
@given(st.lists(small_or_not, min_size=1, max_size=10))
def test_one_way_tables_hide_at_least_two_or_none(counts):
    """A one-way table hides no cell, or at least two (one alone is the total minus the rest)."""
    table = protect(row_labels=[str(i) for i in range(len(counts))],
                    counts=[[c] for c in counts])  # fmt: skip
    hidden = sum(cell.suppressed for cell in table.all_cells())
    assert hidden != 1
    check(table)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(10, 40), min_size=3, max_size=3), min_size=3, max_size=3),
    st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=3, max_size=3),
)
def test_differencing_against_a_released_table(before, change):
    """A new table that differs from a released one by fewer than the threshold in any cell
    hides that cell (and protects it): no small difference is derivable from the two."""
    labels, cols = ["a", "b", "c"], ["x", "y", "z"]
    first = protect(row_labels=labels, col_labels=cols, counts=before)
    released = {key: cell.count for key, cell in first.keyed().items() if not cell.suppressed}
    after = [[b + d for b, d in zip(rb, rd, strict=True)] for rb, rd in
             zip(before, change, strict=True)]  # fmt: skip
    second = protect(row_labels=labels, col_labels=cols, counts=after, released=[released])
    for key, cell in second.keyed().items():
        if not cell.suppressed and key in released:
            difference = abs(cell.count - released[key])
            assert difference == 0 or difference >= RULES.threshold
    check(second)


def test_dominance_hides_sums_that_one_or_two_organisations_make():
    """A sum where one contributor is over half, or two are over two-thirds, is hidden."""
    one = [100.0] + [5.0] * 11
    two = [40.0, 40.0] + [3.0] * 10
    fine = [10.0] * 12
    table = protect(row_labels=["a", "b", "c"], counts=[[12], [12], [12]],
                    contributions=[[one], [two], [fine]])  # fmt: skip
    reasons = [row[0].reason for row in table.grid[:-1]]
    assert reasons[:2] == [Reason.DOMINANCE, Reason.DOMINANCE]
    assert not table.grid[2][0].suppressed  # two hidden cells protect each other
    check(table)


def test_threshold_and_zero_rule_follow_the_consortium_settings():
    """A consortium may set another threshold, and treat zeros as safe."""
    rules = Rules(threshold=5, zero_disclosive=False)
    table = protect(row_labels=["a", "b", "c"], counts=[[6], [0], [7]], rules=rules)
    assert not any(cell.suppressed for cell in table.all_cells())
    strict = protect(row_labels=["a", "b", "c"], counts=[[6], [0], [7]])
    assert strict.grid[1][0].reason == Reason.ZERO


def test_mostly_blank_tables_are_flagged_and_coarsening_merges_small_categories():
    table = protect(row_labels=["a", "b", "c"], col_labels=["x", "y"],
                    counts=[[3, 2], [1, 4], [30, 2]])  # fmt: skip
    assert table.mostly_blank
    merged = coarsen(["a", "b", "c", "d"], [5, 3, 40, 12], 10)
    assert merged == {"a": "Other (combined)", "b": "Other (combined)",
                      "c": "c", "d": "Other (combined)"}  # fmt: skip


def test_bridges_in_a_cycle_and_a_tail():
    """A 4-cycle has no bridge; an extra pendant edge is one."""
    cycle = {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert bridges(cycle, 3, 3) == []
    assert bridges(cycle | {(2, 1)}, 3, 3) == [(2, 1)]


def test_the_checker_finds_a_cell_that_primary_suppression_alone_leaves_exposed():
    """Without secondary suppression one small cell is the row total minus the rest: the
    checker above must see that (so its silence on protected tables means something)."""
    from reporting.disclosure import Protected, build_grid

    grid = build_grid([[3, 20], [15, 25]])
    grid[0][0].suppress(Reason.LOW)
    exposed = Protected(["a", "b"], ["x", "y"], grid, RULES)
    assert recoverable(exposed) == [(0, 0)]
    protected = protect(row_labels=["a", "b"], col_labels=["x", "y"], counts=[[3, 20], [15, 25]])
    assert protected.suppressed_count >= 4
    check(protected)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(
    lambda cols: st.lists(st.lists(st.integers(0, 40), min_size=cols, max_size=cols),
                          min_size=1, max_size=5)), st.sampled_from([3, 5, 10]))  # fmt: skip
def test_controlled_rounding_keeps_tables_adding_up(counts, base):
    """Every rounded cell is a multiple of the base next to the true value (exact multiples
    unchanged), and the rounded rows and columns add up to their rounded totals."""
    from reporting.disclosure import build_grid
    from reporting.rounding import controlled_round

    grid = [[cell.count for cell in row] for row in build_grid(counts)]
    rounded = controlled_round(grid, base)
    for true_row, row in zip(grid, rounded, strict=True):
        for true, value in zip(true_row, row, strict=True):
            assert value % base == 0
            assert abs(value - true) < base
    if len(grid[0]) == 1:
        assert sum(row[0] for row in rounded[:-1]) == rounded[-1][0]
    else:
        for row in rounded:
            assert sum(row[:-1]) == row[-1]
        for c in range(len(rounded[0])):
            assert sum(row[c] for row in rounded[:-1]) == rounded[-1][c]
