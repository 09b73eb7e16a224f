"""Reporting benchmark: 17 members holding the demo data ×10, and 50,000 survey responses
pooled for research through research agreements.

    python bench/reporting.py [--members 17] [--scale 10] [--responses 50000] [--repeat 30]

Times (p50/p95) the consortium-wide aggregate reports as an admin loads them (the page,
through the real middleware: per-member aggregate SQL combined in Python), against a
baseline that counts the same thing by fetching each member's rows into Python; and a
researcher's two-way table with every disclosure rule (snapshot, differencing lookup,
suppression, the output log), against the same table as a bare GROUP BY with no disclosure
control. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections import Counter

from _django import setup


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times


ORG_COLUMNS = (
    "name, other_names, org_type, email, phone, address_line1, address_line2, town, "
    "postcode, district, website, areas_of_work, beneficiaries, income_band, "
    "membership_status, notes, created_at, updated_at, created_by_id, updated_by_id"
)
CONTACT_COLUMNS = (
    "title, first_name, last_name, preferred_name, email, other_emails, phone, "
    "mobile, address_line1, address_line2, town, county, postcode, date_of_birth, "
    "notes, owner_id, is_restricted, created_at, updated_at, created_by_id, "
    "updated_by_id"
)
INTERACTION_COLUMNS = (
    "kind, date, duration_minutes, staff_id, summary, notes, outcome, follow_up_date, created_at"
)


def scale_up(schema: str, factor: int) -> None:
    """Copy the member's organisations, contacts and interactions until there are ×factor
    (copies carry no identifiers, so they never collide with the originals)."""
    from django.db import connection

    s = f'"{schema}"'
    with connection.cursor() as cursor:
        for table, columns in (("crm_organisation", ORG_COLUMNS),
                               ("crm_contact", CONTACT_COLUMNS),
                               ("crm_interaction", INTERACTION_COLUMNS)):  # fmt: skip
            cursor.execute(
                f"INSERT INTO {s}.{table} ({columns}) SELECT {columns} FROM {s}.{table}, "
                "generate_series(2, %s)",
                [factor],
            )
            cursor.execute(f"ANALYZE {s}.{table}")


def survey_at(schema: str, responses: int, seed: int) -> None:
    """A State of the Sector wave, answered by ``responses`` organisations (SQL, in bulk)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from surveys import services

    with schema_context(schema):
        survey = services.survey_create(acting_user=None, title="State of the Sector",
                                        code="state-of-the-sector", year=2026)  # fmt: skip
        wave = survey.waves.get()
        section = services.section_add(wave=wave, acting_user=None, title="About")
        services.question_add(
            wave=wave,
            acting_user=None,
            section=section,
            code="finances",
            text="Finances",
            kind="single",
            choices=["Better", "About the same", "Worse"],
        )
        services.question_add(wave=wave, section=section, code="paid-staff", text="Staff",
                              kind="number", acting_user=None)  # fmt: skip
        services.question_add(wave=wave, section=section, code="needs", text="Needs",
                              kind="text", acting_user=None)  # fmt: skip
        # Forty services, most rare: a table of them by locality has small cells to hide.
        services.question_add(
            wave=wave,
            acting_user=None,
            section=section,
            code="service",
            text="Main service",
            kind="single",
            choices=[f"Service {i:02d}" for i in range(1, 41)],
        )
        services.wave_set_status(wave=wave, acting_user=None, status="open")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [seed / 100])
            cursor.execute(
                f"""
                INSERT INTO "{schema}".surveys_response
                    (wave_id, organisation_id, answers, research_consent, consent_wording,
                     source, submitted_at)
                SELECT %s, o.id,
                       jsonb_build_object(
                         'finances', (ARRAY['Better','About the same','Worse'])
                                     [1 + floor(random() * 3)::int],
                         'paid-staff', floor(random() * 30)::int,
                         'needs', 'Funding advice',
                         'service', 'Service ' || lpad((1 + floor(40 * random() ^ 10))::int::text,
                                                      2, '0')),
                       true, '', 'link', now() - random() * interval '60 days'
                  FROM "{schema}".crm_organisation o ORDER BY o.id LIMIT %s
                """,
                [wave.pk, responses],
            )
            cursor.execute(f'ANALYZE "{schema}".surveys_response')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=17)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from crm.demo_data import member_demo_fill
    from reporting import research
    from reporting.models import PooledResponse, ResearchDataset, ResearchProject
    from sharing import services as sharing
    from sharing.models import Agreement
    from tenants.bootstrap import consortium_bootstrap
    from tenants.districts import districts
    from tenants.models import Member, Role
    from tenants.roles import CONSORTIUM_ADMINS, RESEARCHERS
    from tenants.services import member_create, membership_add

    call_command("collectstatic", interactive=False, verbosity=0)
    consortium_bootstrap(verbosity=0)
    tag = uuid.uuid4().hex[:6]
    users = get_user_model().objects
    admin = users.create_user(username=f"bench-admin-{tag}")
    admin.groups.add(Group.objects.get(name=CONSORTIUM_ADMINS))
    researcher = users.create_user(username=f"bench-researcher-{tag}")
    researcher.groups.add(Group.objects.get(name=RESEARCHERS))
    manager = users.create_user(username=f"bench-manager-{tag}")
    admin, researcher = users.get(pk=admin.pk), users.get(pk=researcher.pk)
    members: list[Member] = []
    began = time.perf_counter()
    try:
        places = districts()
        for i in range(args.members):
            member = member_create(name=f"Bench reporting {i} {tag}", slug=f"rep{i}-{tag}")
            members.append(member)
            membership_add(user=manager, member=member, role=Role.MANAGER)
            with schema_context(member.schema_name):
                member_demo_fill(member_slug=f"bench-{i}", manager=manager, staff=None,
                                 district_name=places[i % len(places)].name)  # fmt: skip
            scale_up(member.schema_name, args.scale)
            connection.set_schema_to_public()
        # Responses shared out over the members, none answering more than it has organisations.
        sizes = {}
        with connection.cursor() as cursor:
            for member in members:
                cursor.execute(f'SELECT count(*) FROM "{member.schema_name}".crm_organisation')
                sizes[member.pk] = cursor.fetchone()[0]
        share, left = {m.pk: 0 for m in members}, args.responses
        while left > 0 and any(share[k] < sizes[k] for k in share):
            open_members = [k for k in share if share[k] < sizes[k]]
            each = max(1, left // len(open_members))
            for k in open_members:
                step = min(each, sizes[k] - share[k], left)
                share[k] += step
                left -= step
        for i, member in enumerate(members):
            survey_at(member.schema_name, share[member.pk], seed=i)
            connection.set_schema_to_public()
        activations: list[float] = []
        dataset = ResearchDataset.objects.create(
            title=f"Bench {tag}", survey_code="state-of-the-sector"
        )
        for member in members:
            agreement = sharing.agreement_create(
                provider=member, acting_user=manager, recipient_ids=[], all_members=True,
                title="Research", purpose="research", record_types=["organisation"],
                organisation_fields=["district", "org_type", "identifiers"],
            )  # fmt: skip
            research.research_terms_set(
                agreement=agreement, dataset=dataset, free_text_questions=[], acting_user=manager
            )
            sharing.agreement_propose(agreement=agreement, acting_user=manager)
            signed = time.perf_counter()
            sharing.agreement_sign(agreement=agreement, member=member, acting_user=manager)
            activations.append((time.perf_counter() - signed) * 1000)
        pooled = PooledResponse.objects.filter(dataset=dataset).count()
        project = research.project_create(
            acting_user=admin, title=f"Bench {tag}", purpose="Benchmark",
            ethics_reference="BENCH", end_date="2099-01-01", researcher_ids=[researcher.pk],
            dataset_ids=[dataset.pk],
        )  # fmt: skip
        snapshot = research.snapshot_take(project=project, dataset=dataset, year=2026,
                                          acting_user=researcher)  # fmt: skip
        kept = snapshot.rows.count()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE public.reporting_snapshotrow")
            cursor.execute("ANALYZE public.reporting_pooledresponse")
        setup_seconds = time.perf_counter() - began

        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        results: dict[str, list[float]] = {}

        def page(name: str):
            def load() -> None:
                response = client.get("/reports/", {"report": name})
                assert response.status_code == 200, response.status_code

            return load

        for name in ("districts", "quarters", "surveys"):
            results[f"report:{name}"] = timed(page(name), args.repeat)

        def baseline_report() -> None:
            counts: Counter = Counter()
            for member in Member.organisations.filter(is_active=True):
                with schema_context(member.schema_name):
                    from crm.models import Interaction

                    for day in Interaction.objects.values_list("date", flat=True).iterator(
                        chunk_size=5000
                    ):
                        counts[(member.pk, day.year, (day.month - 1) // 3)] += 1

        results["baseline:quarters"] = timed(baseline_report, max(5, args.repeat // 3))

        def research_table() -> None:
            research.table_produce(
                project=project,
                dataset=dataset,
                year=2026,
                researcher=researcher,
                rows="district",
                cols="finances",
            )

        results["research:table"] = timed(research_table, args.repeat)

        def research_sparse_table() -> None:
            research.table_produce(
                project=project,
                dataset=dataset,
                year=2026,
                researcher=researcher,
                rows="service",
                cols="district",
            )

        results["research:sparse table"] = timed(research_sparse_table, args.repeat)

        def baseline_table() -> None:
            active = list(Agreement.objects.filter(status="active", purpose="research")
                          .values_list("pk", flat=True))  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attributes->>'district', answers->>'finances', count(*) "
                    "FROM public.reporting_snapshotrow WHERE snapshot_id = %s "
                    "AND agreement_id = ANY(%s) GROUP BY 1, 2",
                    [snapshot.pk, active],
                )
                cursor.fetchall()

        results["baseline:table"] = timed(baseline_table, args.repeat)
        samples = [
            research.table_compute(project=project, dataset=dataset, year=2026, rows=rows,
                                   cols=cols)
            for rows, cols in (("district", "finances"), ("service", "district"))
        ]  # fmt: skip
    finally:
        connection.set_schema_to_public()
        from reporting.models import ResearchOutput, ResearchTerms, Snapshot

        ResearchOutput.objects.filter(project__title=f"Bench {tag}").delete()
        Snapshot.objects.filter(project__title=f"Bench {tag}").delete()
        ResearchProject.objects.filter(title=f"Bench {tag}").delete()
        PooledResponse.objects.filter(dataset__title=f"Bench {tag}").delete()
        ResearchTerms.objects.filter(dataset__title=f"Bench {tag}").delete()
        ResearchDataset.objects.filter(title=f"Bench {tag}").delete()
        for member in members:
            Agreement.objects.filter(provider=member).delete()
            member.memberships.all().delete()
            member.delete(force_drop=True)

    report_p95 = max(percentile(results[f"report:{n}"], 0.95)
                     for n in ("districts", "quarters", "surveys"))  # fmt: skip
    print(
        f"{args.members} members, demo data ×{args.scale}; {pooled:,} survey responses pooled, "
        f"{kept:,} kept after matching organisations across members; set-up "
        f"{setup_seconds:.0f} s; PostgreSQL {connection.pg_version // 10000}"
    )
    print(
        f"activating a research agreement (back-fill of one member's responses into the "
        f"pool, in the signing transaction): median {statistics.median(activations):.0f} ms, "
        f"slowest {max(activations):.0f} ms"
    )
    for name, sample in zip(("table", "sparse table"), samples, strict=True):
        cells = sum(len(row) for row in sample["cells"])
        print(
            f"{name}: {sample['query']['rows']} ({len(sample['rows'])}) × "
            f"{sample['query']['cols']} ({len(sample['cols'])}), with margins: "
            f"{sample['suppressed']} of {cells} cells hidden"
        )
    print(f"{'measure':<34} {'p50 ms':>8} {'p95 ms':>8}")
    for key, values in results.items():
        print(f"{key:<34} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}")
    quarters = percentile(results["report:quarters"], 0.95)
    base_q = percentile(results["baseline:quarters"], 0.95)
    table = max(
        percentile(results["research:table"], 0.95),
        percentile(results["research:sparse table"], 0.95),
    )
    base_t = percentile(results["baseline:table"], 0.95)
    print(f"quarters report page vs rows fetched into Python: {base_q / quarters:.1f}× faster")
    print(
        f"research tables (the slower) with disclosure control vs a bare GROUP BY: "
        f"{table / base_t:.1f}× the time (the cost of the rules and the log)"
    )
    print(
        json.dumps(
            {
                "consortium_report_p95_ms": round(report_p95, 1),
                "research_table_p95_ms": round(table, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
