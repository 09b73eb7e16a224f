from __future__ import annotations

import pytest
from django.db import connection

from crm import services as crm
from sharing import services


@pytest.fixture
def shared_world(member_a, member_b, user, in_member):
    """Member A holds a few contacts and organisations; helpers make agreements A -> B."""
    with in_member(member_a):
        tag = crm.tag_get_or_create(name="Directory 2026", acting_user=None)
        org = crm.organisation_create(
            acting_user=None,
            name="Malton Men's Shed",
            postcode="YO17 7AA",
            district="Ryedale",
            org_type="charity",
            identifiers=[("GB-CHC", "1100001")],
            email="shed@example.org",
            notes="Secret notes",
            tags=[tag],
        )
        other = crm.organisation_create(acting_user=None, name="Untagged Group")
        ada = crm.contact_create(
            acting_user=None,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            phone="01904 000001",
            notes="Never share",
            tags=[tag],
        )
        crm.consent_record(contact=ada, purpose="sharing", status="granted", acting_user=None)
        crm.role_add(contact=ada, organisation=org, role="chair", acting_user=None)
        bob = crm.contact_create(
            acting_user=None,
            first_name="Bob",
            last_name="NoConsent",
            email="bob@example.org",
            tags=[tag],
        )
    connection.set_schema_to_public()

    def agree(**overrides):
        fields = {
            "title": "Directory",
            "purpose": "directory",
            "record_types": ["contact", "organisation"],
            "contact_fields": ["first_name", "last_name", "email", "organisations"],
            "organisation_fields": ["name", "postcode", "identifiers", "district"],
            "criteria_tags": ["Directory 2026"],
        }
        fields.update(overrides)
        recipients = fields.pop("recipient_ids", [member_b.pk])
        agreement = services.agreement_create(
            provider=member_a, acting_user=user("manager-a"), recipient_ids=recipients, **fields
        )
        services.agreement_propose(agreement=agreement, acting_user=user("manager-a"))
        services.agreement_sign(agreement=agreement, member=member_a, acting_user=user("manager-a"))
        if not fields.get("all_members"):
            services.agreement_sign(
                agreement=agreement, member=member_b, acting_user=user("manager-b")
            )
        agreement.refresh_from_db()
        return agreement

    return {"org": org, "other": other, "ada": ada, "bob": bob, "tag": tag, "agree": agree}
