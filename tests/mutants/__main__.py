"""Apply each guard mutation of ``catalogue.py`` in turn and check that its tests fail.

    python -m tests.mutants [--only NAME ...] [--list] [--no-baseline]

(``make mutants`` runs it against the embedded database.) The work happens in a temporary
copy of the working tree, so the checkout is never edited; in the copy each mutated file is
restored (and checked byte for byte) before the next mutation. Before any mutation, the
listed tests must pass on the unmutated copy, or "killed" would mean nothing.

Exits non-zero if a mutation survives, if a search text is not found exactly once, if the
tests cannot run, or if the baseline fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .catalogue import MUTATIONS, Mutation

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
TIMEOUT = 600  # one mutation's tests
BASELINE_TIMEOUT = 2400  # every listed test at once, unmutated: far more of them


@dataclass
class Outcome:
    mutation: Mutation
    verdict: str
    seconds: float
    detail: str = ""


def working_tree_files() -> list[str]:
    """Tracked files plus new ones not ignored: the code as it stands, committed or not."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode()  # fmt: skip
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def copy_tree(target: Path) -> None:
    for name in working_tree_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


# The baseline run saves its test database (migrated, the world built) under this name, and
# every mutation's run starts from a copy of it (tests/conftest.py): a few seconds each
# instead of migrating and building the world again.
TEMPLATE = "commons_mutants_template"


def run_tests(
    tree: Path,
    tests: tuple[str, ...],
    *,
    env: dict[str, str] | None = None,
    timeout: int = TIMEOUT,
) -> tuple[int, float, str]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*PYTEST, *tests], cwd=tree, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - started, f"timed out after {timeout} s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    failed = [line.split(" - ")[0] for line in lines if line.startswith(("FAILED", "ERROR"))]
    summary = lines[-1] if lines else done.stderr[-300:]
    return done.returncode, time.monotonic() - started, " ".join([summary, *failed[:1]])


def apply(tree: Path, mutation: Mutation) -> bytes | None:
    """Write the mutated file into the copy; the original bytes, or None if the search text
    is not found exactly once."""
    path = tree / mutation.path
    original = path.read_bytes()
    text = original.decode("utf-8")
    if text.count(mutation.search) != 1:
        return None
    path.write_text(text.replace(mutation.search, mutation.replace), encoding="utf-8")
    return original


def template_drop(tree: Path) -> None:
    """Drop the baseline's saved test database (what is left of a run, however it ended)."""
    code = (
        "import django; django.setup(); from django.db import connection\n"
        "with connection._nodb_cursor() as c:\n"
        f"    c.execute('DROP DATABASE IF EXISTS \"{TEMPLATE}\"')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "consortium.settings.test"},
    )  # fmt: skip


def mutate(tree: Path, mutation: Mutation, env: dict[str, str] | None = None) -> Outcome:
    source = (ROOT / mutation.path).read_bytes()
    original = apply(tree, mutation)
    if original is None:
        found = source.decode("utf-8").count(mutation.search)
        return Outcome(mutation, "NOT FOUND", 0.0, f"search text found {found} times")
    try:
        code, seconds, last = run_tests(tree, mutation.tests, env=env)
    finally:
        (tree / mutation.path).write_bytes(original)
        shutil.rmtree(tree / Path(mutation.path).parent / "__pycache__", ignore_errors=True)
    if (tree / mutation.path).read_bytes() != source:
        raise SystemExit(f"Could not restore {mutation.path} in {tree}; stopping.")
    # Only failing tests kill a mutant: a collection error (2) or a run that never ended (-1)
    # says the mutation broke something else, not that a test noticed the guard was gone.
    if code == 1:
        return Outcome(mutation, "killed", seconds, last)
    if code == 0:
        return Outcome(mutation, "SURVIVED", seconds, last)
    return Outcome(mutation, "ERROR", seconds, f"pytest exit code {code}: {last}")


def _files(tests: tuple[str, ...]) -> str:
    """The test files a mutation runs, with how many named tests of each (all if none)."""
    counts: dict[str, int] = {}
    for test in tests:
        path, _, name = test.partition("::")
        counts[Path(path).name] = counts.get(Path(path).name, 0) + (1 if name else 0)
    return ", ".join(f"{f} ({n})" if n else f for f, n in counts.items())


def table(outcomes: list[Outcome]) -> str:
    head = ("mutation", "file", "tests run", "result", "seconds")
    rows = [
        (o.mutation.name, o.mutation.path, _files(o.mutation.tests),
         o.verdict, f"{o.seconds:.1f}")
        for o in outcomes
    ]  # fmt: skip
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__)
    parser.add_argument("--only", action="append", default=[], help="a mutation's name")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list or not chosen:
        for m in MUTATIONS:
            print(f"{m.name}: {m.path} ({m.why})")
        return 0 if chosen else 2
    if not os.environ.get("DATABASE_URL"):
        print("DATABASE_URL is not set: run `make mutants` (it starts the embedded database).")
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="commons-mutants-") as scratch:
        tree = Path(scratch)
        copy_tree(tree)
        env: dict[str, str] = {}
        try:
            if not args.no_baseline:
                tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
                code, seconds, last = run_tests(
                    tree,
                    tests,
                    env={"COMMONS_TEST_DB_SAVE_AS": TEMPLATE},
                    timeout=BASELINE_TIMEOUT,
                )
                print(f"baseline (no mutation), {len(tests)} files: {last} ({seconds:.1f} s)")
                if code != 0:
                    print("The tests fail without any mutation; fix them first.")
                    return 1
                env = {"COMMONS_TEST_DB_TEMPLATE": TEMPLATE}
            outcomes = []
            for mutation in chosen:
                # A mutated migration must run: its tests build their database afresh.
                fresh = "/migrations/" in mutation.path
                outcome = mutate(tree, mutation, None if fresh else env)
                print(f"{outcome.verdict:>9}  {mutation.name}  ({outcome.seconds:.1f} s) "
                      f"{outcome.detail}", flush=True)  # fmt: skip
                outcomes.append(outcome)
        finally:
            template_drop(tree)
    print()
    print(table(outcomes))
    bad = [o for o in outcomes if o.verdict != "killed"]
    total = time.monotonic() - started
    print(f"\n{len(outcomes) - len(bad)} of {len(outcomes)} mutations killed in {total:.0f} s.")
    for o in bad:
        print(f"{o.verdict}: {o.mutation.name} ({o.mutation.path}): {o.mutation.why}. {o.detail}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
