"""Subject access packs (issue 14, Art. 15): a member's lead builds a ZIP of exactly the
person's data, other people redacted, downloadable once, audited."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm import services as crm
from events.services import registration_for_contact
from rights import packs
from rights.models import MemberTask, RequestKind, RightsRequest, SubjectAccessPack
from rights.pack_models import PACK_FOLDER
from rights.task_actions import task_action_for
from sharing.models import DisclosureAction, SharedRecord
from sharing.services import disclosure_record
from surveys import services as surveys
from tenants.csvfile import BOM
from tenants.models import AuditEntry, Membership
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    UserFactory,
)

OTHER_WORDS = ("zebedee", "thistlewood", "zeb.thistle", "zed")
TABLE_SECTIONS = (
    "contact", "roles", "interactions", "consents", "tags", "survey-answers",
    "event-registrations", "event-snapshots", "shared-records", "disclosures",
)  # fmt: skip
WORDING = "May we share your name and e-mail with other members of the consortium?"


@pytest.fixture(autouse=True)
def _pack_files_removed():
    """Packs a test builds leave nothing in the private media folder."""
    folder = Path(settings.MEDIA_ROOT) / PACK_FOLDER
    before = set(folder.rglob("*.zip")) if folder.exists() else set()
    yield
    for path in (set(folder.rglob("*.zip")) if folder.exists() else set()) - before:
        path.unlink(missing_ok=True)


def lead_of(member, name: str):
    person = UserFactory(member=member, first_name="Lena", last_name=name)
    Membership.objects.filter(user=person, member=member).update(is_data_protection_lead=True)
    return person


@dataclass
class Life:
    olivia: Any
    zebedee: Any
    task: MemberTask
    lead: Any
    lead_b: Any


def task_for(member, contact_ids, *, opened_by, kind=RequestKind.ACCESS, reference="SAR-0001"):
    today = timezone.localdate()
    request = RightsRequest.objects.create(
        reference=reference, kind=kind, received_on=today, due_on=today + timedelta(days=30),
        identity_check="document", identity_checked_on=today, opened_by=opened_by,
    )  # fmt: skip
    return MemberTask.objects.create(request=request, member=member, contact_ids=contact_ids)


@pytest.fixture
def life(member_a, member_b, user, in_member) -> Life:
    """Olivia, held at member A: a chair of a group, in calls (one with Zebedee, a restricted
    contact), consents, a tag, a survey answer, a place at B's event, shared with B and seen
    there. Zebedee's name must appear nowhere in her pack."""
    manager_a, staff_a, staff_b = user("manager-a"), user("staff-a"), user("staff-b")
    with in_member(member_a):
        shed = OrganisationFactory(name="Malton Men's Shed")
        olivia = ContactFactory(
            first_name="Olivia", last_name="Quarrington", email="olivia.q@example.org",
            phone="01723 555000", notes="=HYPERLINK(\"http://evil\")", tags=["Volunteers"],
            date_of_birth="1970-05-06", acting_user=manager_a,
        )  # fmt: skip
        zebedee = ContactFactory(
            first_name="Zebedee", last_name="Thistlewood", preferred_name="Zed",
            email="zeb.thistle@example.org", is_restricted=True, acting_user=manager_a,
        )  # fmt: skip
        crm.role_add(contact=olivia, organisation=shed, role="chair", acting_user=manager_a)
        crm.role_add(contact=zebedee, organisation=shed, role="treasurer", acting_user=manager_a)
        crm.interaction_create(
            acting_user=manager_a, contacts=[olivia, zebedee], organisations=[shed],
            kind="meeting", date=timezone.localdate(),
            summary="Olivia and Zebedee Thistlewood on the shed's accounts",
            notes="Zed will e-mail zeb.thistle@example.org; Thistlewood unsure. Olivia keen.",
            outcome="THISTLEWOOD to send figures",
        )  # fmt: skip
        crm.interaction_create(
            acting_user=manager_a,
            contacts=[olivia],
            kind="call",
            date=timezone.localdate(),
            summary="Olivia asked about funding",
        )
        crm.interaction_create(
            acting_user=manager_a,
            contacts=[zebedee],
            kind="call",
            date=timezone.localdate(),
            summary="Private safeguarding call",
        )
        crm.consent_record(
            contact=olivia,
            purpose="sharing",
            status="granted",
            acting_user=manager_a,
            method="paper form",
            wording=WORDING,
        )
        crm.consent_record(
            contact=olivia,
            purpose="marketing",
            status="withdrawn",
            acting_user=manager_a,
            method="phone call",
        )
        survey = surveys.survey_create(
            acting_user=manager_a, title="Shed survey", code="shed", year=2026
        )
        wave = survey.waves.get()
        section = surveys.section_add(wave=wave, acting_user=manager_a, title="About")
        surveys.question_add(
            wave=wave,
            section=section,
            code="who",
            kind="text",
            text="Who runs the group?",
            acting_user=manager_a,
        )
        surveys.wave_set_status(wave=wave, acting_user=manager_a, status="open")
        surveys.response_enter(
            wave=wave,
            organisation=shed,
            acting_user=manager_a,
            raw={"who": "Zebedee Thistlewood and Olivia"},
            research_consent=False,
        )
        event = EventFactory(host=member_b, title="Beta volunteers' lunch")
        registration_for_contact(
            acting_user=staff_a,
            member=member_a,
            event=event,
            contact_id=olivia.pk,
            access_needs="Step-free access",
        )
    agreement = AgreementFactory(
        provider=member_a, recipients=[member_b], title="Volunteer directory",
        record_types=["contact"], contact_fields=["first_name", "last_name", "email"],
        organisation_fields=[], in_force=True,
    )  # fmt: skip
    shared = SharedRecord.objects.get(agreement=agreement, record_id=olivia.pk)
    disclosure_record(
        acting_user=staff_b, member=member_b, records=[shared], action=DisclosureAction.EXPORT
    )
    task = task_for(member_a, [olivia.pk], opened_by=user("admin-c"))
    return Life(olivia, zebedee, task, lead_of(member_a, "Lead-A"), lead_of(member_b, "Lead-B"))


