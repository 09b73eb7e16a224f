"""People's rights across the consortium (issue 14): the lookup, subject access packs, an
erasure, a retention run and a member's exit export, each through the rights services a
lead's click calls (no HTTP), against a baseline measured in the same run.

Builds M members x R contacts each (set-based SQL: contacts, one interaction each spread
over eight years, a consent for one in five; 30 % of contacts inactive for more than three
years), then the person keys with the routing part's back-fill. One person is held by three
members: the first shares its whole directory with every member (a projection of each
contact), the person has interactions (alone and with someone else), a consent and a
registration at another member's event, and a fourth member copied them into its own CRM.

* lookup: ``rights.routing_services.person_lookup`` (keyed hashes in the public schema,
  audited) over a bounded mix of e-mail, phone and name+postcode questions, hits and misses.
  Baseline: the federation a consortium without Commons would do, one query per member
  schema on that schema's own indexes (lower(e-mail), postcode; phone has none), the values
  typed exactly as stored (kinder to it than life: it cannot normalise "+44 ..." or accents).
* sar: ``request_open`` for the person, then ``rights.packs.pack_build`` for each of the three
  holders' tasks (target: under 60 s for the three).
* erasure: ``rights.erasure.person_erase`` at the sharing member, with its projections and
  the copier's Art. 19 notice (target: under 1 s).
* retention: ``rights.retention_services.retention_run`` over one member with its four
  schedules in use (target: under 60 s).
* exit export: ``member_exit_export_start`` then the queue's job
  (``rights.exit_jobs.member_exit_export_task``) in a child process of its own, as a worker
  runs it, for a member of ``--exit-rows`` contacts and one of a fifth of that, peak RSS of
  each child (target: under 2 minutes, memory flat). Baseline: ``pg_dump -Fc -n <schema>`` of
  the same schema, only when DATABASE_URL is the machine's PostgreSQL on port 5432 and its
  pg_dump has the server's major version (said when it is skipped).

    python bench/data_rights.py [--members 17] [--contacts 20000] [--exit-rows 50000]
                                [--lookups 200] [--quick] [--keep]

``--quick``: 3 members x 2,000 contacts, exits of 5,000 and 1,000, 60 lookups. What the run
made is removed at the end (append-only rows, the audit log and the disclosure log, keep
their plain ids). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from _django import setup

HERE = Path(__file__).resolve().parent
FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Harry", "George", "Noah", "Leo", "Grace", "Freya",
         "Oscar", "Arthur", "Muhammad", "Aoife", "Zoë", "Tomás", "Priya", "Jean-Luc"]  # fmt: skip
LAST = ["Smith", "Jones", "Patel", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Walker",
        "O'Brien", "Brontë", "McKenzie", "García", "Nowak", "Khan", "Hughes", "Wright"]  # fmt: skip
OUTWARD = ["YO1", "YO10", "YO17", "YO62", "HG1", "HG2", "BD23", "DL8", "YO8", "YO11", "YO21"]
INWARD = ["AB", "BD", "EF", "GH", "JL", "NP", "QR", "ST", "UW", "XY"]
PERSON = {"first_name": "Wilhelmina", "last_name": "Quartermaine",
          "email": "w.quartermaine@example.net", "phone": "07700 900461",
          "postcode": "YO17 7QZ"}  # fmt: skip
TARGETS = {"lookup_p95_ms": 20.0, "sar_s": 60.0, "erasure_s": 1.0, "retention_s": 60.0,
           "exit_export_s": 120.0}  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def phone_of(i: int, g: int) -> str:
    """Member i's contact g's phone, as the SQL below writes it (a possible UK number)."""
    return f"01{200 + i} {g:06d}"


def name_postcode_of(i: int, g: int) -> tuple[str, str]:
    """Member i's contact g's full name and postcode, as the SQL below writes them."""
    first = FIRST[(g * 7 + i) % len(FIRST)]
    last = LAST[(g * 13 + i) % len(LAST)]
    postcode = f"{OUTWARD[g % len(OUTWARD)]} {1 + g % 9}{INWARD[(g // 9) % len(INWARD)]}"
    return f"{first} {last}", postcode


# --- building ----------------------------------------------------------------------------------


def user_make(username: str, member=None, *, role: str = "staff", lead: bool = False):
    from django.contrib.auth import get_user_model

    from tenants.models import Membership
    from tenants.services import membership_add

    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.org",
                                                first_name="Bench", last_name=username)  # fmt: skip
    if member is not None:
        membership_add(user=user, member=member, role=role)
        if lead:
            Membership.objects.filter(user=user, member=member).update(is_data_protection_lead=True)
    return user


def member_fill(member, i: int, rows: int) -> None:
    """``rows`` contacts, an interaction each and a consent for one in five, set-based. A
    contact g with g % 10 < 3 was last active more than three years ago."""
    from django.db import connection

    s = f'"{member.schema_name}"'
    params = {"first": FIRST, "last": LAST, "out": OUTWARD, "inw": INWARD, "nf": len(FIRST),
              "nl": len(LAST), "no": len(OUTWARD), "ni": len(INWARD), "n": rows, "i": i,
              "area": f"01{200 + i} "}  # fmt: skip
    with connection.cursor() as cursor:
        # Contacts: the inactive ones were added 3.2 to 8 years ago and never touched since.
        cursor.execute(
            f"""
            INSERT INTO {s}.crm_contact (created_at, updated_at, title, first_name, last_name,
                preferred_name, email, other_emails, phone, mobile, address_line1,
                address_line2, town, county, postcode, notes, is_restricted, legal_hold)
            SELECT t, t, '', (%(first)s::text[])[1 + (g * 7 + %(i)s) %% %(nf)s],
                   (%(last)s::text[])[1 + (g * 13 + %(i)s) %% %(nl)s], '',
                   'person' || g || '.' || %(i)s || '@example.org', '{{}}',
                   %(area)s || lpad(g::text, 6, '0'), '', g || ' High Street', '', 'Malton',
                   'North Yorkshire',
                   (%(out)s::text[])[1 + g %% %(no)s] || ' ' || (1 + g %% 9)
                       || (%(inw)s::text[])[1 + (g / 9) %% %(ni)s],
                   'Met at the spring fair.', false, false
              FROM (SELECT g, CASE WHEN g %% 10 < 3
                                   THEN now() - (1170 + g %% 1750) * interval '1 day'
                                   ELSE now() - (g %% 1100) * interval '1 day' END AS t
                      FROM generate_series(1, %(n)s) AS g) AS made
             ORDER BY g
            """,
            params,
        )  # fmt: skip
        # One interaction a contact: an inactive contact's more than 3.2 years ago (up to 8),
        # an active one's within the last 7 years (about a quarter older than 6 years).
        cursor.execute(
            f"""
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM {s}.crm_contact)
            INSERT INTO {s}.crm_interaction (kind, date, duration_minutes, summary, notes,
                outcome, created_at, legal_hold)
            SELECT (ARRAY['call', 'meeting', 'email'])[1 + g %% 3],
                   CASE WHEN g %% 10 < 3
                        THEN current_date - 1170 - (g * 37 %% 1750)::int
                        ELSE current_date - (g * 53 %% 2555)::int END,
                   30, 'Talked about funding ' || g, 'Notes of the conversation with them.',
                   '', now(), false
              FROM c ORDER BY g
            """,
            [],
        )  # fmt: skip
        cursor.execute(
            f"""
            INSERT INTO {s}.crm_interaction_contacts (interaction_id, contact_id)
            SELECT i.id, c.id
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM {s}.crm_interaction) i
              JOIN (SELECT id, row_number() OVER (ORDER BY id) AS g FROM {s}.crm_contact) c
                ON c.g = i.g
            """,
            [],
        )
        cursor.execute(
            f"""
            INSERT INTO {s}.crm_consent (purpose, channel, status, lawful_basis, recorded_at,
                method, wording, contact_id)
            SELECT 'marketing', 'email', 'granted', 'consent', created_at, 'web form',
                   'May we send you our newsletter?', id
              FROM {s}.crm_contact WHERE id %% 5 = 0
            """,
            [],
        )  # fmt: skip
        for table in ("crm_contact", "crm_interaction", "crm_interaction_contacts", "crm_consent"):
            cursor.execute(f"ANALYZE {s}.{table}")


def person_place(world: dict) -> None:
    """The person at members 0, 1 and 2 (through crm's services, so keys and projections
    follow), with interactions, consents and a registration at member 4's event; member 3
    copies member 0's record of them into its own CRM (the copy links back; the disclosure
    log says so)."""
    from django.db import connection
    from django.utils import timezone

    from crm import services as crm
    from crm.models import Contact
    from events import services as events
    from sharing.models import DisclosureAction, RecordType, SharedRecord
    from sharing.services import disclosure_record

    members, leads, managers = world["members"], world["leads"], world["managers"]
    held = []
    for k in range(3):
        connection.set_tenant(members[k])
        person = crm.contact_create(acting_user=leads[k], **PERSON)
        other = Contact.objects.order_by("pk").first()
        crm.consent_record(contact=person, purpose="sharing", status="granted",
                           acting_user=leads[k], wording="May we share your details with "
                           "other members of the consortium?")  # fmt: skip
        crm.consent_record(contact=person, purpose="marketing", status="withdrawn",
                           acting_user=leads[k])  # fmt: skip
        crm.interaction_create(
            acting_user=leads[k],
            contacts=[person],
            kind="call",
            summary="Called about the grant",
            date=timezone.localdate(),
        )
        crm.interaction_create(
            acting_user=leads[k],
            contacts=[person, other],
            kind="meeting",
            summary="Met with a neighbour",
            date=timezone.localdate(),
        )
        held.append(person.pk)
    connection.set_schema_to_public()
    host = members[min(4, len(members) - 1)]
    starts = timezone.now() + dt.timedelta(days=10)
    event = events.event_create(
        acting_user=managers[host.pk], host=host, title="Bench forum", event_type="networking",
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2), venue_kind="address",
        address="Alpha House, York", capacity=50, visibility="members",
    )  # fmt: skip
    event = events.event_publish(acting_user=managers[host.pk], event=event)
    connection.set_tenant(members[0])
    events.registration_for_contact(acting_user=leads[0], member=members[0], event=event,
                                    contact_id=held[0])  # fmt: skip
    connection.set_schema_to_public()
    record = SharedRecord.objects.get(provider_id=members[0].pk, record_type=RecordType.CONTACT,
                                      record_id=held[0])  # fmt: skip
    copier = members[3] if len(members) > 3 else members[1]
    connection.set_tenant(copier)
    crm.contact_create(acting_user=leads[3 if len(members) > 3 else 1],
                       copied_from_member_id=members[0].pk, copied_from_record_id=held[0],
                       **{k: v for k, v in record.data.items() if k in PERSON})  # fmt: skip
    connection.set_schema_to_public()
    disclosure_record(acting_user=leads[3 if len(members) > 3 else 1], member=copier,
                      records=[record], action=DisclosureAction.COPY)  # fmt: skip
    world["person_ids"] = held
    world["event"] = event


def share_directory(world: dict) -> None:
    """Member 0 shares every contact with every member (the projection back-fills them)."""
    from sharing import services

    provider = world["members"][0]
    manager = world["managers"][provider.pk]
    agreement = services.agreement_create(
        provider=provider, acting_user=manager, recipient_ids=[], all_members=True,
        title="Directory", purpose="directory", record_types=["contact"],
        contact_fields=["first_name", "last_name", "email", "phone", "postcode"],
        requires_consent=False,
    )  # fmt: skip
    services.agreement_propose(agreement=agreement, acting_user=manager)
    services.agreement_sign(agreement=agreement, member=provider, acting_user=manager)
    world["agreement"] = agreement


def build(world: dict, members: int, rows: int) -> None:
    from django.contrib.auth.models import Group

    from tenants.roles import DATA_PROTECTION_LEADS
    from tenants.services import member_create

    run = world["run"]
    for i in range(members):
        member = member_create(name=f"Bench rights {run} {i}", slug=f"dr-{run}-{i}")
        manager = user_make(f"dr-{run}-{i}-manager", member, role="manager")
        lead = user_make(f"dr-{run}-{i}-lead", member, lead=True)
        member_fill(member, i, rows)
        world["members"].append(member)
        world["leads"].append(lead)
        world["managers"][member.pk] = manager
        world["users"] += [manager, lead]
        print(f"\r  built {i + 1}/{members} members of {rows:,} contacts", end="", flush=True)
    print()
    consortium_lead = user_make(f"dr-{run}-consortium-lead")
    consortium_lead.groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    world["consortium_lead"] = consortium_lead
    world["users"].append(consortium_lead)


# --- the lookup --------------------------------------------------------------------------------


def lookup_questions(members: int, rows: int, count: int, seed: int = 14) -> list[dict]:
    """A bounded, seeded mix: e-mail, phone and name+postcode hits, the person (three
    members), and misses of each kind."""
    rng = random.Random(seed)
    questions: list[dict] = []
    for n in range(count):
        kind = n % 10
        i, g = rng.randrange(members), rng.randint(1, rows)
        if kind in (0, 1, 2):
            questions.append({"email": f"person{g}.{i}@example.org"})
        elif kind in (3, 4):
            questions.append({"phone": phone_of(i, g)})
        elif kind in (5, 6):
            name, postcode = name_postcode_of(i, g)
            questions.append({"name": name, "postcode": postcode})
        elif kind == 7:
            questions.append({"email": PERSON["email"], "phone": PERSON["phone"],
                              "name": f"{PERSON['first_name']} {PERSON['last_name']}",
                              "postcode": PERSON["postcode"]})  # fmt: skip
        elif kind == 8:
            questions.append({"email": f"nobody{g}@example.com", "phone": f"01999 {g:06d}"})
        else:
            questions.append({"name": f"Nobody Knownhere{g}", "postcode": "ZZ9 9ZZ"})
    return questions


def federation_lookup(schemas: list[str], question: dict) -> set[int]:
    """The baseline: ask every member's schema in turn, on its own indexes."""
    from django.db import connection

    holders = set()
    conditions, params = [], []
    if question.get("email"):
        conditions.append("lower(email) = lower(%s)")
        params.append(question["email"])
    if question.get("phone"):
        conditions.append("(phone = %s OR mobile = %s)")
        params += [question["phone"]] * 2
    if question.get("name") and question.get("postcode"):
        conditions.append("(postcode = %s AND lower(first_name || ' ' || last_name) = lower(%s))")
        params += [question["postcode"], question["name"]]
    where = " OR ".join(conditions)
    with connection.cursor() as cursor:
        for index, schema in enumerate(schemas):
            cursor.execute(f'SELECT 1 FROM "{schema}".crm_contact WHERE {where} LIMIT 1', params)
            if cursor.fetchone():
                holders.add(index)
    return holders


