"""Agreements and the projection: exactly the agreed records and fields, in step with the
provider's changes, gone the moment an agreement stops."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from crm import merging
from crm import services as crm
from sharing import selectors, services
from sharing.models import AgreementEvent, Disclosure, SharedRecord, Status

pytestmark = pytest.mark.django_db


def seen_by(member) -> dict[str, dict]:
    return {r.display_name: r.data for r in selectors.shared_records_for(member=member)}


def test_activation_shares_only_matching_records_and_agreed_fields(
    shared_world, member_a, member_b
):
    """Tagged organisations and consenting contacts are shared, with the allowed fields only;
    untagged records, contacts without consent and withheld fields are not."""
    agreement = shared_world["agree"]()
    assert agreement.status == Status.ACTIVE
    seen = seen_by(member_b)
    assert set(seen) == {"Malton Men's Shed", "Ada Lovelace"}
    assert seen["Malton Men's Shed"] == {
        "name": "Malton Men's Shed",
        "postcode": "YO17 7AA",
        "identifiers": ["GB-CHC-1100001"],
        "district": "Ryedale",
    }
    assert seen["Ada Lovelace"] == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "organisations": [{"name": "Malton Men's Shed", "role": "chair"}],
    }
    assert seen_by(member_a) == {}  # the provider is not a recipient of its own agreement


def test_search_reads_only_agreed_fields(shared_world, member_b):
    """A withheld field (the organisation's e-mail) cannot be found by searching for it."""
    shared_world["agree"]()
    assert selectors.shared_records_for(member=member_b, search="malton").count() == 1
    assert selectors.shared_records_for(member=member_b, search="shed@example").count() == 0


def test_provider_edits_delete_and_untag_follow_in_the_same_transaction(
    shared_world, member_a, member_b, in_member, user
):
    """Edits re-project, deletions and removed tags unshare, at once."""
    shared_world["agree"]()
    with in_member(member_a):
        crm.contact_update(contact=shared_world["ada"], acting_user=None, last_name="King")
        crm.tags_bulk_apply(
            record_type="organisation",
            ids=[shared_world["org"].pk],
            tag=shared_world["tag"],
            acting_user=None,
            remove=True,
        )
    assert set(seen_by(member_b)) == {"Ada King"}
    with in_member(member_a):
        crm.consent_record(
            contact=shared_world["ada"], purpose="sharing", status="withdrawn", acting_user=None
        )
    assert seen_by(member_b) == {}


def test_restricted_contact_is_never_shared(shared_world, member_a, member_b, in_member):
    """Restricting a contact removes it from every recipient's view."""
    shared_world["agree"]()
    with in_member(member_a):
        crm.contact_update(contact=shared_world["ada"], acting_user=None, is_restricted=True)
    assert "Ada Lovelace" not in seen_by(member_b)


def test_import_and_merge_reproject_in_bulk(shared_world, member_a, member_b, in_member):
    """Imports (bulk SQL) and merges announce their ids, and the projection follows."""
    import io

    from crm.importing import records_import

    shared_world["agree"](requires_consent=False)
    data = b"First name,Last name,Email,Tags\nCat,Stevens,cat@example.org,Directory 2026\n"
    with in_member(member_a):
        records_import(handle=io.BytesIO(data), size=len(data), acting_user=None)
        crm.contact_update(contact=shared_world["bob"], acting_user=None, first_name="Robert")
        merging.contact_merge(keep=shared_world["ada"], drop=shared_world["bob"], acting_user=None)
    names = set(seen_by(member_b))
    assert "Cat Stevens" in names
    assert "Robert NoConsent" not in names
    assert "Ada Lovelace" in names


def test_suspend_terminate_and_resume(shared_world, member_a, member_b, user):
    """Suspension and termination hide everything at once; resuming brings it back."""
    agreement = shared_world["agree"]()
    services.agreement_suspend(agreement=agreement, member=member_b, acting_user=user("manager-b"))
    assert seen_by(member_b) == {}
    services.agreement_resume(agreement=agreement, acting_user=user("manager-a"))
    assert len(seen_by(member_b)) == 2
    services.agreement_terminate(
        agreement=agreement, member=member_a, acting_user=user("manager-a"), reason="Project over"
    )
    assert seen_by(member_b) == {}
    assert not SharedRecord.objects.filter(agreement=agreement).exists()
    actions = list(
        AgreementEvent.objects.filter(agreement_id=agreement.pk).values_list("action", flat=True)
    )
    assert actions == [
        "created",
        "proposed",
        "signed",
        "signed",
        "activated",
        "suspended",
        "resumed",
        "terminated",
    ]


def test_agreement_past_its_end_date_shows_nothing_before_any_job(shared_world, member_b):
    """From the day after its end date an agreement shows nothing, with no job run."""
    agreement = shared_world["agree"]()
    type(agreement).objects.filter(pk=agreement.pk).update(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1)
    )
    assert seen_by(member_b) == {}
    assert services.agreements_expire(acting_user=None) == 1
    agreement.refresh_from_db()
    assert agreement.status == Status.EXPIRED


