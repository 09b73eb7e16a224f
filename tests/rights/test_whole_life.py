"""A person's whole life in Commons (issue 14, "Done means"), through the real pages a data
protection lead uses.

Ada Lovelace is held by three members: Alpha (member_a), Beta (member_b) and Gamma (made
here by the provisioning service; the test's transaction takes it away again). Alpha shares
her under a copy-allowed agreement with Beta and Delta, a fourth member made the same way;
Delta copies her into its own CRM. The agreement shares her name only, so Delta's copy
carries no e-mail: a lookup by e-mail finds exactly the three holders, and Delta is reached
through the Art. 19 notice, as the issue asks ("leaves tasks for the copies it cannot").
Alpha's staff book her onto Beta's event; Gamma holds a survey answer naming her.

The consortium's lead looks her up, opens a subject access request (one task per holder);
each holder's lead builds and downloads its pack, which holds exactly that member's data.
Then an erasure request: each holder's lead erases her; afterwards nothing of her is left
in any member schema Commons reaches, and Delta's lead closes the notice naming its copy.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm import services as crm
from crm.models import Contact, Interaction
from events.models import Registration
from events.services import registration_for_contact
from rights.models import (
    CopyNotice,
    MemberTask,
    NoticeStatus,
    RequestKind,
    RequestStatus,
    RightsRequest,
    SubjectAccessPack,
    TaskStatus,
)
from rights.pack_models import PACK_FOLDER
from sharing.models import Disclosure, PersonKey, SharedRecord
from sharing.services import agreement_create, agreement_propose, agreement_sign
from surveys import services as surveys
from surveys.models import Response
from tenants.models import AuditEntry, Role
from tenants.services import member_create
from tests.factories import EventFactory, OrganisationFactory, UserFactory
from tests.rights.conftest import lead_of

EMAIL = "ada@example.org"
# Words only one member's records hold: each pack must have its own and none of the others'.
MARKS = {"alpha": "quillfeather", "beta": "brackenridge", "gamma": "gorsemoor"}
TABLES = ("contact", "roles", "interactions", "consents", "tags", "survey-answers",
          "event-registrations", "event-snapshots", "shared-records", "disclosures")  # fmt: skip
HIDDEN_LOOKUP = re.compile(r'name="lookup" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


@pytest.fixture(autouse=True)
def _pack_files_removed():
    """The packs built here leave nothing in the private media folder."""
    folder = Path(settings.MEDIA_ROOT) / PACK_FOLDER
    before = set(folder.rglob("*.zip")) if folder.exists() else set()
    yield
    for path in (set(folder.rglob("*.zip")) if folder.exists() else set()) - before:
        path.unlink(missing_ok=True)


def _member(name: str, prefix: str):
    return member_create(name=name, slug=f"{prefix}-{uuid.uuid4().hex[:6]}", district="Ryedale")


@pytest.fixture
def world(member_a, member_b, user, in_member):
    gamma = _member("Gamma Garden Trust", "gamma-life")
    delta = _member("Delta Copy Network", "delta-life")
    leads = {
        "alpha": lead_of(member_a, "lead-alpha"), "beta": lead_of(member_b, "lead-beta"),
        "gamma": lead_of(gamma, "lead-gamma"), "delta": lead_of(delta, "lead-delta"),
    }  # fmt: skip
    manager_a, staff_a = user("manager-a"), user("staff-a")
    with in_member(member_a):
        ada_a = crm.contact_create(
            acting_user=staff_a, first_name="Ada", last_name="Lovelace", email=EMAIL,
            phone="01904 000001", notes=f"Met at the {MARKS['alpha']} fair",
            tags=[crm.tag_get_or_create(name="Directory", acting_user=None)],
        )  # fmt: skip
        crm.consent_record(contact=ada_a, purpose="sharing", status="granted", acting_user=None)
        bob = crm.contact_create(acting_user=staff_a, first_name="Bob", last_name="Stays",
                                 email="bob@example.org")  # fmt: skip
        crm.interaction_create(acting_user=staff_a, contacts=[ada_a], kind="call",
                               summary=f"Called Ada about the {MARKS['alpha']} grant",
                               date=timezone.localdate())  # fmt: skip
        with_bob = crm.interaction_create(
            acting_user=staff_a, contacts=[ada_a, bob], kind="meeting",
            summary="Ada and Bob planned the open day", date=timezone.localdate(),
        )  # fmt: skip
    with in_member(member_b):
        # Beta's own record of her, spelt differently: the keys still agree.
        ada_b = crm.contact_create(
            acting_user=user("staff-b"), first_name="Ada", last_name="Lovelace",
            email=" ADA@Example.org", notes=f"Volunteer at {MARKS['beta']} lodge",
        )  # fmt: skip
        crm.interaction_create(acting_user=user("staff-b"), contacts=[ada_b], kind="call",
                               summary=f"Welcome call from {MARKS['beta']}",
                               date=timezone.localdate())  # fmt: skip
    gamma_manager = UserFactory(member=gamma, role=Role.MANAGER, username="manager-gamma-life")
    with in_member(gamma):
        club = OrganisationFactory(name=f"{MARKS['gamma'].title()} Garden Club")
        ada_g = crm.contact_create(acting_user=gamma_manager, first_name="Ada",
                                   last_name="Lovelace", email=EMAIL)  # fmt: skip
        crm.role_add(contact=ada_g, organisation=club, role="chair", acting_user=gamma_manager)
        survey = surveys.survey_create(acting_user=gamma_manager, title="Garden survey",
                                       code="garden", year=2026)  # fmt: skip
        wave = survey.waves.get()
        section = surveys.section_add(wave=wave, acting_user=gamma_manager, title="About")
        surveys.question_add(wave=wave, section=section, code="who", kind="text",
                             text="Who runs the club?", acting_user=gamma_manager)  # fmt: skip
        surveys.wave_set_status(wave=wave, acting_user=gamma_manager, status="open")
        response = surveys.response_enter(
            wave=wave, organisation=club, acting_user=gamma_manager,
            raw={"who": "Ada Lovelace runs it"}, research_consent=False,
        )  # fmt: skip
    connection.set_schema_to_public()
    agreement = agreement_create(
        provider=member_a, acting_user=manager_a, recipient_ids=[member_b.pk, delta.pk],
        title="Copyable volunteer names", purpose="directory", record_types=["contact"],
        contact_fields=["first_name", "last_name"], organisation_fields=[],
        criteria_tags=["Directory"], access_mode="copy",
    )  # fmt: skip
    agreement_propose(agreement=agreement, acting_user=manager_a)
    agreement_sign(agreement=agreement, member=member_a, acting_user=manager_a)
    agreement_sign(agreement=agreement, member=member_b, acting_user=user("manager-b"))
    delta_manager = UserFactory(member=delta, role=Role.MANAGER, username="manager-delta-life")
    agreement_sign(agreement=agreement, member=delta, acting_user=delta_manager)
    record = SharedRecord.objects.get(agreement=agreement, record_id=ada_a.pk)
    return {
        "gamma": gamma, "delta": delta, "leads": leads, "ada_a": ada_a, "ada_b": ada_b,
        "ada_g": ada_g, "bob": bob, "with_bob": with_bob, "record": record,
        "response": response, "agreement": agreement,
    }  # fmt: skip


def _shared_and_booked(world, member_a, member_b, user, client_for, in_member):
    """Beta's staff look at her shared record; Delta's lead copies it; Alpha's staff book
    her onto Beta's event. Returns Delta's copy and the registration."""
    record, delta = world["record"], world["delta"]
    assert client_for(user("staff-b"), member_b).get(f"/shared/{record.pk}/").status_code == 200
    copied = client_for(world["leads"]["delta"], delta).post(f"/shared/{record.pk}/copy/")
    assert copied.status_code == 302, copied
    event = EventFactory(host=member_b, title="Harrogate forum")
    with in_member(member_a):
        registration = registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event,
            contact_id=world["ada_a"].pk, access_needs="Step-free access",
        )  # fmt: skip
    with in_member(delta):
        copy = Contact.objects.get(copied_from_member_id=member_a.pk)
    connection.set_schema_to_public()
    assert (copy.first_name, copy.last_name, copy.email) == ("Ada", "Lovelace", "")
    assert copy.copied_from_record_id == world["ada_a"].pk
    return copy, registration


def _open_request(consortium, kind: str) -> tuple[RightsRequest, list]:
    """The consortium lead's lookup page, then the request form it leads to."""
    found = consortium.post("/data-rights/lookup/", {"email": "Ada@Example.org"})
    assert found.status_code == 200
    page = found.content.decode()
    assert "Lovelace" not in page  # member names and counts only
    token = HIDDEN_LOOKUP.search(page).group(1)
    today = timezone.localdate().isoformat()
    opened = consortium.post("/data-rights/requests/new/", {
        "lookup": token, "kind": kind, "received_on": today, "identity_check": "document",
        "identity_checked_on": today, "note": "Letter of today",
    })  # fmt: skip
    assert opened.status_code == 302, opened.content.decode()[:2000]
    rights_request = RightsRequest.objects.get(
        pk=int(opened["Location"].rstrip("/").split("/")[-1])
    )
    return rights_request, found.context["rows"]


