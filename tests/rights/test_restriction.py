"""Restriction of processing (Art. 18): the record stays, but leaves every list, search,
export, share, mailing and booking list until it is lifted; and objection to marketing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from crm.models import Consent, Contact
from events.selectors import contact_candidates, contact_snapshot
from rights.models import RequestKind, TaskStatus
from rights.restriction import person_restrict, person_restriction_lift
from rights.task_actions import task_action_for
from sharing.models import SharedRecord
from tenants.models import AuditEntry

from .conftest import task_for


def _page(path: str, **params):
    """A list page shows Ada when it links to her (the search box echoes what was typed)."""

    def read(ctx) -> bool:
        return f'/contacts/{ctx["ada"].pk}/"' in ctx["client"].get(path, params).content.decode()

    return read


def _export(path: str, **params):
    def read(ctx) -> bool:
        return "ada@example.org" in ctx["client"].get(path, params).content.decode()

    return read


def _api(ctx) -> bool:
    listing = ctx["client"].get("/api/contacts/").json()
    return any(c["last_name"] == "Lovelace" for c in listing["results"])


def _organisation_people(ctx) -> bool:
    page = ctx["client"].get(f"/organisations/{ctx['org'].pk}/").content.decode()
    return f'/contacts/{ctx["ada"].pk}/"' in page


def _projection(ctx) -> bool:
    return SharedRecord.objects.filter(
        provider_id=ctx["member"].pk, record_type="contact", record_id=ctx["ada"].pk
    ).exists()


def _booking_list(ctx) -> bool:
    connection.set_tenant(ctx["member"])
    try:
        found = contact_candidates(user=ctx["user"], search="Lovelace")
        return any(c.pk == ctx["ada"].pk for c in found)
    finally:
        connection.set_schema_to_public()


def _recipients_directory(ctx) -> bool:
    page = ctx["client_b"].get("/shared/", {"q": "Lovelace"}).content.decode()
    return "Ada Lovelace</a>" in page


OUTPUTS = {
    "contact list": _page("/contacts/"),
    "search": _page("/contacts/", q="Lovelace"),
    "CSV export": _export("/contacts/export.csv"),
    "mailing export": _export("/contacts/export.csv", mailing="1"),
    "API list": _api,
    "organisation's people": _organisation_people,
    "shared directory projection": _projection,
    "recipient's directory search": _recipients_directory,
    "event booking list": _booking_list,
}


@pytest.fixture
def restricting(person, member_a, member_b, client_for, user):
    return {
        **person, "member": member_a, "user": user("staff-a"),
        "client": client_for(user("staff-a"), member_a),
        "client_b": client_for(user("staff-b"), member_b),
    }  # fmt: skip


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_a_restricted_person_leaves_every_output_until_lifted(restricting, member_a, output):
    """Present before; absent while restricted; back when the restriction is lifted."""
    ctx, seen = restricting, OUTPUTS[output]
    assert seen(ctx), f"{output} should show Ada before the restriction"
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    assert not seen(ctx), f"{output} still shows Ada while processing is restricted"
    person_restriction_lift(member=member_a, contact_ids=[ctx["ada"].pk],
                            acting_user=ctx["lead_a"])  # fmt: skip
    assert seen(ctx), f"{output} should show Ada again once the restriction is lifted"


def test_an_agreement_activated_later_does_not_back_fill_a_restricted_person(restricting, member_a):
    ctx = restricting
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    later = ctx["agree"](title="Later directory")
    contacts = SharedRecord.objects.filter(agreement=later, record_type="contact")
    assert contacts.filter(record_id=ctx["bob"].pk).exists()
    assert not contacts.filter(record_id=ctx["ada"].pk).exists()


def test_a_restricted_person_cannot_be_booked_onto_an_event(restricting, member_a, in_member):
    ctx = restricting
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    with in_member(member_a), pytest.raises(ValidationError, match="restriction"):
        contact_snapshot(user=ctx["user"], member=member_a, contact_id=ctx["ada"].pk)


def test_the_contact_page_stays_with_a_banner_and_a_lead_lifts_it_after_confirming(
    restricting, member_a, client_for, in_member
):
    ctx = restricting
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    page = ctx["client"].get(f"/contacts/{ctx['ada'].pk}/").content.decode()
    assert "Processing restricted since" in page
    assert "(a data-rights request)" in page
    assert "Lift the restriction" not in page  # staff see the banner, not the lead's button
    lead = client_for(ctx["lead_a"], member_a)
    assert "Lift the restriction" in lead.get(f"/contacts/{ctx['ada'].pk}/").content.decode()
    url = f"/contacts/{ctx['ada'].pk}/restriction/lift/"
    asking = lead.post(url)
    assert asking.status_code == 200
    assert "Lift the restriction" in asking.content.decode()
    with in_member(member_a):
        assert Contact.objects.get(pk=ctx["ada"].pk).processing_restricted_at is not None
    assert lead.post(url, {"confirm": "yes"}).status_code == 302
    with in_member(member_a):
        assert Contact.objects.get(pk=ctx["ada"].pk).processing_restricted_at is None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"contact.processing_restricted", "contact.processing_restriction_lifted"} <= actions


@pytest.mark.parametrize("who", ["staff-a", "manager-a", "lead-b", "admin-c"])
def test_only_the_members_leads_restrict_or_lift(restricting, member_a, user, client_for,
                                                 in_member, who):  # fmt: skip
    ctx = restricting
    with pytest.raises(PermissionDenied):
        person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=user(who))
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    with pytest.raises(PermissionDenied):
        person_restriction_lift(member=member_a, contact_ids=[ctx["ada"].pk],
                                acting_user=user(who))  # fmt: skip
    if who in ("staff-a", "manager-a"):
        response = client_for(user(who), member_a).post(
            f"/contacts/{ctx['ada'].pk}/restriction/lift/", {"confirm": "yes"}
        )
        assert response.status_code == 403
    with in_member(member_a):
        assert Contact.objects.get(pk=ctx["ada"].pk).processing_restricted_at is not None


def test_the_restriction_task_restricts_and_is_done(restricting, member_a, user, in_member):
    ctx = restricting
    task = task_for(member_a, [ctx["ada"].pk], RequestKind.RESTRICTION, opened_by=user("admin-c"))
    with pytest.raises(PermissionDenied):
        task_action_for(RequestKind.RESTRICTION)(task, user("manager-a"))
    message = task_action_for(RequestKind.RESTRICTION)(task, ctx["lead_a"])
    assert "restricted" in message
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert not _projection(ctx)


def test_the_objection_task_suppresses_the_person_from_mailings(restricting, member_a, user,
                                                                in_member):  # fmt: skip
    ctx = restricting
    task = task_for(member_a, [ctx["ada"].pk], RequestKind.OBJECTION, opened_by=user("admin-c"))
    assert OUTPUTS["mailing export"](ctx)
    task_action_for(RequestKind.OBJECTION)(task, ctx["lead_a"])
    assert not OUTPUTS["mailing export"](ctx)
    assert OUTPUTS["CSV export"](ctx)  # an objection to marketing is not a restriction
    with in_member(member_a):
        latest = Consent.objects.filter(contact_id=ctx["ada"].pk, purpose="marketing").first()
        assert latest is not None
        assert latest.status == "objected"
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_an_export_leaves_out_a_restricted_person_whoever_built_the_queryset(
    restricting, member_a, in_member
):
    """Defence in depth: crm.exporting drops restricted contacts even from a queryset that
    did not come through the list selector."""
    from crm.exporting import records_export

    ctx = restricting
    person_restrict(member=member_a, contact_ids=[ctx["ada"].pk], acting_user=ctx["lead_a"])
    with in_member(member_a):
        data = records_export(queryset=Contact.objects.all(), record_type="contact",
                              file_format="csv").decode("utf-8-sig")  # fmt: skip
    assert "bob@example.org" in data
    assert "ada@example.org" not in data


def test_a_task_of_another_member_is_not_found_on_the_erasure_page(person, member_b,
                                                                   client_for):  # fmt: skip
    """B's lead opening A's erasure task on B's site: not found, nothing erased."""
    page = client_for(person["lead_b"], member_b).post(
        f"/data-rights/tasks/{person['task'].pk}/erase/", {"confirm": "yes"}
    )
    assert page.status_code == 404
    person["task"].refresh_from_db()
    assert person["task"].status == TaskStatus.OPEN
