"""The CRM API enforces the same rules as the pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from crm import services
from crm.models import Contact


@pytest.fixture
def records(at_a, user):
    manager = user("manager-a")
    made = {
        "open": services.contact_create(acting_user=manager, first_name="Open", last_name="Book",
                                        email="open@example.org"),
        "secret": services.contact_create(acting_user=manager, first_name="Sally",
                                          last_name="Safeguarded", is_restricted=True),
        "org": services.organisation_create(acting_user=manager, name="Malton Men's Shed",
                                            identifiers=[("GB-CHC", "0012345")]),
    }  # fmt: skip
    connection.set_schema_to_public()
    return made


def test_api_lists_and_searches_contacts_without_restricted(client_for, user, member_a, records):
    """List, search and count leave out a restricted contact the caller was not granted."""
    client = client_for(user("staff-a"), member_a)
    listing = client.get("/api/contacts/").json()
    assert listing["count"] == 1
    assert [c["last_name"] for c in listing["results"]] == ["Book"]
    assert client.get("/api/contacts/", {"q": "safeguarded"}).json()["count"] == 0
    secret = records["secret"].pk
    assert client.get(f"/api/contacts/{secret}/").status_code == 404
    assert client.patch(f"/api/contacts/{secret}/", {"first_name": "X"},
                        content_type="application/json").status_code == 404  # fmt: skip
    manager = client_for(user("manager-a"), member_a)
    assert manager.get("/api/contacts/").json()["count"] == 2


def test_api_creates_with_validation_errors_named(client_for, user, member_a, records):
    """Invalid e-mail and postcode give 400 naming the fields; a valid contact is created."""
    client = client_for(user("staff-a"), member_a)
    bad = client.post("/api/contacts/", {"last_name": "X", "email": "nope", "postcode": "XYZ"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()) == {"email", "postcode"}
    good = client.post("/api/contacts/", {"last_name": "Yates", "email": "y@example.org",
                                          "tags": []}, content_type="application/json")  # fmt: skip
    assert good.status_code == 201
    connection.set_tenant(member_a)
    assert Contact.objects.get(pk=good.json()["id"]).created_by == user("staff-a")


def test_api_organisations_keep_identifier_strings(client_for, user, member_a, records):
    """Identifiers come back as strings with their leading zeros, searchable in org-id form."""
    client = client_for(user("staff-a"), member_a)
    found = client.get("/api/organisations/", {"q": "GB-CHC-0012345"}).json()
    assert found["count"] == 1
    assert found["results"][0]["identifiers"] == [
        {"scheme": "GB-CHC", "value": "0012345", "is_preferred": True}
    ]


def test_api_refuses_other_members_staff_and_tokens(client_for, user, member_a, records):
    """Another member's staff, by session or by token, get 403 and no data."""
    assert client_for(user("staff-b"), member_a).get("/api/contacts/").status_code == 403
    token = Token.objects.create(user=user("staff-b"))
    response = Client(HTTP_HOST="alpha.localhost").get(
        "/api/contacts/", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 403
    assert b"Book" not in response.content


def test_api_roles_do_not_reveal_restricted_contacts(client_for, user, member_a, records):
    """Roles of a restricted contact are absent for staff without access."""
    connection.set_tenant(member_a)
    services.role_add(contact=records["secret"], organisation=records["org"], role="trustee",
                      acting_user=None)  # fmt: skip
    connection.set_schema_to_public()
    staff = client_for(user("staff-a"), member_a).get("/api/roles/").json()
    assert staff["count"] == 0
    assert client_for(user("manager-a"), member_a).get("/api/roles/").json()["count"] == 1


def test_openapi_schema_lists_the_crm(client_for, user, member_a):
    """The OpenAPI schema documents contacts, organisations, roles, interactions and tags."""
    schema = client_for(user("staff-a"), member_a).get("/api/schema/").content.decode()
    for path in ("/api/contacts/", "/api/organisations/", "/api/roles/", "/api/interactions/",
                 "/api/tags/", "/api/organisation-relationships/"):  # fmt: skip
        assert path in schema


def _audit(action: str):
    from tenants.models import AuditEntry

    return list(AuditEntry.objects.filter(action=action).values_list("actor_id", "member_id",
                                                                     "target"))  # fmt: skip


def test_api_organisation_relationships_go_through_the_services(
    client_for, user, member_a, records, in_member
):
    """Creating, changing and deleting a relationship by the API each leave an audit row
    with the caller as actor; a relationship of an organisation with itself is a 400."""
    staff = user("staff-a")
    with in_member(member_a):
        other = services.organisation_create(acting_user=None, name="Ryedale CVS")
    client = client_for(staff, member_a)
    org = records["org"].pk
    same = client.post("/api/organisation-relationships/", {
        "from_organisation": org, "to_organisation": org, "kind": "member_of",
    }, content_type="application/json")  # fmt: skip
    assert same.status_code == 400
    made = client.post("/api/organisation-relationships/", {
        "from_organisation": org, "to_organisation": other.pk, "kind": "member_of",
    }, content_type="application/json")  # fmt: skip
    assert made.status_code == 201
    path = f"/api/organisation-relationships/{made.json()['id']}/"
    changed = client.patch(path, {"kind": "funded_by"}, content_type="application/json")
    assert (changed.status_code, changed.json()["kind"]) == (200, "funded_by")
    assert client.delete(path).status_code == 204
    target = f"organisation relationship {made.json()['id']}"
    for action in ("created", "changed", "deleted"):
        assert _audit(f"organisation_relationship.{action}") == [(staff.pk, member_a.pk, target)]


def test_api_interaction_updates_and_deletes_keep_the_interaction_rule(
    client_for, user, member_a, records, in_member
):
    """Staff cannot change or delete an interaction with a contact hidden from them (404, as
    a missing id), nor link a visible one to a hidden contact (400); someone who sees every
    contact on it changes and deletes it, and both are logged."""
    from crm.models import Interaction

    manager = user("manager-a")
    with in_member(member_a):
        hidden = services.interaction_create(
            acting_user=manager, kind="call", date="2026-01-05", summary="Hidden call",
            contacts=[records["secret"]],
        )  # fmt: skip
        plain = services.interaction_create(
            acting_user=manager, kind="call", date="2026-01-06", summary="Plain call",
            contacts=[records["open"]],
        )  # fmt: skip
    staff = client_for(user("staff-a"), member_a)
    path = f"/api/interactions/{hidden.pk}/"
    assert staff.patch(path, {"summary": "X"}, content_type="application/json").status_code == 404
    assert staff.delete(path).status_code == 404
    linked = staff.patch(f"/api/interactions/{plain.pk}/",
                         {"contacts": [records["open"].pk, records["secret"].pk]},
                         content_type="application/json")  # fmt: skip
    assert linked.status_code == 400
    connection.set_tenant(member_a)
    assert Interaction.objects.get(pk=hidden.pk).summary == "Hidden call"
    assert list(plain.contacts.all()) == [records["open"]]
    connection.set_schema_to_public()
    granted = client_for(manager, member_a)
    changed = granted.patch(path, {"summary": "Follow-up"}, content_type="application/json")
    assert changed.json()["summary"] == "Follow-up"
    assert granted.delete(path).status_code == 204
    connection.set_tenant(member_a)
    assert not Interaction.objects.filter(pk=hidden.pk).exists()
    for action in ("changed", "deleted"):
        assert _audit(f"interaction.{action}") == [
            (manager.pk, member_a.pk, f"interaction {hidden.pk}")
        ]