def _files_of(zip_bytes: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_a_person_s_whole_life(world, member_a, member_b, user, client_for, in_member,
                               django_capture_on_commit_callbacks):  # fmt: skip
    gamma, delta, leads = world["gamma"], world["delta"], world["leads"]
    copy, registration = _shared_and_booked(world, member_a, member_b, user, client_for,
                                            in_member)  # fmt: skip
    holders = {"alpha": member_a, "beta": member_b, "gamma": gamma}
    ada = {"alpha": world["ada_a"], "beta": world["ada_b"], "gamma": world["ada_g"]}
    consortium = client_for(user("dpo-c"), None)

    # --- the lookup answers exactly the three holders; the request has one task each -----
    sar, rows = _open_request(consortium, RequestKind.ACCESS)
    assert rows == [(member_a.name, 1), (member_b.name, 1), (gamma.name, 1)]
    assert sar.kind == RequestKind.ACCESS
    assert sar.due_on > sar.received_on
    tasks = {t.member_id: t for t in MemberTask.objects.filter(request=sar)}
    assert {m: t.contact_ids for m, t in tasks.items()} == {
        holders[k].pk: [ada[k].pk] for k in holders
    }
    detail = consortium.get(f"/data-rights/requests/{sar.pk}/").content.decode()
    for member in holders.values():
        assert member.name in detail
    assert delta.name not in detail

    # --- each holder's lead builds and downloads its pack, with exactly its data ----------
    for key, member in holders.items():
        task = tasks[member.pk]
        lead = client_for(leads[key], member)
        page = lead.get(f"/data-rights/tasks/{task.pk}/").content.decode()
        assert "Build the pack" in page
        with django_capture_on_commit_callbacks(execute=True):
            built = lead.post(f"/data-rights/tasks/{task.pk}/act/", follow=True)
        assert "The pack is ready" in built.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            download = lead.post(f"/data-rights/tasks/{task.pk}/pack/download/",
                                 {"confirm": "yes"})  # fmt: skip
        assert download["Content-Type"] == "application/zip"
        files = _files_of(b"".join(download.streaming_content))
        assert set(files) == {"README.txt", "summary.html"} | {
            f"{t}.{ext}" for t in TABLES for ext in ("csv", "json")
        }
        for name, text in files.items():
            for other, mark in MARKS.items():
                if other != key:
                    assert mark not in text.casefold(), f"{other}'s record is in {key}'s {name}"
            assert "Bob" not in text, f"Bob is named in {key}'s {name}"
        assert MARKS[key] in files["summary.html"].casefold()
        tables = {t: json.loads(files[f"{t}.json"]) for t in TABLES}
        assert [r["Record number"] for r in tables["contact"]] == [str(ada[key].pk)]
        counts = {t: len(r) for t, r in tables.items()}
        expected = {
            "alpha": {"contact": 1, "roles": 0, "interactions": 2, "consents": 1, "tags": 1,
                      "survey-answers": 0, "event-registrations": 1, "event-snapshots": 1,
                      "shared-records": 1, "disclosures": 2},
            "beta": {"contact": 1, "roles": 0, "interactions": 1, "consents": 0, "tags": 0,
                     "survey-answers": 0, "event-registrations": 0, "event-snapshots": 0,
                     "shared-records": 0, "disclosures": 0},
            "gamma": {"contact": 1, "roles": 1, "interactions": 0, "consents": 0, "tags": 0,
                      "survey-answers": 1, "event-registrations": 0, "event-snapshots": 0,
                      "shared-records": 0, "disclosures": 0},
        }[key]  # fmt: skip
        assert counts == expected, key
        if key == "alpha":
            assert sorted((d["Member"], d["What they did"]) for d in tables["disclosures"]) == [
                (member_b.name, "Viewed"),
                (delta.name, "Copied into own CRM"),
            ]
            assert [s["Sent to"] for s in tables["event-snapshots"]] == [member_b.name]
            interaction = next(r for r in tables["interactions"] if r["Kind"] == "Meeting")
            assert interaction["With"] == "You, [another person]"
        if key == "gamma":
            assert [a["Answer"] for a in tables["survey-answers"]] == ["Ada Lovelace runs it"]
        task.refresh_from_db()
        assert (task.status, task.done_by) == (TaskStatus.DONE, leads[key])
    assert SubjectAccessPack.objects.filter(task__request=sar, downloaded_at__isnull=False,
                                            file="").count() == 3  # fmt: skip
    closed = consortium.post(f"/data-rights/requests/{sar.pk}/close/",
                             {"close-outcome": "Three packs sent by post"})  # fmt: skip
    assert closed.status_code == 302
    sar.refresh_from_db()
    assert sar.status == RequestStatus.DONE

    # --- the erasure: each holder's lead erases her, through the confirmation page --------
    erasure, rows = _open_request(consortium, RequestKind.ERASURE)
    assert rows == [(member_a.name, 1), (member_b.name, 1), (gamma.name, 1)]
    tasks = {t.member_id: t for t in MemberTask.objects.filter(request=erasure)}
    assert set(tasks) == {m.pk for m in holders.values()}
    for key, member in holders.items():
        task = tasks[member.pk]
        lead = client_for(leads[key], member)
        asked = lead.get(f"/data-rights/tasks/{task.pk}/erase/")
        assert asked.status_code == 200
        assert "This cannot be undone." in asked.content.decode()
        actions = FORM_ACTION.findall(asked.content.decode())
        action = f"/data-rights/tasks/{task.pk}/act/"
        assert action in actions  # the confirmation's button posts to the task's action
        done = lead.post(action, {"confirm": "yes"}, follow=True)
        assert "Erased 1 contact record" in done.content.decode()
        task.refresh_from_db()
        assert (task.status, task.error, task.done_by) == (TaskStatus.DONE, "", leads[key])

    # --- afterwards: nothing of her in any holder's schema Commons reaches ---------------
    for key, member in holders.items():
        with in_member(member):
            assert not Contact.objects.filter(email__iexact=EMAIL).exists(), key
            assert not Contact.objects.filter(pk=ada[key].pk).exists(), key
            assert not Interaction.objects.filter(summary__icontains=MARKS[key]).exists(), key
    with in_member(member_a):
        assert list(Contact.objects.values_list("pk", flat=True).filter(pk=world["bob"].pk)) == [
            world["bob"].pk
        ]
        kept = Interaction.objects.get(pk=world["with_bob"].pk)
        assert list(kept.contacts.values_list("pk", flat=True)) == [world["bob"].pk]
    with in_member(gamma):
        assert Response.objects.get(pk=world["response"].pk).answers["who"] != (
            "Ada Lovelace runs it"
        )
        assert "Lovelace" not in json.dumps(Response.objects.get(pk=world["response"].pk).answers)
    connection.set_schema_to_public()
    for key, member in holders.items():
        assert not PersonKey.objects.filter(member_id=member.pk, contact_id=ada[key].pk).exists()
    assert not SharedRecord.objects.filter(
        provider_id=member_a.pk, record_id=ada["alpha"].pk
    ).exists()
    registration.refresh_from_db()
    assert (registration.name, registration.email, registration.access_needs,
            registration.contact_id) == ("Erased", "", "", None)  # fmt: skip
    assert registration.status == Registration.objects.get(pk=registration.pk).status
    # The disclosure log keeps its plain ids.
    kept_log = Disclosure.objects.filter(
        provider_id=member_a.pk, record_ids__contains=[ada["alpha"].pk]
    )
    assert sorted(kept_log.values_list("member_id", "action")) == sorted([
        (member_b.pk, "view"), (delta.pk, "copy"), (member_b.pk, "event_snapshot"),
    ])  # fmt: skip
    again = consortium.post("/data-rights/lookup/", {"email": EMAIL})
    assert "No member holds a record matching these details." in again.content.decode()

    # --- Delta's copy: an Art. 19 notice naming it, which its lead closes -----------------
    notices = list(
        CopyNotice.objects.filter(request=erasure).values_list(
            "member_id", "provider_id", "kind", "record_id", "received_by", "copy_id", "status"
        )
    )
    assert notices == [
        (delta.pk, member_a.pk, "erase", ada["alpha"].pk, "copy", copy.pk, NoticeStatus.OPEN)
    ]  # fmt: skip
    delta_lead = client_for(leads["delta"], delta)
    page = delta_lead.get("/data-rights/copies/").content.decode()
    assert f'href="/contacts/{copy.pk}/"' in page
    assert member_a.name in page
    deleted = delta_lead.post(f"/contacts/{copy.pk}/delete/")
    assert deleted.status_code == 302
    notice = CopyNotice.objects.get(request=erasure)
    closed = delta_lead.post(f"/data-rights/copies/{notice.pk}/close/", {"outcome": "done"})
    assert closed.status_code == 302
    notice.refresh_from_db()
    assert (notice.status, notice.done_by) == (NoticeStatus.DONE, leads["delta"])
    with in_member(delta):
        assert not Contact.objects.filter(pk=copy.pk).exists()
    connection.set_schema_to_public()
    assert "No copies wait for you" in delta_lead.get("/data-rights/copies/").content.decode()

    # --- the request closes; the audit trail says who did what, never her details --------
    closed = consortium.post(f"/data-rights/requests/{erasure.pk}/close/",
                             {"close-outcome": "Erased at all three members"})  # fmt: skip
    assert closed.status_code == 302
    erasure.refresh_from_db()
    assert erasure.status == RequestStatus.DONE
    erased = AuditEntry.objects.filter(action="person.erased").order_by("pk")
    assert [(e.member_id, e.actor_id) for e in erased] == [
        (m.pk, leads[k].pk) for k, m in holders.items()
    ]
    looked = AuditEntry.objects.filter(action="rights.person_looked_up")
    assert looked.count() == 3
    for entry in AuditEntry.objects.filter(action__startswith="rights."):
        assert EMAIL not in json.dumps(entry.details, default=str).casefold()
