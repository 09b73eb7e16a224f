"""Lists of names are in the order people read them: case and accents do not matter.

The database's collation may be ``C`` (the embedded PostgreSQL), which put every upper-case
name before every lower-case one ("BEDALE ADVICE" before "abbey").
"""

from __future__ import annotations

import pytest

from crm import selectors as crm_selectors
from events import selectors as event_selectors
from sharing import selectors as sharing_selectors
from tests.factories import AgreementFactory, ContactFactory, OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db

WRITTEN = ["Bedale Central", "abbey", "BEDALE ADVICE", "Ábbey", "bedale"]
READ = ["abbey", "Ábbey", "bedale", "BEDALE ADVICE", "Bedale Central"]


def test_contacts_are_listed_by_name_whatever_the_case_or_accents(at_a, user):
    """The contact list orders surnames case- and accent-insensitively, and reverses the same
    order for "name, Z to A"."""
    for name in WRITTEN:
        ContactFactory(last_name=name)
    listed = crm_selectors.contact_list(user=user("staff-a"))
    assert [c.last_name for c in listed if c.last_name in WRITTEN] == READ
    reverse = crm_selectors.contact_list(user=user("staff-a"), sort="-name")
    assert [c.last_name for c in reverse if c.last_name in WRITTEN] == READ[::-1]


def test_organisations_are_listed_by_name_whatever_the_case_or_accents(at_a):
    """The organisation list orders names case- and accent-insensitively."""
    for name in WRITTEN:
        OrganisationFactory(name=name)
    listed = crm_selectors.organisation_list()
    assert [o.name for o in listed if o.name in WRITTEN] == READ


def test_shared_directory_lists_names_as_people_do(member_a, member_b, user, in_member, client_for):
    """The shared directory page, and its search, list organisations case- and
    accent-insensitively (upper-case names used to come first)."""
    with in_member(member_a):
        for name in WRITTEN:
            OrganisationFactory(name=name, tags=["Ordered directory"])
    AgreementFactory(provider=member_a, recipients=[member_b], criteria_tags=["Ordered directory"],
                     in_force=True)  # fmt: skip

    records = sharing_selectors.shared_records_for(member=member_b)
    assert [r.display_name for r in records] == READ
    searched = sharing_selectors.shared_records_for(member=member_b, search="bedale")
    assert [r.display_name for r in searched] == READ[2:]

    page = client_for(user("staff-b"), member_b).get("/shared/")
    assert page.status_code == 200
    body = page.content.decode()
    positions = [body.index(f">{name}<") for name in READ]
    assert positions == sorted(positions)


def test_resources_are_listed_by_name_whatever_the_case_or_accents(member_a, user):
    """Rooms and resources are listed case- and accent-insensitively."""
    for name in WRITTEN:
        ResourceFactory(owner=member_a, name=name)
    listed = event_selectors.resources_filtered(user=user("manager-a"), member=member_a)
    assert [r.name for r in listed if r.name in WRITTEN] == READ