def measure_lookup(world: dict, questions: list[dict]) -> dict:
    from django.db import connection

    from rights.routing_services import person_lookup

    lead = world["consortium_lead"]
    schemas = [m.schema_name for m in world["members"]]
    index_of = {m.pk: n for n, m in enumerate(world["members"])}
    connection.set_schema_to_public()
    for question in questions[:10]:  # warm both paths
        person_lookup(acting_user=lead, **question)
        federation_lookup(schemas, question)
    ours, theirs, disagree = [], [], 0
    for question in questions:
        began = time.perf_counter()
        found = person_lookup(acting_user=lead, **question)
        ours.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        federated = federation_lookup(schemas, question)
        theirs.append((time.perf_counter() - began) * 1000)
        disagree += {index_of[pk] for pk in found.holdings} != federated
    return {"ours": ours, "theirs": theirs, "disagree": disagree}


# --- subject access and erasure ---------------------------------------------------------------


def request_for(world: dict, kind: str):
    from django.utils import timezone

    from rights.models import IdentityCheck
    from rights.routing_services import person_lookup, request_open

    lead = world["consortium_lead"]
    found = person_lookup(acting_user=lead, email=PERSON["email"], phone=PERSON["phone"])
    today = timezone.localdate()
    return request_open(acting_user=lead, keys=found.keys, kind=kind, received_on=today,
                        identity_check=IdentityCheck.DOCUMENT,
                        identity_checked_on=today)  # fmt: skip