def test_the_daily_command_expires_agreements_as_the_system(shared_world, member_b):
    """``expire_agreements`` expires an agreement past its end date; the agreement's log
    says so and names no one, the system being the actor."""
    from django.core.management import call_command

    agreement = shared_world["agree"]()
    type(agreement).objects.filter(pk=agreement.pk).update(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1)
    )
    call_command("expire_agreements", stdout=io.StringIO())
    agreement.refresh_from_db()
    assert agreement.status == Status.EXPIRED
    expired = AgreementEvent.objects.get(agreement_id=agreement.pk, action="expired")
    assert expired.actor_id is None


def test_all_signatures_are_needed(shared_world, member_a, member_b, user):
    """Until every party has signed, nothing is shared."""
    agreement = services.agreement_create(
        provider=member_a,
        acting_user=user("manager-a"),
        recipient_ids=[member_b.pk],
        title="Half signed",
        purpose="directory",
        record_types=["organisation"],
        organisation_fields=["name"],
    )
    services.agreement_propose(agreement=agreement, acting_user=user("manager-a"))
    services.agreement_sign(agreement=agreement, member=member_a, acting_user=user("manager-a"))
    assert seen_by(member_b) == {}
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement=agreement, member=member_b, acting_user=user("staff-b"))


def test_amending_makes_a_new_version_that_must_be_signed(shared_world, member_a, member_b, user):
    """A change makes version 2; version 1 stays in force until everyone signs version 2."""
    v1 = shared_world["agree"]()
    v2 = services.agreement_amend(
        agreement=v1, acting_user=user("manager-a"), organisation_fields=["name"]
    )
    assert v2.version == 2
    assert seen_by(member_b)["Malton Men's Shed"]["postcode"] == "YO17 7AA"
    services.agreement_propose(agreement=v2, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_a, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_b, acting_user=user("manager-b"))
    v1.refresh_from_db()
    assert v1.status == Status.SUPERSEDED
    assert seen_by(member_b)["Malton Men's Shed"] == {"name": "Malton Men's Shed"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"record_types": []}, "Choose what is shared"),
        ({"organisation_fields": ["notes"]}, "cannot be shared: notes"),
        ({"contact_fields": ["date_of_birth"]}, "cannot be shared: date_of_birth"),
        ({"recipient_ids": []}, "Name at least one recipient"),
    ],
)
def test_invalid_agreements_are_refused(shared_world, member_a, user, changes, message):
    """Unknown or forbidden fields, nothing to share, or nobody to share with: refused."""
    fields = {
        "title": "Bad",
        "purpose": "directory",
        "record_types": ["contact", "organisation"],
        "contact_fields": ["first_name"],
        "organisation_fields": ["name"],
        "recipient_ids": [member_a.pk + 1],
    }
    fields.update(changes)
    recipients = fields.pop("recipient_ids")
    with pytest.raises(ValidationError, match=message):
        services.agreement_create(
            provider=member_a, acting_user=user("manager-a"), recipient_ids=recipients, **fields
        )


def test_staff_cannot_create_or_sign(member_a, member_b, user):
    """Only managers act for their member."""
    with pytest.raises(PermissionDenied):
        services.agreement_create(
            provider=member_a,
            acting_user=user("staff-a"),
            recipient_ids=[member_b.pk],
            title="x",
            purpose="directory",
            record_types=["organisation"],
            organisation_fields=["name"],
        )


def test_all_members_agreement_reaches_every_other_member(shared_world, member_a, member_b):
    """An all-members agreement, signed by the provider, shares with every other member."""
    shared_world["agree"](all_members=True, recipient_ids=[])
    assert len(seen_by(member_b)) == 2
    assert seen_by(member_a) == {}


def test_disclosure_log_is_append_only(member_a, member_b):
    """The database refuses to change or delete disclosure entries."""
    Disclosure.objects.create(
        member_id=member_b.pk,
        provider_id=member_a.pk,
        action="view",
        record_type="contact",
        record_ids=[1],
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM sharing_disclosure")


def test_only_a_logged_retention_purge_removes_disclosures(member_a, member_b):
    """Old disclosure entries leave only through the purge, which is itself logged."""
    from tenants.models import AuditEntry

    with connection.cursor() as cursor:  # an entry written three years ago (as time would)
        cursor.execute(
            "INSERT INTO sharing_disclosure (at, member_id, provider_id, action, record_type,"
            " record_ids, reason) VALUES (now() - interval '3 years', %s, %s, 'view',"
            " 'contact', '{1}', '')",
            [member_b.pk, member_a.pk],
        )
    Disclosure.objects.create(
        member_id=member_b.pk,
        provider_id=member_a.pk,
        action="view",
        record_type="contact",
        record_ids=[2],
    )
    cutoff = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=730)
    removed = services.disclosures_purge(before=cutoff, acting_user=None, reason="policy 4.2")
    assert removed == 1
    assert Disclosure.objects.count() == 1
    assert AuditEntry.objects.filter(action="disclosures.purged").exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.all().delete()


