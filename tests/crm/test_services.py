"""crm.services: each write's rule, and the audit row each deliberate act leaves."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import get_perms

from crm import importing, merging, services
from crm.models import Interaction
from tenants.models import AuditEntry


def audit_rows(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def assert_one_row(action: str, *, actor, member, target: str, **details) -> AuditEntry:
    """Exactly one row of ``action``, by ``actor`` at ``member``, naming ``target``."""
    rows = audit_rows(action)
    assert len(rows) == 1, f"{action}: {len(rows)} rows"
    row = rows[0]
    assert (row.actor_id, row.member_id, row.target) == (actor.pk, member.pk, target)
    for key, value in details.items():
        assert row.details[key] == value, key
    return row


@pytest.fixture
def secret(at_a, user):
    """A restricted contact at member A, added by manager-a (who keeps sight of it)."""
    return services.contact_create(
        acting_user=user("manager-a"), last_name="Safeguarded", is_restricted=True
    )


def test_granting_access_needs_a_manager_who_sees_the_contact(secret, at_a, user):
    """Staff cannot grant sight of a restricted contact, even to themselves: nothing is
    granted and nothing is logged."""
    staff = user("staff-a")
    with pytest.raises(PermissionDenied):
        services.contact_restricted_access_grant(contact=secret, user=staff, acting_user=staff)
    assert "view_restricted_contact" not in get_perms(staff, secret)
    assert audit_rows("contact.restricted_access_granted") == []


def test_revoking_access_needs_a_manager_who_sees_the_contact(secret, at_a, user):
    """Staff cannot take sight of a restricted contact away from anyone."""
    manager, staff = user("manager-a"), user("staff-a")
    with pytest.raises(PermissionDenied):
        services.contact_restricted_access_revoke(contact=secret, user=manager, acting_user=staff)
    assert "view_restricted_contact" in get_perms(manager, secret)
    assert audit_rows("contact.restricted_access_revoked") == []


def test_granting_and_revoking_access_are_logged(secret, at_a, user):
    """A manager grants and revokes; each leaves a row naming the contact and the colleague."""
    manager, staff = user("manager-a"), user("staff-a")
    services.contact_restricted_access_grant(contact=secret, user=staff, acting_user=manager)
    assert "view_restricted_contact" in get_perms(staff, secret)
    assert_one_row("contact.restricted_access_granted", actor=manager, member=at_a,
                   target=f"contact {secret.pk}", user_id=staff.pk)  # fmt: skip
    services.contact_restricted_access_revoke(contact=secret, user=staff, acting_user=manager)
    assert "view_restricted_contact" not in get_perms(staff, secret)
    assert_one_row("contact.restricted_access_revoked", actor=manager, member=at_a,
                   target=f"contact {secret.pk}", user_id=staff.pk)  # fmt: skip


def test_restricting_and_lifting_a_restriction_are_logged_but_edits_are_not(at_a, user):
    """Adding a restricted contact and restricting one log "restricted"; lifting it logs
    "unrestricted"; an ordinary edit logs nothing."""
    manager = user("manager-a")
    born = services.contact_create(acting_user=manager, last_name="Born", is_restricted=True)
    later = services.contact_create(acting_user=manager, last_name="Later")
    services.contact_update(contact=later, acting_user=manager, first_name="Lee")
    assert [r.target for r in audit_rows("contact.restricted")] == [f"contact {born.pk}"]
    services.contact_update(contact=later, acting_user=manager, is_restricted=True)
    services.contact_update(contact=born, acting_user=manager, is_restricted=False)
    assert [r.target for r in audit_rows("contact.restricted")] == [
        f"contact {born.pk}", f"contact {later.pk}",
    ]  # fmt: skip
    assert_one_row("contact.unrestricted", actor=manager, member=at_a,
                   target=f"contact {born.pk}")  # fmt: skip


def test_deleting_a_contact_or_an_organisation_is_logged(at_a, user):
    """Each delete leaves one row naming the record by id."""
    staff = user("staff-a")
    contact = services.contact_create(acting_user=staff, last_name="Gone")
    org = services.organisation_create(acting_user=staff, name="Gone Trust")
    contact_id, org_id = contact.pk, org.pk
    services.contact_delete(contact=contact, acting_user=staff)
    services.organisation_delete(organisation=org, acting_user=staff)
    assert_one_row("contact.deleted", actor=staff, member=at_a, target=f"contact {contact_id}")
    assert_one_row("organisation.deleted", actor=staff, member=at_a,
                   target=f"organisation {org_id}")  # fmt: skip


def test_bulk_tagging_is_logged_once_with_its_count(at_a, user):
    """Tagging many records leaves one row with how many; removing the tag another."""
    staff = user("staff-a")
    ids = [services.contact_create(acting_user=staff, last_name=f"T{i}").pk for i in range(3)]
    tag = services.tag_get_or_create(name="Newsletter", acting_user=staff)
    services.tags_bulk_apply(record_type="contact", ids=ids, tag=tag, acting_user=staff)
    assert_one_row("tag.added_in_bulk", actor=staff, member=at_a, target=f"tag {tag.pk}",
                   record_type="contact", count=3)  # fmt: skip
    services.tags_bulk_apply(record_type="contact", ids=ids[:1], tag=tag, acting_user=staff,
                             remove=True)  # fmt: skip
    assert_one_row("tag.removed_in_bulk", actor=staff, member=at_a, target=f"tag {tag.pk}",
                   count=1)  # fmt: skip


def test_making_a_tag_is_logged_and_finding_one_is_not(at_a, user):
    """A new tag leaves one row naming who made it; asking for it again, in any case and
    spacing, finds the same tag and writes nothing."""
    staff = user("staff-a")
    tag = services.tag_get_or_create(name="Food  bank", acting_user=staff)
    assert tag.name == "Food bank"
    again = services.tag_get_or_create(name=" food bank ", acting_user=user("manager-a"))
    assert again == tag
    assert_one_row("tag.created", actor=staff, member=at_a, target=f"tag {tag.pk}")


def test_merges_are_logged(at_a, user):
    """A merge of contacts and one of organisations each leave a row: kept and merged ids."""
    manager = user("manager-a")
    keep = services.contact_create(acting_user=manager, last_name="Keep")
    drop = services.contact_create(acting_user=manager, last_name="Keep")
    drop_id = drop.pk
    merging.contact_merge(keep=keep, drop=drop, acting_user=manager)
    assert_one_row("contact.merged", actor=manager, member=at_a, target=f"contact {keep.pk}",
                   merged_id=drop_id)  # fmt: skip
    kept = services.organisation_create(acting_user=manager, name="Keep Trust")
    dropped = services.organisation_create(acting_user=manager, name="Keep Trust")
    dropped_id = dropped.pk
    merging.organisation_merge(keep=kept, drop=dropped, acting_user=manager)
    assert_one_row("organisation.merged", actor=manager, member=at_a,
                   target=f"organisation {kept.pk}", merged_id=dropped_id)  # fmt: skip


def test_a_finished_import_is_logged_once_and_a_dry_run_not_at_all(at_a, user):
    """Importing three rows leaves one row with the counts; a dry run leaves none."""
    staff = user("staff-a")
    data = b"First name,Last name,Email\nAl,One,a@example.org\nBo,Two,b@example.org\nCy,Three,\n"

    def run(dry_run: bool) -> None:
        importing.records_import(handle=io.BytesIO(data), size=len(data), acting_user=staff,
                                 dry_run=dry_run)  # fmt: skip

    run(dry_run=True)
    assert audit_rows("import.finished") == []
    run(dry_run=False)
    assert_one_row("import.finished", actor=staff, member=at_a, target="contact import",
                   record_type="contact", rows=3, new=3)  # fmt: skip


@pytest.fixture
def call(secret, at_a, user):
    """An interaction with the restricted contact (seen by manager-a only)."""
    return services.interaction_create(
        acting_user=user("manager-a"), kind="call", date=timezone.localdate(),
        summary="Safeguarding call", contacts=[secret],
    )  # fmt: skip


def test_an_interaction_with_a_hidden_contact_cannot_be_changed_or_deleted(call, at_a, user):
    """Staff who cannot see everyone on an interaction may neither change nor delete it."""
    staff = user("staff-a")
    with pytest.raises(PermissionDenied):
        services.interaction_update(interaction=call, acting_user=staff, summary="Changed")
    with pytest.raises(PermissionDenied):
        services.interaction_delete(interaction=call, acting_user=staff)
    call.refresh_from_db()
    assert call.summary == "Safeguarding call"
    assert audit_rows("interaction.changed") == audit_rows("interaction.deleted") == []


def test_an_interaction_is_not_linked_to_a_contact_the_user_cannot_see(secret, at_a, user):
    """Changing an interaction's contacts to include a hidden one is refused."""
    staff = user("staff-a")
    open_ = services.contact_create(acting_user=staff, last_name="Open")
    plain = services.interaction_create(acting_user=staff, kind="call", summary="Call",
                                        date=timezone.localdate(), contacts=[open_])  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.interaction_update(interaction=plain, acting_user=staff, contacts=[secret])
    assert refused.value.message_dict == {"contacts": [services.interactions.NO_SUCH_CONTACT]}
    assert list(plain.contacts.all()) == [open_]