def measure_sar(world: dict) -> dict:
    from django.db import connection

    from rights import packs
    from rights.models import RequestKind

    request = request_for(world, RequestKind.ACCESS)
    tasks = list(request.tasks.select_related("member", "request").order_by("member_id"))
    lead_of = {m.pk: lead for m, lead in zip(world["members"], world["leads"], strict=True)}
    times, sizes = [], []
    for task in tasks:
        began = time.perf_counter()
        pack = packs.pack_build(task=task, acting_user=lead_of[task.member_id])
        times.append(time.perf_counter() - began)
        sizes.append(pack.size)
        connection.set_schema_to_public()
        world.setdefault("pack_files", []).append(pack.file.name)
    return {"tasks": len(tasks), "times": times, "sizes": sizes, "request": request}


def measure_erasure(world: dict) -> dict:
    from django.db import connection

    from rights.erasure import person_erase
    from rights.models import RequestKind

    request = request_for(world, RequestKind.ERASURE)
    member = world["members"][0]
    task = request.tasks.select_related("member", "request").get(member=member)
    began = time.perf_counter()
    report = person_erase(member=member, contact_ids=task.contact_ids,
                          acting_user=world["leads"][0], task=task)  # fmt: skip
    seconds = time.perf_counter() - began
    connection.set_schema_to_public()
    assert report.contacts == 1, report.counts()
    assert report.projections_removed == 1, report.counts()
    assert report.notices, "the copier was not told"
    return {"seconds": seconds, "report": report, "request": request}


