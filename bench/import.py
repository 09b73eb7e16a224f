"""Import benchmark: our import path against django-import-export's default (non-bulk)
resource, in the same run, on a generated contacts CSV.

    python bench/import.py [--rows 100000] [--default-rows 10000] [--memory-rows 0]

The default path runs row by row (~hundreds of rows a second), so it is timed on
``--default-rows`` rows of the same file; its rate does not depend on the file's length.
Peak memory is measured in a child process that runs only our import; ``--memory-rows
1000000`` repeats that on a million rows to show memory does not grow with the file.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _django import setup

HERE = Path(__file__).resolve().parent


def ours_child(path: str, schema: str) -> None:
    """Run only our import, then print rows, seconds and peak RSS (MB) as JSON."""
    setup()
    from django.db import connection

    from crm.importing import records_import
    from tenants.models import Member

    member = Member.objects.get(schema_name=schema)
    connection.set_tenant(member)
    began = time.perf_counter()
    with open(path, "rb") as handle:
        result = records_import(handle=handle, size=os.path.getsize(path), acting_user=None)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = result.new + result.updated + result.unchanged
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))


def run_ours(path: str, schema: str) -> dict:
    # The upload limit is a site setting; the benchmark lifts it for its million-row file.
    env = {**os.environ, "COMMONS_IMPORT_MAX_BYTES": str(10**10)}
    out = subprocess.run(
        [sys.executable, str(HERE / "import.py"), "--child", path, "--schema", schema],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if out.returncode:
        sys.exit(f"our import failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_default(path: str, rows: int) -> tuple[int, float]:
    import tablib
    from django.db import connection

    from crm.resources import ContactResource

    with open(path, encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    dataset = tablib.Dataset().load("".join(lines), format="csv")
    resource_ = ContactResource()
    began = time.perf_counter()
    result = resource_.import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.perf_counter() - began
    assert not result.has_errors(), result.row_errors()[:3]
    connection.set_schema_to_public()
    return rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--default-rows", type=int, default=10_000)
    parser.add_argument("--memory-rows", type=int, default=0)
    parser.add_argument("--child")
    parser.add_argument("--schema")
    args = parser.parse_args()
    if args.child:
        ours_child(args.child, args.schema)
        return
    setup()
    from _members import bench_member, contacts_csv
    from django.db import connection

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "contacts.csv")
        size = contacts_csv(path, args.rows)
        with bench_member("imp-ours") as member:
            ours = run_ours(path, member.schema_name)
        with bench_member("imp-default") as member:
            connection.set_tenant(member)
            default_rows, default_seconds = run_default(path, min(args.default_rows, args.rows))
        memory = None
        if args.memory_rows:
            big = os.path.join(tmp, "million.csv")
            big_size = contacts_csv(big, args.memory_rows, seed=2)
            with bench_member("imp-mem") as member:
                memory = run_ours(big, member.schema_name)

    ours_rate = ours["rows"] / ours["seconds"]
    default_rate = default_rows / default_seconds
    print(f"file: {args.rows:,} rows, {size / 1e6:.1f} MB; server: PostgreSQL "
          f"{connection.pg_version // 10000}")  # fmt: skip
    print(f"{'path':<48} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak MB':>8}")
    print(f"{'ours: stream, check, COPY + set-based merge':<48} {ours['rows']:>10,} "
          f"{ours['seconds']:>9.1f} {ours_rate:>10,.0f} {ours['peak_mb']:>8.0f}")  # fmt: skip
    print(f"{'django-import-export default resource':<48} {default_rows:>10,} "
          f"{default_seconds:>9.1f} {default_rate:>10,.0f} {'-':>8}")  # fmt: skip
    if memory:
        print(f"{'ours, memory check':<48} {memory['rows']:>10,} {memory['seconds']:>9.1f} "
              f"{memory['rows'] / memory['seconds']:>10,.0f} {memory['peak_mb']:>8.0f}"
              f"   ({big_size / 1e6:.0f} MB file)")  # fmt: skip
    print(f"speedup: {ours_rate / default_rate:.1f}x")
    print(
        json.dumps(
            {
                "rows": ours["rows"],
                "ours_rows_per_s": round(ours_rate),
                "default_rows_per_s": round(default_rate),
                "speedup": round(ours_rate / default_rate, 1),
                "peak_rss_mb": round(max(ours["peak_mb"], memory["peak_mb"] if memory else 0)),
            }
        )
    )


if __name__ == "__main__":
    main()
