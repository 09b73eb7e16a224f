"""Sharing pages: what recipients see, the why-panel, logs, exports, copies, and 404s for
everything an agreement does not cover."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.models import Contact
from sharing.models import Disclosure, SharedRecord, Status

pytestmark = pytest.mark.django_db


def test_recipient_sees_shared_records_labelled_and_views_are_logged(
    shared_world, client_for, user, member_a, member_b
):
    """Shared with us lists each record with its provider and agreement; the record page
    explains why; viewing personal data is written to the disclosure log."""
    agreement = shared_world["agree"]()
    client = client_for(user("staff-b"), member_b)
    body = client.get("/shared/").content.decode()
    assert "Ada Lovelace" in body
    assert "Alpha Voluntary Action" in body
    assert "Directory" in body
    record = SharedRecord.objects.get(display_name="Ada Lovelace")
    page = client.get(f"/shared/{record.pk}/").content.decode()
    assert "Why can I see this?" in page
    assert "Never share" not in page
    assert "01904 000001" not in page
    log = Disclosure.objects.filter(provider_id=member_a.pk, member_id=member_b.pk)
    assert log.filter(action="view", agreement_id=agreement.pk).count() >= 2
    assert record.record_id in log.last().record_ids or record.record_id in log.first().record_ids


def test_provider_sees_what_it_shares_and_who_viewed(
    shared_world, client_for, user, member_a, member_b
):
    """What we share counts the records per agreement and lists who viewed them."""
    shared_world["agree"]()
    client_for(user("staff-b"), member_b).get("/shared/")
    page = client_for(user("staff-a"), member_a).get("/what-we-share/").content.decode()
    assert "Beta Community Network" in page
    assert "Viewed" in page


def test_guessing_ids_of_records_not_shared_with_us_is_404(
    shared_world, client_for, user, member_a, member_b
):
    """Shared records of an agreement one is not party to, and the provider's own, are 404."""
    shared_world["agree"]()
    record = SharedRecord.objects.first()
    assert client_for(user("staff-a"), member_a).get(f"/shared/{record.pk}/").status_code == 404
    assert client_for(user("staff-b"), member_b).get("/shared/999999/").status_code == 404


def test_terminated_agreement_hides_records_on_the_next_request(
    shared_world, client_for, user, member_a, member_b
):
    """Terminating from the provider's page removes everything from the recipient at once."""
    agreement = shared_world["agree"]()
    record = SharedRecord.objects.first()
    manager_a = client_for(user("manager-a"), member_a)
    manager_a.post(f"/agreements/{agreement.pk}/terminate/", {"reason": "Done", "confirm": "yes"})
    agreement.refresh_from_db()
    assert agreement.status == Status.TERMINATED
    staff_b = client_for(user("staff-b"), member_b)
    assert staff_b.get(f"/shared/{record.pk}/").status_code == 404
    assert "Ada Lovelace" not in staff_b.get("/shared/").content.decode()


def test_export_only_where_the_agreement_allows(shared_world, client_for, user, member_b):
    """A view-only agreement exports nothing; a view-and-export one exports and logs it."""
    shared_world["agree"]()
    client = client_for(user("staff-b"), member_b)
    assert "Ada" not in client.get("/shared/export.csv").content.decode()
    shared_world["agree"](access_mode="export", title="Exportable")
    body = client.get("/shared/export.csv").content.decode()
    assert "Lovelace" in body
    assert Disclosure.objects.filter(action="export").exists()


def test_copy_into_own_crm_where_allowed(shared_world, client_for, user, member_b):
    """With 'copy' access a recipient copies a contact into its own CRM, with a note."""
    shared_world["agree"](access_mode="copy")
    record = SharedRecord.objects.get(display_name="Ada Lovelace")
    client_for(user("staff-b"), member_b).post(f"/shared/{record.pk}/copy/")
    connection.set_tenant(member_b)
    copied = Contact.objects.get(email="ada@example.org")
    assert "Copied from Alpha Voluntary Action" in copied.notes
    assert Disclosure.objects.filter(action="copy").exists()


def test_copy_refused_for_view_only(shared_world, client_for, user, member_b):
    shared_world["agree"]()
    record = SharedRecord.objects.first()
    response = client_for(user("staff-b"), member_b).post(f"/shared/{record.pk}/copy/")
    assert response.status_code == 403


