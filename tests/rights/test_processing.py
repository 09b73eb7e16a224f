"""A member's record of processing (Art. 30): generated from its agreements and its own
activities, exportable, and seen only by those who may."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.apps import apps
from django.urls import reverse

from rights import processing
from rights.processing import OWN_ACTIVITIES, processing_register
from tenants.models import AuditEntry
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(member_a, member_b):
    return AgreementFactory(
        provider=member_a, recipients=[member_b], title="Directory for joint delivery",
        purpose="joint_delivery", lawful_basis="public_task", record_types=["contact"],
        contact_fields=["first_name", "email"], retention="Deleted when the project ends.",
        expected_benefit="Fewer referrals lost.", in_force=True,
    )  # fmt: skip


def _row(rows, starts):
    return next(r for r in rows if r.activity.startswith(starts))


def test_the_register_reflects_an_agreement(member_a, member_b, agreement):
    """An agreement's purpose, lawful basis, fields, recipients and retention appear in both
    parties' registers, from each one's side."""
    row = _row(processing_register(member=member_a), "Sharing: Directory for joint delivery")
    assert row.purpose == "Joint service delivery. Fewer referrals lost."
    assert row.lawful_basis == "Public task"
    assert row.categories == "Contacts: First name, E-mail"
    assert row.source == "Shared by us"
    assert row.recipients == member_b.name
    assert row.retention == "Deleted when the project ends."
    theirs = _row(processing_register(member=member_b), "Sharing: Directory")
    assert theirs.source == "Shared with us"
    assert theirs.recipients == f"Received from {member_a.name}"


def test_own_activities_start_suggested_and_the_lead_edits_them(member_a, lead_a):
    """Every fixed activity is listed with Commons's suggestion until the lead changes it;
    the change is audited."""
    rows = processing_register(member=member_a)
    assert [r.activity for r in rows[: len(OWN_ACTIVITIES)]] == [
        a.name for a in OWN_ACTIVITIES.values()
    ]
    processing.processing_activity_set(acting_user=lead_a, member=member_a, activity="surveys",
                                       purpose="Our annual survey.",
                                       lawful_basis="legitimate_interests")  # fmt: skip
    surveys = _row(processing_register(member=member_a), "Surveys")
    assert (surveys.purpose, surveys.lawful_basis) == ("Our annual survey.", "Legitimate interests")
    assert AuditEntry.objects.filter(action="processing.activity_changed").exists()


def test_retention_without_the_retention_models(member_a):
    """Without rights.RetentionSchedule the register still works and says so."""
    try:
        apps.get_model("rights", "RetentionSchedule")
    except LookupError:
        assert processing.retention_schedules_of(member_a) is None
        assert _row(processing_register(member=member_a), "Contacts").retention == (
            "Not set in Commons"
        )
    else:
        assert processing.retention_schedules_of(member_a) is not None


def test_exports_open(member_a, agreement, client_for, user):
    """The CSV and the XLSX download for a manager and hold the agreement's row."""
    client = client_for(user("manager-a"), member_a)
    csv = client.get(reverse("rights:processing_export", args=["csv"]))
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.startswith("Activity,Source,Purpose")
    assert "Directory for joint delivery" in text
    xlsx = client.get(reverse("rights:processing_export", args=["xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert "Contacts: First name, E-mail" in cells
    assert client.get(reverse("rights:processing_export", args=["pdf"])).status_code == 404
    page = client.get(reverse("rights:processing_print")).content.decode()
    assert "Record of processing activities" in page
    assert "Download CSV" not in page


def test_who_sees_a_register(member_a, member_b, lead_a, client_for, user):
    """Managers and leads of the member see its register; its staff and another member's
    people do not; consortium admins see every member's on the consortium site."""
    path = reverse("rights:processing_register")
    assert client_for(user("manager-a"), member_a).get(path).status_code == 200
    assert client_for(lead_a, member_a).get(path).status_code == 200
    assert client_for(user("staff-a"), member_a).get(path).status_code == 403
    admin = client_for(user("admin-c"), None)
    assert admin.get(f"/processing/{member_b.pk}/").status_code == 200
    assert (
        client_for(user("researcher-r"), None).get(f"/processing/{member_b.pk}/").status_code == 403
    )
    edit = reverse("rights:processing_activity_edit", args=["contacts"])
    assert client_for(user("manager-a"), member_a).post(edit, {}).status_code == 403
    saved = client_for(lead_a, member_a).post(edit, {"purpose": "Ours.",
                                                     "lawful_basis": "consent"})  # fmt: skip
    assert saved.status_code == 302