# --- retention ---------------------------------------------------------------------------------


def measure_retention(world: dict) -> dict:
    from django.db import connection

    from rights.retention_models import RecordType, RetentionAction, RetentionRule
    from rights.retention_selectors import retention_preview
    from rights.retention_services import retention_run, retention_schedule_update

    member = world["members"][-1]
    lead = world["leads"][-1]
    for record_type, rule, months, action in (
        (RecordType.INTERACTION, RetentionRule.AFTER_INTERACTION, 72, RetentionAction.ANONYMISE),
        (RecordType.CONTACT, RetentionRule.NO_ACTIVITY, 36, RetentionAction.ANONYMISE),
        (RecordType.REGISTRATION, RetentionRule.AFTER_EVENT, 24, RetentionAction.ANONYMISE),
        (RecordType.IMPORT_FILE, RetentionRule.AFTER_IMPORT, 1, RetentionAction.DELETE),
    ):
        retention_schedule_update(member=member, record_type=record_type, rule=rule,
                                  period_months=months, action=action, enabled=True,
                                  acting_user=lead)  # fmt: skip
    connection.set_tenant(member)
    began = time.perf_counter()
    preview = retention_preview(member=member, user=lead)
    preview_s = time.perf_counter() - began
    began = time.perf_counter()
    run = retention_run(member=member, acting_user=lead, trigger="manual")
    seconds = time.perf_counter() - began
    connection.set_schema_to_public()
    assert run.status == "done", (run.status, run.error)
    return {"seconds": seconds, "preview_s": preview_s, "run": run, "preview": preview,
            "member": member}  # fmt: skip


