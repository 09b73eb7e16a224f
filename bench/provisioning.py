"""Provisioning benchmark: N members by cloning the template, N by running all migrations.

Also times django-tenants' own PL/pgSQL clone (CLONE_MODE schema only) for reference.
Needs DATABASE_URL (`make bench` starts the embedded server). Prints a table, and as its
last line one JSON object.

    python bench/provisioning.py [--members 20] [--library-clone 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from _django import setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument(
        "--library-clone",
        type=int,
        default=5,
        help="members cloned with django-tenants' PL/pgSQL function (0 skips)",
    )
    args = parser.parse_args()
    setup()

    from django.db import connection, transaction
    from django_tenants.clone import CloneSchema

    from tenants.bootstrap import consortium_bootstrap
    from tenants.models import Domain, Member, MemberKind
    from tenants.provisioning import clone_plan, template_schema_name
    from tenants.services import member_create

    consortium_bootstrap(verbosity=0)
    run = uuid.uuid4().hex[:6]
    made: list[Member] = []

    def table_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s", [template_schema_name()]
            )
            return cursor.fetchone()[0]

    # Warm the process (imports, catalog read) once, outside the timings, for both paths.
    clone_plan()

    clone_times = []
    for i in range(args.members):
        began = time.perf_counter()
        made.append(member_create(name=f"Bench clone {i}", slug=f"bc-{run}-{i}"))
        clone_times.append(time.perf_counter() - began)

    def row_and_domain(slug: str) -> Member:
        member = Member(
            kind=MemberKind.MEMBER, name=slug, slug=slug, schema_name=slug.replace("-", "_")
        )
        member.save()
        Domain.objects.create(domain=f"{slug}.localhost", tenant=member)
        return member

    migrate_times = []
    for i in range(args.members):
        began = time.perf_counter()
        with transaction.atomic():
            member = row_and_domain(f"bm-{run}-{i}")
        member.create_schema(check_if_exists=True, verbosity=0)  # the library's default path
        migrate_times.append(time.perf_counter() - began)
        made.append(member)

    library_times = []
    for i in range(args.library_clone):
        began = time.perf_counter()
        with transaction.atomic():
            member = row_and_domain(f"bl-{run}-{i}")
            CloneSchema().clone_schema(template_schema_name(), member.schema_name, "DATA")
        library_times.append(time.perf_counter() - began)
        made.append(member)
    connection.set_schema_to_public()

    tables = table_count()
    for member in made:
        member.delete(force_drop=True)

    def row(label: str, times: list[float]) -> str:
        if not times:
            return f"{label:<44} {'-':>8} {'-':>10} {'-':>10} {'-':>10}"
        return (
            f"{label:<44} {len(times):>8} {statistics.median(times) * 1000:>10.1f} "
            f"{min(times) * 1000:>10.1f} {max(times) * 1000:>10.1f}"
        )

    clone_median = statistics.median(clone_times)
    migrate_median = statistics.median(migrate_times)
    print(f"template schema: {tables} tables; server: {connection.pg_version // 10000}")
    print(f"{'path':<44} {'members':>8} {'median ms':>10} {'min ms':>10} {'max ms':>10}")
    print(row("ours: replay template DDL (one round trip)", clone_times))
    print(row("baseline: CREATE SCHEMA + all migrations", migrate_times))
    print(row("reference: django-tenants clone_schema()", library_times))
    print(f"speedup (median, migrations / ours): {migrate_median / clone_median:.1f}x")
    print(
        json.dumps(
            {
                "members": args.members,
                "clone_median_s": round(clone_median, 4),
                "migrate_median_s": round(migrate_median, 4),
                "speedup": round(migrate_median / clone_median, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
