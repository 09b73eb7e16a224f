"""Shared-directory search: the projection against a query-time federation, same run.

Builds M members x R contacts each, every member sharing its contacts with all members (one
agreement each, back-filled by the projection), then times a recipient's directory search:

* projection: ``sharing.selectors.shared_records_for`` (one public table, tiered search),
  page 1 (25 rows) and its result count (capped at 2,000, as the page shows "2,000+");
* federation (the rejected design): for each provider with an agreement in force, read its
  own schema applying the agreement's rules (not restricted, field allow-list) and the same
  word matching on its own trigram index, UNION ALL, ordered by name, page 1 and count.

Also times saving a shared contact against saving an unshared one (save_overhead).

    python bench/shared_search.py [--configs 17x20000,200x10000] [--repeat 3]

Last line: one JSON object (for the largest configuration).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from _django import setup

QUERIES = [
    "smith", "jones", "patel", "brown",  # broad surnames: tens of thousands of matches
    "olivia smith", "harry patel", "grace o'brien",  # full names
    "oliv", "bront", "mcken",  # partial names (prefixes)
    "person123", "@example.org", "person4567.",  # e-mail fragments
    "YO17", "HG1 2AB",  # postcodes
    "smyth", "brnte",  # typos
]  # fmt: skip
FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Harry", "George", "Noah", "Leo", "Grace", "Freya",
         "Oscar", "Arthur", "Muhammad", "Aoife", "Zoë", "Tomás", "Priya", "Jean-Luc"]  # fmt: skip
LAST = ["Smith", "Jones", "Patel", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Walker",
        "O'Brien", "Brontë", "McKenzie", "García", "Nowak", "Khan", "Hughes", "Wright"]  # fmt: skip
OUTWARD = ["YO1", "YO10", "YO17", "YO62", "HG1", "HG2", "BD23", "DL8", "YO8", "YO11", "YO21"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def build(members: int, records: int, run: str) -> list:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from sharing import services
    from tenants.models import Role
    from tenants.services import member_create, membership_add

    made = []
    for i in range(members):
        member = member_create(name=f"Bench share {run} {i}", slug=f"bs-{run}-{i}")
        # Only a member's manager makes and signs its agreements.
        manager = get_user_model().objects.create_user(username=f"bs-{run}-{i}-manager")
        membership_add(user=manager, member=member, role=Role.MANAGER)
        schema = member.schema_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO "{schema}".crm_contact (created_at, updated_at, title, first_name,
                    last_name, preferred_name, email, other_emails, phone, mobile,
                    address_line1, address_line2, town, county, postcode, notes,
                    is_restricted, legal_hold)
                SELECT now(), now(), '', (%(first)s::text[])[1 + (g * 7 + %(i)s) %% %(nf)s],
                       (%(last)s::text[])[1 + (g * 13 + %(i)s) %% %(nl)s], '',
                       'person' || g || '.' || %(i)s || '@example.org', '{{}}', '', '',
                       '', '', 'Malton', '',
                       (%(out)s::text[])[1 + g %% %(no)s] || ' ' || (1 + g %% 9) || 'AB',
                       'private notes', g %% 97 = 0, false
                  FROM generate_series(1, %(n)s) AS g
                """,
                {"first": FIRST, "last": LAST, "out": OUTWARD, "nf": len(FIRST),
                 "nl": len(LAST), "no": len(OUTWARD), "n": records, "i": i},
            )  # fmt: skip
        agreement = services.agreement_create(
            provider=member, acting_user=manager, recipient_ids=[], all_members=True,
            title="Directory", purpose="directory", record_types=["contact"],
            contact_fields=["first_name", "last_name", "email", "postcode"],
            requires_consent=False,
        )  # fmt: skip
        services.agreement_propose(agreement=agreement, acting_user=manager)
        services.agreement_sign(agreement=agreement, member=member, acting_user=manager)
        made.append(member)
        print(f"\r  built {i + 1}/{members} members", end="", flush=True)
    print()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE public.sharing_sharedrecord")
    return made


def federation_page(recipient, query: str) -> tuple[list, int]:
    """The rejected design: read every provider's schema at query time."""
    from django.db import connection

    from sharing.selectors import agreements_received_by

    agreements = list(agreements_received_by(member=recipient).select_related("provider"))
    words = [w for w in query.lower().replace("@", " @").split() if w.strip()]
    parts, params = [], []
    for agreement in agreements:
        schema = agreement.provider.schema_name
        conditions = " AND ".join(
            "r.search_text LIKE '%%' || public.commons_fold(%s) || '%%'" for _ in words
        )
        parts.append(
            f"SELECT r.id, {agreement.provider_id} AS provider, "
            f"r.first_name || ' ' || r.last_name AS name, r.email, r.postcode "
            f'FROM "{schema}".crm_contact r WHERE NOT r.is_restricted AND {conditions}'
        )
        params.extend(words)
    union = " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({union}) u ORDER BY name, id LIMIT 25", params)
        page = cursor.fetchall()
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM ({union}) u LIMIT 2001) c", params)
        count = cursor.fetchone()[0]
    return page, count


