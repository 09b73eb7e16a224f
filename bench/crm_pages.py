"""CRM page benchmark: with 50,000 contacts in a member, the contact list, a search and a
contact page, served through the real middleware stack (Django's test client: routing by
host, sessions, membership check, templates).

    python bench/crm_pages.py [--contacts 50000] [--repeat 40]

Prints p50/p95 per page and the most SQL queries any one request made. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from _django import setup

SEARCHES = [
    "smith",
    "brnte",
    "patel",
    "YO17",
    "person123",
    "garcia jones",
    "aoife o'brien",
    "HG1 2AB",
    "person4567.1@example.org",
    "lefevre",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    setup()
    from _members import bench_member, contacts_csv
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.importing import records_import
    from crm.models import Contact
    from tenants.services import membership_add

    # As in production: DEBUG off, static files collected and served from the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    results: dict[str, list[float]] = {"list": [], "search": [], "detail": []}
    max_queries = {"list": 0, "search": 0, "detail": 0}
    with bench_member("pages") as member, tempfile.TemporaryDirectory() as tmp:
        user, _ = get_user_model().objects.get_or_create(username="bench-pages-staff")
        membership_add(user=user, member=member)
        path = os.path.join(tmp, "contacts.csv")
        size = contacts_csv(path, args.contacts, seed=7)
        connection.set_tenant(member)
        with open(path, "rb") as handle:
            records_import(handle=handle, size=size, acting_user=user)
        ids = list(Contact.objects.order_by("?").values_list("pk", flat=True)[: args.repeat])
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{member.schema_name}".crm_contact')
        client = Client(HTTP_HOST=member.primary_domain_name)
        client.force_login(user)

        def timed(kind: str, path: str, params: dict | None = None) -> None:
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(path, params or {})
                elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (path, response.status_code)
            results[kind].append(elapsed)
            max_queries[kind] = max(max_queries[kind], len(queries))

        for _ in range(3):  # warm caches, templates, connection
            timed("list", "/contacts/")
        results["list"].clear()
        for i in range(args.repeat):
            timed("list", "/contacts/", {"page": str(1 + i % 50)})
            timed("search", "/contacts/", {"q": SEARCHES[i % len(SEARCHES)]})
            timed("detail", f"/contacts/{ids[i % len(ids)]}/")
        connection.set_schema_to_public()

    print(
        f"member with {args.contacts:,} contacts; {args.repeat} requests per page; "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'max SQL queries':>16}")
    for kind in ("list", "search", "detail"):
        print(
            f"{kind:<10} {statistics.median(results[kind]):>8.1f} "
            f"{percentile(results[kind], 0.95):>8.1f} {max_queries[kind]:>16}"
        )
    print(
        json.dumps(
            {
                "list_p95_ms": round(percentile(results["list"], 0.95), 1),
                "search_p95_ms": round(percentile(results["search"], 0.95), 1),
                "detail_p95_ms": round(percentile(results["detail"], 0.95), 1),
                "max_queries": max(max_queries.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
