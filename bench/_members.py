"""A throwaway member for a benchmark, removed afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


@contextlib.contextmanager
def bench_member(prefix: str) -> Iterator:
    from django.db import connection

    from tenants.bootstrap import consortium_bootstrap
    from tenants.services import member_create

    consortium_bootstrap(verbosity=0)
    member = member_create(name=f"Benchmark {prefix}", slug=f"{prefix}-{uuid.uuid4().hex[:6]}")
    try:
        yield member
    finally:
        connection.set_schema_to_public()
        member.memberships.all().delete()
        member.delete(force_drop=True)


def contacts_csv(path, rows: int, seed: int = 1) -> int:
    """Write a realistic contacts CSV of ``rows`` rows; returns its size in bytes."""
    import csv
    import random

    rng = random.Random(seed)
    firsts = (
        "Aoife Zoë Jean-Luc Priya Tomás Oliver Amelia Harry Isla George Ava Noah Mia Leo Freya "
        "Arthur Grace"
    ).split()
    lasts = (
        "O'Brien Brontë-Smith Lefèvre Patel García Smith Jones Taylor Brown Wilson Evans Thomas "
        "Roberts Walker Wright"
    ).split()
    outward = ["YO1", "YO10", "YO17", "YO62", "HG1", "HG4", "BD23", "DL8", "YO8", "YO11"]
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "First name",
                "Last name",
                "Email",
                "Phone",
                "Postcode",
                "Town",
                "Organisation",
                "Do Not Email",
            ]
        )
        for i in range(rows):
            first, last = rng.choice(firsts), rng.choice(lasts)
            writer.writerow(
                [
                    first,
                    last,
                    f"person{i}.{seed}@example.org",
                    f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                    f"{rng.choice(outward)} {rng.randint(1, 9)}{''.join(rng.sample(letters, 2))}",
                    "Malton",
                    f"Group {rng.randint(1, 2000)}",
                    "yes" if rng.random() < 0.05 else "",
                ]
            )
    import os

    return os.path.getsize(path)