def test_managers_propose_and_sign_through_the_pages(client_for, user, member_a, member_b):
    """A manager drafts and proposes; both sides sign; the agreement becomes active."""
    manager_a = client_for(user("manager-a"), member_a)
    response = manager_a.post(
        "/agreements/new/",
        {
            "title": "Groups directory",
            "purpose": "directory",
            "recipients": [member_b.pk],
            "record_types": ["organisation"],
            "organisation_fields": ["name", "postcode"],
            "access_mode": "view",
            "start_date": "2026-01-01",
            "requires_consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    url = response["Location"]
    manager_a.post(f"{url}propose/")
    manager_a.post(f"{url}sign/")
    client_for(user("manager-b"), member_b).post(f"{url}sign/")
    page = manager_a.get(url).content.decode()
    assert "Active" in page
    assert client_for(user("staff-b"), member_b).post(f"{url}terminate/").status_code == 403


def test_staff_cannot_create_agreements(client_for, user, member_a):
    assert client_for(user("staff-a"), member_a).get("/agreements/new/").status_code == 403


def test_api_shared_records_follow_the_same_rules(
    shared_world, client_for, user, member_a, member_b
):
    """The API lists exactly what the pages show, logs reads, and 404s the rest."""
    shared_world["agree"]()
    client = client_for(user("staff-b"), member_b)
    listing = client.get("/api/shared-records/").json()
    assert {r["display_name"] for r in listing["results"]} == {"Ada Lovelace", "Malton Men's Shed"}
    ada = next(r for r in listing["results"] if r["display_name"] == "Ada Lovelace")
    assert set(ada["data"]) == {"first_name", "last_name", "email", "organisations"}
    assert client.get("/api/shared-records/", {"q": "shed@example"}).json()["count"] == 0
    provider = client_for(user("staff-a"), member_a)
    assert provider.get("/api/shared-records/").json()["count"] == 0
    assert provider.get(f"/api/shared-records/{ada['id']}/").status_code == 404
    log = provider.get("/api/disclosures/").json()
    assert log["count"] >= 1
    assert client.get("/api/disclosures/").json()["count"] == 0
    agreements = client.get("/api/agreements/").json()
    assert agreements["results"][0]["provider"] == "Alpha Voluntary Action"


def test_consortium_register_map_and_templates(shared_world, client_for, user):
    """Admins see every agreement in the register (and as CSV), the sharing map with a
    table beside it, and the templates; members' staff cannot."""
    shared_world["agree"]()
    admin = client_for(user("admin-c"), None)
    register = admin.get("/sharing/register/").content.decode()
    assert "Directory" in register
    assert "Beta Community Network" in register
    csv_body = admin.get("/sharing/register/", {"format": "csv"}).content.decode()
    assert "Alpha Voluntary Action" in csv_body
    page = admin.get("/sharing/map/").content.decode()
    assert "<svg" in page
    assert "Alpha Voluntary Action" in page
    assert "Directory of local groups" in admin.get("/sharing/templates/").content.decode()
    staff = client_for(user("both-ab"), None)
    assert staff.get("/sharing/register/").status_code == 403


def test_agreement_form_starts_from_a_template(client_for, user, member_a):
    """A manager's new agreement can start from a consortium template."""
    from sharing.models import AgreementTemplate

    template = AgreementTemplate.objects.get(name="Directory of local groups")
    page = client_for(user("manager-a"), member_a).get(f"/agreements/new/?template={template.pk}")
    assert 'value="Directory of local groups"' in page.content.decode()


def test_shared_organisation_is_matched_to_ours_and_linked(
    shared_world, client_for, user, member_b, in_member
):
    """Member B's own copy of an organisation is matched by identifier to member A's shared
    one; once B confirms, B's page shows A's current details beside its own."""
    from crm import services as crm

    shared_world["agree"]()
    with in_member(member_b):
        ours = crm.organisation_create(
            acting_user=None, name="Malton Mens Shed (ours)", identifiers=[("GB-CHC", "1100001")]
        )
        by_name = crm.organisation_create(
            acting_user=None, name="Malton Men's Shed", postcode="YO17 7AA"
        )
    client = client_for(user("staff-b"), member_b)
    page = client.get(f"/organisations/{ours.pk}/").content.decode()
    assert "same identifier" in page
    assert "same postcode" in client.get(f"/organisations/{by_name.pk}/").content.decode()
    record = SharedRecord.objects.get(display_name="Malton Men's Shed")
    client.post(f"/shared/{record.pk}/link/", {"organisation": ours.pk, "reason": "identifier"})
    page = client.get(f"/organisations/{ours.pk}/").content.decode()
    assert "Alpha Voluntary Action has" in page
    assert "YO17 7AA" in page


def test_copied_organisation_links_back_to_the_provider(shared_world, client_for, user, member_b):
    """A copied organisation is linked to the provider's record, whose updates then show
    on the copy's page; the note carries a link back."""
    from crm.models import Organisation

    shared_world["agree"](access_mode="copy")
    record = SharedRecord.objects.get(display_name="Malton Men's Shed")
    client = client_for(user("staff-b"), member_b)
    client.post(f"/shared/{record.pk}/copy/")
    connection.set_tenant(member_b)
    copy = Organisation.objects.get(name="Malton Men's Shed")
    assert f"/shared/{record.pk}/" in copy.notes
    connection.set_schema_to_public()
    page = client.get(f"/organisations/{copy.pk}/").content.decode()
    assert "Alpha Voluntary Action has" in page
