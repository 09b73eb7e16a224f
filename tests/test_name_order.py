"""Lists of names are in the order people read them: case and accents do not matter.

The database's collation may be ``C`` (the embedded PostgreSQL), which put every upper-case
name before every lower-case one ("BEDALE ADVICE" before "abbey").
"""

from __future__ import annotations

import pytest

from crm import selectors as crm_selectors
from crm import services as crm
from events import bookings
from events import selectors as event_selectors
from sharing import selectors as sharing_selectors

pytestmark = pytest.mark.django_db

WRITTEN = ["Bedale Central", "abbey", "BEDALE ADVICE", "Ábbey", "bedale"]
READ = ["abbey", "Ábbey", "bedale", "BEDALE ADVICE", "Bedale Central"]


def test_contacts_are_listed_by_name_whatever_the_case_or_accents(at_a, user):
    """The contact list orders surnames case- and accent-insensitively, and reverses the same
    order for "name, Z to A"."""
    for name in WRITTEN:
        crm.contact_create(acting_user=None, first_name="Pat", last_name=name)
    listed = crm_selectors.contact_list(user=user("staff-a"))
    assert [c.last_name for c in listed if c.last_name in WRITTEN] == READ
    reverse = crm_selectors.contact_list(user=user("staff-a"), sort="-name")
    assert [c.last_name for c in reverse if c.last_name in WRITTEN] == READ[::-1]


def test_organisations_are_listed_by_name_whatever_the_case_or_accents(at_a):
    """The organisation list orders names case- and accent-insensitively."""
    for name in WRITTEN:
        crm.organisation_create(acting_user=None, name=name)
    listed = crm_selectors.organisation_list()
    assert [o.name for o in listed if o.name in WRITTEN] == READ


def test_shared_directory_lists_names_as_people_do(member_a, member_b, user, in_member, client_for):
    """The shared directory page, and its search, list organisations case- and
    accent-insensitively (upper-case names used to come first)."""
    from sharing import services

    with in_member(member_a):
        tag = crm.tag_get_or_create(name="Ordered directory")
        for name in WRITTEN:
            crm.organisation_create(acting_user=None, name=name, tags=[tag])
    manager_a = user("manager-a")
    agreement = services.agreement_create(
        provider=member_a, acting_user=manager_a, recipient_ids=[member_b.pk],
        title="Ordered", purpose="directory", record_types=["organisation"],
        organisation_fields=["name"], criteria_tags=["Ordered directory"],
    )  # fmt: skip
    services.agreement_propose(agreement=agreement, acting_user=manager_a)
    services.agreement_sign(agreement=agreement, member=member_a, acting_user=manager_a)
    services.agreement_sign(agreement=agreement, member=member_b, acting_user=user("manager-b"))

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
    manager = user("manager-a")
    for name in WRITTEN:
        bookings.resource_save(acting_user=manager, owner=member_a, name=name, kind="room")
    listed = event_selectors.resources_filtered(user=manager, member=member_a)
    assert [r.name for r in listed if r.name in WRITTEN] == READ