def test_changing_and_deleting_an_interaction_are_logged(call, at_a, user):
    """Someone who sees everyone on it may change and delete it; each leaves a row."""
    manager = user("manager-a")
    services.interaction_update(interaction=call, acting_user=manager, summary="Follow-up")
    call.refresh_from_db()
    assert call.summary == "Follow-up"
    assert_one_row("interaction.changed", actor=manager, member=at_a,
                   target=f"interaction {call.pk}")  # fmt: skip
    call_id = call.pk
    services.interaction_delete(interaction=call, acting_user=manager)
    assert not Interaction.objects.filter(pk=call_id).exists()
    assert_one_row("interaction.deleted", actor=manager, member=at_a,
                   target=f"interaction {call_id}")  # fmt: skip


def test_organisation_relationships_are_validated_and_logged(at_a, user):
    """A link is made, changed and removed, each logged; an organisation cannot be linked to
    itself."""
    staff = user("staff-a")
    shed = services.organisation_create(acting_user=staff, name="Men's Shed")
    cvs = services.organisation_create(acting_user=staff, name="Ryedale CVS")
    with pytest.raises(ValidationError):
        services.organisation_relationship_create(
            from_organisation=shed, to_organisation=shed, kind="member_of", acting_user=staff
        )
    link = services.organisation_relationship_create(
        from_organisation=shed, to_organisation=cvs, kind="member_of", acting_user=staff
    )
    assert_one_row("organisation_relationship.created", actor=staff, member=at_a,
                   target=f"organisation relationship {link.pk}", kind="member_of",
                   from_organisation_id=shed.pk, to_organisation_id=cvs.pk)  # fmt: skip
    services.organisation_relationship_update(relationship=link, acting_user=staff,
                                              kind="funded_by")  # fmt: skip
    assert_one_row("organisation_relationship.changed", actor=staff, member=at_a,
                   target=f"organisation relationship {link.pk}", kind="funded_by")  # fmt: skip
    link_id = link.pk
    services.organisation_relationship_delete(relationship=link, acting_user=staff)
    assert not shed.relationships_from.exists()
    assert_one_row("organisation_relationship.deleted", actor=staff, member=at_a,
                   target=f"organisation relationship {link_id}")  # fmt: skip