def test_review_overdue_is_shown(shared_world, member_b):
    """An active agreement past its review date is flagged."""
    agreement = shared_world["agree"]()
    agreement.review_date = datetime.date(2020, 1, 1)
    assert agreement.review_overdue


def test_consortium_approval_when_the_setting_requires_it(
    shared_world, member_a, member_b, user, settings
):
    """With admin approval required, every signature is not enough until an admin approves."""
    settings.COMMONS_SHARING_ADMIN_APPROVAL = True
    agreement = shared_world["agree"]()
    assert agreement.status == Status.AWAITING
    assert seen_by(member_b) == {}
    with pytest.raises(PermissionDenied):
        services.agreement_approve(agreement=agreement, acting_user=user("manager-a"))
    services.agreement_approve(agreement=agreement, acting_user=user("admin-c"))
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE
    assert len(seen_by(member_b)) == 2


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("ada lovelace", 1),
        ("Ada Love", 1),
        ("lovelace", 1),
        ("lovel", 1),
        ("lovlace", 1),
        ("ada@example", 1),
        ("50%_off", 0),
        ("malton shed", 1),
        ("GB-CHC-1100001", 1),
    ],
)
def test_directory_search_tiers(shared_world, member_b, query, found):
    """Whole names, words, prefixes, typos, fragments and identifiers are all found; odd
    characters are just characters."""
    shared_world["agree"]()
    assert selectors.shared_records_for(member=member_b, search=query).count() == found


def test_suspending_then_resuming_cannot_skip_signatures(shared_world, member_a, member_b, user):
    """An agreement that was never active cannot be suspended, so cannot be 'resumed' into
    force without every signature."""
    agreement = services.agreement_create(
        provider=member_a,
        acting_user=user("manager-a"),
        recipient_ids=[member_b.pk],
        title="Unsigned",
        purpose="directory",
        record_types=["organisation"],
        organisation_fields=["name"],
    )
    with pytest.raises(ValidationError):
        services.agreement_suspend(
            agreement=agreement, member=member_a, acting_user=user("manager-a")
        )
    with pytest.raises(ValidationError):
        services.agreement_resume(agreement=agreement, acting_user=user("manager-a"))
    assert seen_by(member_b) == {}


def test_a_recipient_cannot_end_an_all_members_agreement(
    shared_world, member_a, member_b, user, client_for
):
    """Only the provider stops an all-members agreement; others' drafts stay private."""
    draft = services.agreement_create(
        provider=member_a,
        acting_user=user("manager-a"),
        recipient_ids=[],
        all_members=True,
        title="Private draft",
        purpose="directory",
        record_types=["organisation"],
        organisation_fields=["name"],
    )
    assert client_for(user("staff-b"), member_b).get(f"/agreements/{draft.pk}/").status_code == 404
    agreement = shared_world["agree"](all_members=True, recipient_ids=[])
    with pytest.raises(PermissionDenied):
        services.agreement_terminate(
            agreement=agreement, member=member_b, acting_user=user("manager-b")
        )
    assert len(seen_by(member_b)) == 2


def test_only_active_or_draft_agreements_can_be_amended(shared_world, member_a, member_b, user):
    """A superseded version cannot be amended into a second live version."""
    v1 = shared_world["agree"]()
    v2 = services.agreement_amend(
        agreement=v1, acting_user=user("manager-a"), organisation_fields=["name"]
    )
    services.agreement_propose(agreement=v2, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_a, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_b, acting_user=user("manager-b"))
    v1.refresh_from_db()
    with pytest.raises(ValidationError):
        services.agreement_amend(agreement=v1, acting_user=user("manager-a"), title="Again")


def test_role_changes_through_the_api_reproject(
    shared_world, member_a, member_b, user, client_for, in_member
):
    """Deleting a role through the API updates the contact's shared organisations at once."""
    from crm.models import ContactRole

    shared_world["agree"]()
    with in_member(member_a):
        role = ContactRole.objects.get(contact=shared_world["ada"])
    client_for(user("staff-a"), member_a).delete(f"/api/roles/{role.pk}/")
    assert seen_by(member_b)["Ada Lovelace"]["organisations"] == []


def test_full_postcode_search_is_exact(shared_world, member_b):
    """A full postcode finds records at that postcode (any spacing or case)."""
    shared_world["agree"]()
    assert selectors.shared_records_for(member=member_b, search="yo177aa").count() == 1
    assert selectors.shared_records_for(member=member_b, search="YO17 7AB").count() == 0
