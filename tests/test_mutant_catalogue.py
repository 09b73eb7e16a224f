"""The guard-mutation list stays in step with the code: every search text names one place in
its file, and every test it relies on exists (``make mutants`` runs the mutations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants.catalogue import MUTATIONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_each_guard_mutation_still_finds_its_guard(mutation):
    """The search text occurs exactly once in its file and changes it; its tests exist."""
    text = (ROOT / mutation.path).read_text(encoding="utf-8")
    assert text.count(mutation.search) == 1, f"{mutation.name}: guard moved or duplicated"
    assert mutation.search != mutation.replace
    for test in mutation.tests:
        path, _, name = test.partition("::")
        assert (ROOT / path).is_file(), f"{mutation.name}: {path} is missing"
        assert not name or f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), test


def test_mutation_names_are_unique():
    """Each mutation can be chosen by name (``--only``)."""
    names = [m.name for m in MUTATIONS]
    assert len(names) == len(set(names))
