"""Property-based: whatever contacts exist, whoever is restricted and whoever was granted,
each person sees exactly the contacts the rules allow, on every read path, and never
another member's."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import exporting, selectors
from crm.models import Contact

pytestmark = pytest.mark.django_db

contact_specs = st.lists(
    st.tuples(
        st.sampled_from(["alpha", "beta"]),  # which member holds it
        st.booleans(),  # restricted
        st.sets(st.sampled_from(["staff-a", "manager-a", "staff-b"])),  # granted to
        st.sampled_from(["Smith", "Brontë", "O'Neill", "Patel", "Ng"]),
    ),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=contact_specs)
def test_visibility_matches_the_rules_on_every_read_path(
    specs, member_a, member_b, user, client_for
):
    """Reference model: a member's staff see that member's unrestricted contacts plus the
    restricted ones granted to them; nothing of the other member. Checked through the
    selector, search, count, export and the API."""
    members = {"alpha": member_a, "beta": member_b}
    people = {name: user(name) for name in ("staff-a", "manager-a", "staff-b")}
    home = {"staff-a": "alpha", "manager-a": "alpha", "staff-b": "beta"}
    with transaction.atomic():
        expected: dict[str, set[str]] = {name: set() for name in people}
        for index, (slug, restricted, granted, surname) in enumerate(specs):
            connection.set_tenant(members[slug])
            marker = f"{surname}{index}"
            contact = Contact.objects.create(
                last_name=marker, is_restricted=restricted, email=f"c{index}@example.org"
            )
            for name in granted:
                if home[name] == slug:
                    assign_perm("crm.view_restricted_contact", people[name], contact)
            for name in people:
                if home[name] == slug and (not restricted or name in granted):
                    expected[name].add(marker)
        for name, person in people.items():
            member = members[home[name]]
            connection.set_tenant(member)
            seen = set(selectors.contact_list(user=person).values_list("last_name", flat=True))
            assert seen == expected[name]
            assert selectors.contact_list(user=person).count() == len(expected[name])
            searched = set(
                selectors.contact_list(user=person, search="smith").values_list(
                    "last_name", flat=True
                )
            )
            assert searched == {m for m in expected[name] if m.startswith("Smith")}
            exported = exporting.records_export(
                queryset=selectors.contact_list(user=person),
                record_type="contact",
                file_format="csv",
            ).decode("utf-8-sig")
            everyone = {f"{s}{i}" for i, (_, _, _, s) in enumerate(specs)}
            assert {m for m in everyone if f",{m}," in exported} == expected[name]
            connection.set_schema_to_public()
            api = client_for(person, member).get("/api/contacts/", {"page_size": 100}).json()
            assert {c["last_name"] for c in api["results"]} == expected[name]
        transaction.set_rollback(True)
    connection.set_schema_to_public()