def projection_page(recipient, query: str) -> tuple[list, int]:
    from django.core.paginator import Paginator

    from sharing.selectors import shared_records_for

    page = Paginator(shared_records_for(member=recipient, search=query), 25).get_page(1)
    return list(page.object_list), page.paginator.count


def time_queries(fn, recipient, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for query in QUERIES:
            began = time.perf_counter()
            fn(recipient, query)
            times.append((time.perf_counter() - began) * 1000)
    return times


def save_overhead(shared_member, repeat: int = 100) -> float:
    """Median time to save a shared contact over that of an unshared one."""
    from django.db import connection

    from crm import services as crm
    from crm.models import Contact
    from tenants.services import member_create

    plain = member_create(name="Bench unshared", slug=f"bu-{uuid.uuid4().hex[:6]}")

    def timed(member) -> float:
        connection.set_tenant(member)
        if not Contact.objects.exists():
            crm.contact_create(acting_user=None, first_name="Save", last_name="Me")
        contact = Contact.objects.filter(is_restricted=False).first()
        times = []
        for i in range(repeat):
            began = time.perf_counter()
            crm.contact_update(contact=contact, acting_user=None, first_name=f"Save{i}")
            times.append(time.perf_counter() - began)
        connection.set_schema_to_public()
        return statistics.median(times)

    unshared = timed(plain)
    shared = timed(shared_member)
    plain.delete(force_drop=True)
    return shared / unshared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="17x20000,200x10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--detail", action="store_true", help="median per query")
    parser.add_argument("--keep", action="store_true", help="leave the data for inspection")
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from sharing.models import Agreement, AgreementParty, SharedRecord
    from tenants.bootstrap import consortium_bootstrap
    from tenants.models import Membership

    consortium_bootstrap(verbosity=0)
    rows = []
    for config in args.configs.split(","):
        members, records = (int(x) for x in config.split("x"))
        run = uuid.uuid4().hex[:5]
        made = build(members, records, run)
        recipient = made[0]
        total = SharedRecord.objects.count()
        for query in QUERIES:  # warm both paths once
            projection_page(recipient, query)
            federation_page(recipient, query)
        projection = time_queries(projection_page, recipient, args.repeat)
        federation = time_queries(federation_page, recipient, args.repeat)
        if args.detail:
            n = len(QUERIES)
            for i, query in enumerate(QUERIES):
                p = statistics.median(projection[i::n])
                f = statistics.median(federation[i::n])
                print(f"  {query!r:<18} projection {p:7.1f} ms   federation {f:8.1f} ms")
        overhead = save_overhead(made[1])
        rows.append({
            "members": members, "records": total,
            "projection_p50_ms": statistics.median(projection),
            "projection_p95_ms": percentile(projection, 0.95),
            "federation_p50_ms": statistics.median(federation),
            "federation_p95_ms": percentile(federation, 0.95),
            "save_overhead": overhead,
        })  # fmt: skip
        connection.set_schema_to_public()
        if args.keep:
            continue
        ids = [m.pk for m in made]
        SharedRecord.objects.filter(provider_id__in=ids).delete()
        AgreementParty.objects.filter(member_id__in=ids).delete()
        Agreement.objects.filter(provider_id__in=ids).delete()
        managers = Membership.objects.filter(member_id__in=ids)
        manager_ids = list(managers.values_list("user_id", flat=True))
        managers.delete()
        get_user_model().objects.filter(pk__in=manager_ids).delete()
        for member in made:
            member.delete(force_drop=True)

    print(f"{'members':>8} {'shared':>10} {'proj p50':>9} {'proj p95':>9} {'fed p50':>9} "
          f"{'fed p95':>9} {'p95 speedup':>12} {'save overhead':>14}")  # fmt: skip
    for r in rows:
        print(f"{r['members']:>8} {r['records']:>10,} {r['projection_p50_ms']:>9.1f} "
              f"{r['projection_p95_ms']:>9.1f} {r['federation_p50_ms']:>9.1f} "
              f"{r['federation_p95_ms']:>9.1f} "
              f"{r['federation_p95_ms'] / r['projection_p95_ms']:>11.1f}x "
              f"{r['save_overhead']:>13.2f}x")  # fmt: skip
    last = rows[-1]
    print(
        json.dumps(
            {
                "members": last["members"],
                "records": last["records"],
                "projection_p95_ms": round(last["projection_p95_ms"], 1),
                "federation_p95_ms": round(last["federation_p95_ms"], 1),
                "speedup": round(last["federation_p95_ms"] / last["projection_p95_ms"], 1),
                "save_overhead": round(last["save_overhead"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
