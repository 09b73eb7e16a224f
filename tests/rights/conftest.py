"""Data protection leads for the rights tests: one at each member, and the consortium's."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from tenants.models import Membership, Role
from tenants.roles import DATA_PROTECTION_LEADS


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