# --- the exit export ---------------------------------------------------------------------------


def export_child(exit_id: int, schema: str) -> None:
    """In a process of its own, as a queue worker runs the job: on the member's schema,
    ``member_exit_export_task``; prints seconds and memory as JSON."""
    setup()
    from django.db import connection

    from rights.exit_jobs import member_exit_export_task
    from rights.exit_models import MemberExit
    from tenants.models import Member

    connection.set_tenant(Member.objects.get(schema_name=schema))
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    member_exit_export_task(exit_id)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    connection.set_schema_to_public()
    exit_ = MemberExit.objects.get(pk=exit_id)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "before_mb": before_mb,
                      "state": exit_.state, "size": exit_.file_size}))  # fmt: skip


def exit_member_make(world: dict, rows: int, label: str):
    from tenants.services import member_create

    run = world["run"]
    member = member_create(name=f"Bench exit {run} {label}", slug=f"dx-{run}-{label}")
    manager = user_make(f"dx-{run}-{label}-manager", member, role="manager")
    member_fill(member, 90 + len(world.setdefault("exit_members", [])), rows)
    world["exit_members"].append(member)
    world["users"].append(manager)
    world["managers"][member.pk] = manager
    return member


def measure_export(world: dict, member) -> dict:
    from django.db import connection

    from rights.exit_services import member_exit_export_start

    connection.set_schema_to_public()
    exit_ = member_exit_export_start(member=member, acting_user=world["managers"][member.pk])
    world.setdefault("exits", []).append(exit_.pk)
    with connection.cursor() as cursor:  # the bench is the worker: take its job off the queue
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE status = 'todo' AND args->>'dotted_path' = "
            "'rights.exit_jobs.member_exit_export_task' AND (args->'args'->>0)::bigint = %s",
            [exit_.pk],
        )
    argv = [sys.executable, str(HERE / "data_rights.py"), "--child-export", str(exit_.pk),
            "--schema", member.schema_name]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        sys.exit(f"the export failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["state"] == "export_ready", result
    return result


def pg_dump_usable() -> str:
    """Why the pg_dump baseline cannot run here, or "" when it can."""
    from django.db import connection

    url = urlparse(os.environ.get("DATABASE_URL", ""))
    if url.port != 5432:
        return "DATABASE_URL is not the machine's PostgreSQL on port 5432"
    tool = shutil.which("pg_dump")
    if not tool:
        return "no pg_dump on PATH"
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    major = connection.pg_version // 10000
    if f" {major}." not in version:
        return f"pg_dump is not PostgreSQL {major}'s ({version.strip()})"
    return ""


def measure_pg_dump(member, target: Path) -> dict:
    """``pg_dump -Fc -n <schema>`` of the same schema: seconds, its peak RSS, its size."""
    argv = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    argv += ["pg_dump", "-Fc", "-n", member.schema_name, "-f", str(target),
             os.environ["DATABASE_URL"]]  # fmt: skip
    began = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - began
    if out.returncode:
        sys.exit(f"pg_dump failed:\n{out.stderr[-2000:]}")
    peak = float(out.stderr.strip().splitlines()[-1]) / 1024 if argv[0] == "/usr/bin/time" else 0
    return {"seconds": seconds, "peak_mb": peak, "size": target.stat().st_size}


# --- cleaning up -------------------------------------------------------------------------------


def clean(world: dict) -> None:
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.db import connection

    from events.models import Event, Registration
    from rights.exit_models import MemberExit
    from rights.models import MemberTask, RightsRequest, SubjectAccessPack
    from rights.notice_models import CopyNotice
    from rights.pack_models import PACK_FOLDER
    from rights.retention_models import RetentionRun, RetentionSchedule
    from sharing.models import Agreement, AgreementParty, PersonKey, SharedRecord
    from tenants.models import Membership
    from tenants.services import user_erase

    connection.set_schema_to_public()
    made = world["members"] + world.get("exit_members", [])
    ids = [m.pk for m in made]
    for name in world.get("pack_files", []):
        if name:
            default_storage.delete(name)
    for exit_ in MemberExit.objects.filter(member_id__in=ids):
        if exit_.file_path:
            Path(exit_.file_path).unlink(missing_ok=True)
    for member in made:  # the members' own folders, empty now
        for folder in (Path(settings.EXIT_EXPORT_ROOT) / member.schema_name,
                       Path(settings.MEDIA_ROOT) / PACK_FOLDER / member.schema_name):  # fmt: skip
            with contextlib.suppress(OSError):
                folder.rmdir()
    MemberExit.objects.filter(member_id__in=ids).delete()
    CopyNotice.objects.filter(member_id__in=ids).delete()
    requests = RightsRequest.objects.filter(tasks__member_id__in=ids).distinct()
    SubjectAccessPack.objects.filter(task__request__in=list(requests)).delete()
    MemberTask.objects.filter(request__in=list(requests)).delete()
    requests.delete()
    RetentionRun.objects.filter(member_id__in=ids).delete()
    RetentionSchedule.objects.filter(member_id__in=ids).delete()
    Registration.objects.filter(event__host_id__in=ids).delete()
    Event.objects.filter(host_id__in=ids).delete()
    SharedRecord.objects.filter(provider_id__in=ids).delete()
    AgreementParty.objects.filter(member_id__in=ids).delete()
    Agreement.objects.filter(provider_id__in=ids).delete()
    PersonKey.objects.filter(member_id__in=ids).delete()
    for user in world["users"]:  # as the house erases an account: in place, its row kept
        user_erase(user=user, acting_user=None)
    Membership.objects.filter(member_id__in=ids).delete()
    for member in made:
        member.delete(force_drop=True)


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=17)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--exit-rows", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="3 x 2,000; exits of 5,000, 1,000")
    parser.add_argument("--keep", action="store_true", help="leave the data for inspection")
    parser.add_argument("--child-export", type=int)
    parser.add_argument("--schema")
    args = parser.parse_args()
    if args.child_export:
        export_child(args.child_export, args.schema)
        return
    if args.quick:
        args.members, args.contacts, args.exit_rows, args.lookups = 3, 2_000, 5_000, 60
    if args.members < 3:
        parser.error("the person is held by three members: --members must be at least 3")
    # Mail (an event's publication, the leads' notices) is sent but not printed on the table.
    os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    setup()
    from django.db import connection

    from sharing.person_keys import person_keys_backfill
    from tenants.bootstrap import consortium_bootstrap

    consortium_bootstrap(verbosity=0)
    run = uuid.uuid4().hex[:5]
    world: dict = {"members": [], "leads": [], "managers": {}, "users": [], "run": run}
    try:
        began = time.perf_counter()
        build(world, args.members, args.contacts)
        build_s = time.perf_counter() - began
        began = time.perf_counter()
        keys = person_keys_backfill(members=world["members"])
        backfill_s = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE public.sharing_personkey")
        share_directory(world)
        person_place(world)
        connection.set_schema_to_public()
        print(f"  data: {build_s:.0f} s; person keys back-filled: {sum(keys.values()):,} in "
              f"{backfill_s:.1f} s")  # fmt: skip

        questions = lookup_questions(args.members, args.contacts, args.lookups)
        lookup = measure_lookup(world, questions)
        print("  lookup measured")
        sar = measure_sar(world)
        print("  subject access packs measured")
        erasure = measure_erasure(world)
        print("  erasure measured")
        retention = measure_retention(world)
        print("  retention measured")
        small_rows = max(1, args.exit_rows // 5)
        big = exit_member_make(world, args.exit_rows, "big")
        small = exit_member_make(world, small_rows, "small")
        export_big = measure_export(world, big)
        export_small = measure_export(world, small)
        why_not = pg_dump_usable()
        dump = None
        if not why_not:
            with tempfile.TemporaryDirectory() as tmp:
                dump = measure_pg_dump(big, Path(tmp) / "schema.dump")
        print("  exit export measured")
    finally:
        if not args.keep:
            clean(world)

    ours_p95, theirs_p95 = percentile(lookup["ours"], 0.95), percentile(lookup["theirs"], 0.95)
    sar_s = sum(sar["times"])
    counts = retention["run"].counts
    processed = sum(sum(by.values()) for by in counts.values())
    print()
    print(f"{args.members} members x {args.contacts:,} contacts; PostgreSQL "
          f"{connection.pg_version // 10000}; {len(questions)} lookups")  # fmt: skip
    print(f"{'measure':<44} {'ours':>10} {'baseline':>10} {'base/ours':>9} {'target':>8}")

    def row(label: str, ours: float, base: float | None, target: float | None, unit: str) -> None:
        b = f"{base:>10.1f}" if base is not None else f"{'-':>10}"
        r = f"{base / ours:>8.1f}x" if base is not None and ours else f"{'-':>9}"
        t = f"{target:>7.0f}{unit}" if target is not None else f"{'-':>8}"
        print(f"{label:<44} {ours:>10.1f} {b} {r} {t}")

    row(
        "lookup p50 ms (federation: 1 query/member)",
        statistics.median(lookup["ours"]),
        statistics.median(lookup["theirs"]),
        None,
        "",
    )
    row("lookup p95 ms", ours_p95, theirs_p95, TARGETS["lookup_p95_ms"], "")
    row(f"SAR packs s ({sar['tasks']} holders: 3 + the copier)", sar_s, None, TARGETS["sar_s"], "s")
    for n, (t, size) in enumerate(zip(sar["times"], sar["sizes"], strict=True)):
        row(f"  pack {n + 1} s ({size / 1024:.0f} KB)", t, None, None, "")
    row(
        "erasure s (projections, Art. 19 notices)",
        erasure["seconds"],
        None,
        TARGETS["erasure_s"],
        "s",
    )
    row(
        f"retention run s ({processed:,} records)",
        retention["seconds"],
        None,
        TARGETS["retention_s"],
        "s",
    )
    row("  retention preview s", retention["preview_s"], None, None, "")
    row(
        f"exit export s ({args.exit_rows:,} contacts; baseline pg_dump)",
        export_big["seconds"],
        dump["seconds"] if dump else None,
        TARGETS["exit_export_s"],
        "s",
    )
    row(f"exit export s ({small_rows:,} contacts)", export_small["seconds"], None, None, "")
    row(
        f"exit peak RSS MB ({args.exit_rows:,}; baseline pg_dump)",
        export_big["peak_mb"],
        dump["peak_mb"] if dump else None,
        None,
        "",
    )
    row(f"exit peak RSS MB ({small_rows:,})", export_small["peak_mb"], None, None, "")
    row(
        "  of which the export's own growth, MB",
        export_big["peak_mb"] - export_big["before_mb"],
        None,
        None,
        "",
    )
    row(
        f"  ({small_rows:,}: the export's own growth, MB)",
        export_small["peak_mb"] - export_small["before_mb"],
        None,
        None,
        "",
    )
    print(f"lookup answers that differ from the federation's: {lookup['disagree']} of "
          f"{len(questions)}")  # fmt: skip
    print(f"erasure: {erasure['report'].summary}")
    print(f"retention did: {json.dumps(counts)}")
    print(f"exit ZIP {export_big['size'] / 1e6:.1f} MB"
          + (f"; pg_dump -Fc {dump['size'] / 1e6:.1f} MB" if dump else
             f"; pg_dump baseline skipped: {why_not}"))  # fmt: skip
    print(
        json.dumps(
            {
                "lookup_p95_ms": round(ours_p95, 2),
                "sar_s": round(sar_s, 2),
                "erasure_s": round(erasure["seconds"], 3),
                "retention_s": round(retention["seconds"], 2),
                "exit_export_s": round(export_big["seconds"], 2),
                "exit_peak_mb": round(export_big["peak_mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