def built_zip(life: Life, django_capture_on_commit_callbacks) -> tuple[SubjectAccessPack, dict]:
    with django_capture_on_commit_callbacks(execute=True):
        pack = packs.pack_build(task=life.task, acting_user=life.lead)
    with default_storage.open(pack.file.name, "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == pack.sha256
    assert len(data) == pack.size
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return pack, {name: archive.read(name) for name in archive.namelist()}


def test_the_pack_has_every_section_and_only_the_person_s_data(
    life, member_b, django_capture_on_commit_callbacks
):
    """The ZIP holds a README, a summary page and a CSV and JSON per section; Olivia's data
    is in it and Zebedee's name, e-mail and nickname are in none of its files."""
    pack, files = built_zip(life, django_capture_on_commit_callbacks)
    expected = {"README.txt", "summary.html"} | {
        f"{key}.{ext}" for key in TABLE_SECTIONS for ext in ("csv", "json")
    }
    assert set(files) == expected
    for name, content in files.items():
        text = content.decode("utf-8").casefold()
        for word in OTHER_WORDS:
            assert word not in text, f"{word!r} is in {name}"
        for username in ("staff-b", "manager-a"):
            assert username not in text, f"{username} is named in {name}"
    summary = files["summary.html"].decode()
    for seen in ("Olivia Quarrington", "Alpha Voluntary Action", "Chair", "Malton Men",
                 "Volunteers", WORDING, "Consent withdrawn", "Olivia asked about funding",
                 "Beta volunteers", "Step-free access", "Volunteer directory",
                 "Beta Community Network", "Exported", "pseudonymised", "Article 11",
                 "no booking refers to you"):  # fmt: skip
        assert seen.replace("'", "&#x27;") in summary, seen
    assert "Private safeguarding call" not in summary  # Zebedee's own interaction
    assert pack.contact_count == 1


def test_other_participants_are_redacted_in_every_free_text_field(
    life, django_capture_on_commit_callbacks
):
    """The shared interaction keeps Olivia's words, with the other person replaced."""
    _, files = built_zip(life, django_capture_on_commit_callbacks)
    rows = json.loads(files["interactions.json"])
    meeting = next(r for r in rows if r["Kind"] == "Meeting")
    assert meeting["With"] == "You, [another person]"
    assert meeting["Summary"] == "Olivia and [another person] on the shed's accounts"
    assert meeting["Notes"] == (
        "[another person] will e-mail [another person]; [another person] unsure. Olivia keen."
    )
    assert meeting["Outcome"] == "[another person] to send figures"
    assert len(rows) == 2
    answers = json.loads(files["survey-answers.json"])
    assert [a["Answer"] for a in answers] == ["[another person] and Olivia"]


def test_csvs_open_in_a_spreadsheet_safely(life, django_capture_on_commit_callbacks):
    """Every CSV starts with the house BOM and parses; a formula in a record is defused."""
    _, files = built_zip(life, django_capture_on_commit_callbacks)
    for key in TABLE_SECTIONS:
        raw = files[f"{key}.csv"].decode("utf-8")
        assert raw.startswith(BOM), key
        rows = list(csv.reader(io.StringIO(raw.removeprefix(BOM))))
        assert rows[0], key
        assert len(rows) - 1 == len(json.loads(files[f"{key}.json"])), key
    record = list(csv.DictReader(io.StringIO(files["contact.csv"].decode("utf-8-sig"))))
    assert record[0]["Notes"] == '\'=HYPERLINK("http://evil")'
    assert record[0]["Date of birth"] == "6 May 1970"
    assert record[0]["Restricted (seen only by colleagues granted it)"] == "No"
    disclosures = json.loads(files["disclosures.json"])
    assert [(d["Member"], d["What they did"]) for d in disclosures] == [
        ("Beta Community Network", "Exported")
    ]
    snapshots = json.loads(files["event-snapshots.json"])
    assert [s["Sent to"] for s in snapshots] == ["Beta Community Network"]


def test_a_pack_downloads_once_then_says_when_and_by_whom(
    life, member_a, client_for, django_capture_on_commit_callbacks
):
    """The lead downloads the ZIP once (after a confirmation); the file is deleted; a second
    attempt gets a plain page naming when and by whom."""
    with django_capture_on_commit_callbacks(execute=True):
        pack = packs.pack_build(task=life.task, acting_user=life.lead)
    stored = pack.file.name
    url = reverse("rights:pack_download", kwargs={"task_id": life.task.pk})
    client = client_for(life.lead, member_a)
    asked = client.post(url)
    assert asked.status_code == 200
    assert b"only once" in asked.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    assert "summary.html" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not default_storage.exists(stored)
    pack.refresh_from_db()
    assert pack.downloaded_by == life.lead
    assert pack.downloaded_at
    assert not pack.file
    again = client.post(url, {"confirm": "yes"})
    assert again.status_code == 410
    assert b"already been downloaded" in again.content
    assert b"Lena Lead-A" in again.content
    with pytest.raises(ValidationError, match="already been downloaded"):
        packs.pack_download(task=life.task, acting_user=life.lead)


@pytest.mark.parametrize("who", ["staff-a", "manager-a", "admin-c", "lead-b"])
def test_only_the_member_s_leads_may_build(life, user, who):
    """Staff, a manager who is not a lead, a consortium admin and another member's lead
    cannot build the pack: nothing is written."""
    person = life.lead_b if who == "lead-b" else user(who)
    with pytest.raises(PermissionDenied):
        packs.pack_build(task=life.task, acting_user=person)
    assert not SubjectAccessPack.objects.filter(task=life.task).exists()


@pytest.mark.parametrize(("who", "site", "status"), [
    ("staff-a", "a", 403), ("manager-a", "a", 403), ("lead-b", "b", 404),
])  # fmt: skip
def test_only_the_member_s_leads_may_download(
    life, user, member_a, member_b, client_for, django_capture_on_commit_callbacks,
    who, site, status,
):  # fmt: skip
    """The download refuses staff and a manager who is not a lead (403) and another member's
    lead on their own site (404); the pack stays downloadable."""
    with django_capture_on_commit_callbacks(execute=True):
        pack = packs.pack_build(task=life.task, acting_user=life.lead)
    person = life.lead_b if who == "lead-b" else user(who)
    client = client_for(person, member_a if site == "a" else member_b)
    url = reverse("rights:pack_download", kwargs={"task_id": life.task.pk})
    assert client.post(url, {"confirm": "yes"}).status_code == status
    pack.refresh_from_db()
    assert pack.is_downloadable
    assert default_storage.exists(pack.file.name)


def test_building_and_downloading_are_audited_and_a_rebuild_replaces_the_copy(
    life, member_a, django_capture_on_commit_callbacks
):
    """Build, rebuild and download each write an audit row naming the member and the
    request (never the person); a rebuild deletes the copy not downloaded."""
    with django_capture_on_commit_callbacks(execute=True):
        first = packs.pack_build(task=life.task, acting_user=life.lead)
    with django_capture_on_commit_callbacks(execute=True):
        second = packs.pack_build(task=life.task, acting_user=life.lead)
    first.refresh_from_db()
    assert first.replaced_at
    assert not first.file
    assert second.is_downloadable
    with django_capture_on_commit_callbacks(execute=True):
        handed, opened = packs.pack_download(task=life.task, acting_user=life.lead)
    opened.close()
    assert handed.pk == second.pk
    entries = AuditEntry.objects.filter(member_id=member_a.pk, action__startswith="rights.pack")
    assert list(entries.order_by("id").values_list("action", flat=True)) == [
        "rights.pack_built",
        "rights.pack_rebuilt",
        "rights.pack_downloaded",
    ]
    assert {e.target for e in entries} == {"SAR-0001"}
    assert all(e.actor_id == life.lead.pk for e in entries)
    assert all("Olivia" not in json.dumps(e.details) for e in entries)


def test_the_access_task_action_builds_the_pack(life):
    """The registry's action for subject access builds a pack and says how to get it."""
    action = task_action_for(RequestKind.ACCESS)
    assert action is not None
    assert action(life.task, life.lead) == packs.READY
    assert life.task.packs.get().is_downloadable


def test_a_task_of_another_kind_or_with_no_records_is_refused(life, member_a, user):
    """An erasure task has no pack; an access task whose contacts are gone says so."""
    erasure = task_for(member_a, [life.olivia.pk], opened_by=user("admin-c"),
                       kind=RequestKind.ERASURE, reference="ER-0001")  # fmt: skip
    with pytest.raises(ValidationError, match="not a subject access"):
        packs.pack_build(task=erasure, acting_user=life.lead)
    empty = task_for(member_a, [987654321], opened_by=user("admin-c"), reference="SAR-0002")
    with pytest.raises(ValidationError, match="holds no records"):
        packs.pack_build(task=empty, acting_user=life.lead)
    assert connection.schema_name == "public"


def test_the_task_panel_offers_the_download_then_says_who_downloaded(
    life, member_a, django_capture_on_commit_callbacks
):
    """The access task's panel: a download button while the pack waits; afterwards, when
    and by whom it was downloaded, in its history."""
    request = RequestFactory().get("/", HTTP_HOST=f"alpha.{settings.BASE_DOMAIN}")
    request.user = life.lead
    request.tenant = member_a
    before = render_to_string(
        "rights/task_kinds/access.html", {"task": life.task, "request": request}
    )
    assert "No pack has been built yet" in before
    with django_capture_on_commit_callbacks(execute=True):
        packs.pack_build(task=life.task, acting_user=life.lead)
    ready = render_to_string(
        "rights/task_kinds/access.html", {"task": life.task, "request": request}
    )
    assert reverse("rights:pack_download", kwargs={"task_id": life.task.pk}) in ready
    assert "Ready to download" in ready
    with django_capture_on_commit_callbacks(execute=True):
        packs.pack_download(task=life.task, acting_user=life.lead)[1].close()
    after = render_to_string(
        "rights/task_kinds/access.html", {"task": life.task, "request": request}
    )
    assert "Downloaded on" in after
    assert "by Lena Lead-A" in after
    assert "Download the pack (once)" not in after
    request.user = life.lead_b
    other = render_to_string(
        "rights/task_kinds/access.html", {"task": life.task, "request": request}
    )
    assert "Only a data protection lead" in other
