"""Data protection leads for the rights tests: one at each member, and the consortium's."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from crm import services as crm
from events import services as events
from rights.models import IdentityCheck, MemberTask, RequestKind, RightsRequest
from sharing.models import SharedRecord
from tenants.models import Membership, Role
from tenants.roles import DATA_PROTECTION_LEADS
from tests.factories import EventFactory, UserFactory
from tests.sharing.conftest import shared_world  # noqa: F401 - a fixture used here


def _person(username: str):
    return get_user_model().objects.create_user(
        username=username, password="x-unused-password-x", email=f"{username}@example.org",
        first_name=username.split("-")[0].title(), last_name="Lead",
    )  # fmt: skip


@pytest.fixture
def lead_a(member_a):
    person = _person("lead-a")
    Membership.objects.create(user=person, member=member_a, role=Role.STAFF,
                              is_data_protection_lead=True)  # fmt: skip
    return person


@pytest.fixture
def lead_b(member_b):
    person = _person("lead-b")
    Membership.objects.create(user=person, member=member_b, role=Role.STAFF,
                              is_data_protection_lead=True)  # fmt: skip
    return person


@pytest.fixture
def consortium_lead(db):
    person = _person("lead-c")
    person.groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    return person


@pytest.fixture
def breach_details():
    def make(**changes):
        found = timezone.now() - datetime.timedelta(hours=10)
        return {
            "title": "Spreadsheet e-mailed to the wrong list", "what_happened": "A list of "
            "contacts was sent to a mailing list by mistake.", "found_at": found,
            "occurred_at": found - datetime.timedelta(hours=2), "found_by": "Office manager",
            "contacts_affected": 120, "likelihood": "possible", "severity": "significant",
            **changes,
        }  # fmt: skip

    return make


# --- # The erasure tests' world: The world of the erasure tests: a person (Ada) held by member
def lead_of(member, username: str):
    """A staff member of ``member`` named its data protection lead."""
    lead = UserFactory(username=username, member=member, role=Role.STAFF)
    Membership.objects.filter(user=lead, member=member).update(is_data_protection_lead=True)
    return lead


def task_for(member, contact_ids, kind: str, *, opened_by) -> MemberTask:
    today = timezone.localdate()
    request = RightsRequest.objects.create(
        reference=f"DR-{kind[:4].upper()}-{RightsRequest.objects.count() + 1}", kind=kind,
        received_on=today, due_on=today, identity_check=IdentityCheck.DOCUMENT,
        identity_checked_on=today, opened_by=opened_by,
    )  # fmt: skip
    return MemberTask.objects.create(request=request, member=member, contact_ids=contact_ids)


@pytest.fixture
def person(shared_world, member_a, member_b, user, client_for, in_member):  # noqa: F811
    """Ada, held by A, shared (copy allowed), copied and exported by B, booked onto B's
    event by A's staff, one interaction with only her and one with Bob too."""
    lead_a = lead_of(member_a, "lead-a")
    lead_b = lead_of(member_b, "lead-b")
    ada, bob = shared_world["ada"], shared_world["bob"]
    with in_member(member_a):
        crm.consent_record(contact=bob, purpose="sharing", status="granted", acting_user=None)
        alone = crm.interaction_create(
            acting_user=user("staff-a"), contacts=[ada], kind="call",
            summary="Called Ada Lovelace about her grant", date=timezone.localdate(),
        )  # fmt: skip
        together = crm.interaction_create(
            acting_user=user("staff-a"), contacts=[ada, bob], kind="meeting",
            summary="Met Ada Lovelace and Bob", notes="Ada Lovelace (ada@example.org) chaired.",
            date=timezone.localdate(),
        )  # fmt: skip
    agreement = shared_world["agree"](access_mode="copy", title="Copyable directory")
    record = SharedRecord.objects.get(agreement=agreement, record_type="contact",
                                      record_id=ada.pk)  # fmt: skip
    staff_b = client_for(user("staff-b"), member_b)
    copied = staff_b.post(f"/shared/{record.pk}/copy/")
    assert copied.status_code == 302, copied
    assert staff_b.get("/shared/export.csv").status_code == 200
    event = EventFactory(host=member_b, title="Beta forum")
    with in_member(member_a):
        registration = events.registration_for_contact(
            acting_user=user("staff-a"), member=member_a, event=event, contact_id=ada.pk
        )
    with in_member(member_b):
        from crm.models import Contact

        copy = Contact.objects.get(copied_from_record_id=ada.pk)
    connection.set_schema_to_public()
    task = task_for(member_a, [ada.pk], RequestKind.ERASURE, opened_by=user("admin-c"))
    return {
        **shared_world, "lead_a": lead_a, "lead_b": lead_b, "alone": alone,
        "together": together, "agreement": agreement, "record": record, "event": event,
        "registration": registration, "copy": copy, "task": task,
    }  # fmt: skip
