"""Erasure (Art. 17) of a person held by one member, everywhere Commons reaches, with the
Art. 19 notices to the members that copied or exported the record."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from guardian.models import UserObjectPermission

from crm.changes import records_changed
from crm.models import Consent, Contact, ContactRole, Interaction, SearchWord
from events.models import Registration
from rights.erasure import FAILED_DATABASE, ErasureFailed, person_erase
from rights.models import CopyNotice, TaskStatus
from rights.task_actions import task_action_for
from sharing.models import Disclosure, SharedRecord
from tenants.models import AuditEntry


def test_a_copy_made_through_commons_carries_a_link_back(person, member_a):
    """The recipient's copy names the provider's member and record (plain ids)."""
    copy = person["copy"]
    assert copy.copied_from_member_id == member_a.pk
    assert copy.copied_from_record_id == person["ada"].pk


def test_erasure_removes_the_person_everywhere_in_one_go(person, member_a, member_b, in_member):
    """The contact and everything of it leave A's schema; its projection leaves the
    directory; the registration at B's event is anonymised (the count stays); the
    disclosure log keeps its ids; B is asked to erase its copy, which the notice names."""
    ada, task = person["ada"], person["task"]
    disclosures_before = Disclosure.objects.count()
    booked_before = person["event"].registrations.count()
    assert SharedRecord.objects.filter(provider_id=member_a.pk, record_id=ada.pk).exists()

    report = task_action_for("erasure")(task, person["lead_a"])

    assert "Erased 1 contact record" in report
    with in_member(member_a):
        assert not Contact.objects.filter(pk=ada.pk).exists()
        assert not ContactRole.objects.filter(contact_id=ada.pk).exists()
        assert not Consent.objects.filter(contact_id=ada.pk).exists()
        assert not Interaction.objects.filter(pk=person["alone"].pk).exists()
        together = Interaction.objects.get(pk=person["together"].pk)
        assert list(together.contacts.all()) == [person["bob"]]
        assert "Lovelace" not in together.summary + together.notes
        assert "ada@example.org" not in together.notes
        assert Contact.objects.filter(pk=person["bob"].pk).exists()
        assert not SearchWord.objects.filter(word="lovelace").exists()
    assert not SharedRecord.objects.filter(
        provider_id=member_a.pk, record_type="contact", record_id=ada.pk
    ).exists()
    assert SharedRecord.objects.filter(provider_id=member_a.pk, record_id=person["bob"].pk).exists()
    registration = Registration.objects.get(pk=person["registration"].pk)
    assert (registration.name, registration.email, registration.contact_id) == ("Erased", "", None)
    assert person["event"].registrations.count() == booked_before
    assert Disclosure.objects.count() == disclosures_before
    assert Disclosure.objects.filter(record_ids__contains=[ada.pk], action="copy").exists()
    notices = CopyNotice.objects.filter(member=member_b, provider_id=member_a.pk)
    copy_notice = notices.get(received_by="copy")
    assert copy_notice.copy_id == person["copy"].pk
    assert copy_notice.kind == "erase"
    assert copy_notice.status == TaskStatus.OPEN
    assert notices.filter(received_by="export").exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.done_by == person["lead_a"]
    with in_member(member_b):  # B's copy is B's to erase: Commons does not reach into it.
        assert Contact.objects.filter(pk=person["copy"].pk).exists()


def test_the_audit_row_holds_counts_and_no_personal_data(person, member_a):
    person_erase(member=member_a, contact_ids=[person["ada"].pk], acting_user=person["lead_a"])
    entry = AuditEntry.objects.filter(action="person.erased").latest("id")
    assert entry.details["contacts"] == 1
    assert entry.details["registrations_anonymised"] == 1
    text = f"{entry.target} {entry.details}"
    for personal in ("Ada", "Lovelace", "ada@example.org"):
        assert personal not in text


def test_a_second_erasure_is_harmless_and_says_so(person, member_a, member_b):
    first = person_erase(member=member_a, contact_ids=[person["ada"].pk],
                         acting_user=person["lead_a"])  # fmt: skip
    notices = CopyNotice.objects.filter(member=member_b).count()
    second = person_erase(member=member_a, contact_ids=[person["ada"].pk],
                          acting_user=person["lead_a"])  # fmt: skip
    assert first.contacts == 1
    assert second.contacts == 0
    assert second.already_erased
    assert "already erased" in second.summary
    assert CopyNotice.objects.filter(member=member_b).count() == notices
    assert Registration.objects.filter(name="Erased").count() == 1


def test_a_failure_part_way_leaves_the_person_whole_and_the_task_failed(
    person, member_a, in_member, monkeypatch
):
    """A database error raised by a listener after the CRM rows went: everything rolls
    back, and the task records the failure in plain words (outside the rollback)."""
    ada, task = person["ada"], person["task"]

    def refuse(sender, **kwargs):
        if kwargs.get("action") == "deleted":
            raise DatabaseError("could not obtain lock on row in relation crm_contact")

    records_changed.connect(refuse, dispatch_uid="test.erasure.refuse")
    try:
        with pytest.raises(ErasureFailed) as failed:
            task_action_for("erasure")(task, person["lead_a"])
    finally:
        records_changed.disconnect(dispatch_uid="test.erasure.refuse")
    assert "nothing was removed" in " ".join(failed.value.messages)
    with in_member(member_a):
        assert Contact.objects.filter(pk=ada.pk).exists()
        assert ContactRole.objects.filter(contact_id=ada.pk).exists()
        assert Interaction.objects.filter(pk=person["alone"].pk).exists()
        assert Interaction.objects.get(pk=person["together"].pk).contacts.count() == 2
    assert SharedRecord.objects.filter(provider_id=member_a.pk, record_id=ada.pk).exists()
    assert Registration.objects.get(pk=person["registration"].pk).name == "Ada Lovelace"
    assert not CopyNotice.objects.exists()
    assert not AuditEntry.objects.filter(action="person.erased").exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED
    assert task.error.startswith(FAILED_DATABASE.split("{")[0])
    assert "could not obtain lock" in task.error
    # Tried again once the cause is gone, it succeeds.
    task_action_for("erasure")(task, person["lead_a"])
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.error == ""


def test_a_legal_hold_stops_the_erasure_with_a_reason(person, member_a, in_member):
    with in_member(member_a):
        Contact.objects.filter(pk=person["ada"].pk).update(legal_hold=True)
    with pytest.raises(ErasureFailed, match="legal hold"):
        person_erase(member=member_a, contact_ids=[person["ada"].pk],
                     acting_user=person["lead_a"], task=person["task"])  # fmt: skip
    person["task"].refresh_from_db()
    assert person["task"].status == TaskStatus.FAILED
    assert "legal hold" in person["task"].error
    with in_member(member_a):
        assert Contact.objects.filter(pk=person["ada"].pk).exists()


def test_grants_to_see_a_restricted_contact_go_with_it(person, member_a, in_member, user):
    with in_member(member_a):
        ada = Contact.objects.get(pk=person["ada"].pk)
        from crm import services as crm

        crm.contact_update(contact=ada, acting_user=user("manager-a"), is_restricted=True)
        assert UserObjectPermission.objects.filter(object_pk=str(ada.pk)).exists()
    person_erase(member=member_a, contact_ids=[ada.pk], acting_user=person["lead_a"])
    with in_member(member_a):
        assert not UserObjectPermission.objects.filter(
            object_pk=str(ada.pk), content_type__model="contact"
        ).exists()


@pytest.mark.parametrize("who", ["staff-a", "manager-a", "staff-b", "manager-b", "admin-c",
                                 "lead-b", "outsider"])  # fmt: skip
def test_only_the_members_own_leads_may_erase(person, member_a, in_member, user, who):
    """Staff, managers who are not leads, another member's lead and consortium admins are
    refused, and nothing is removed."""
    with pytest.raises(PermissionDenied):
        task_action_for("erasure")(person["task"], user(who))
    with pytest.raises(PermissionDenied):
        person_erase(member=member_a, contact_ids=[person["ada"].pk], acting_user=user(who))
    with in_member(member_a):
        assert Contact.objects.filter(pk=person["ada"].pk).exists()
    connection.set_schema_to_public()
