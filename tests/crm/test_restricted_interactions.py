"""Interactions with a restricted contact are part of that contact's safeguarding record: a
colleague without the grant sees nothing of them (issue 11, A11)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from crm import selectors, services
from reporting.dashboard import interactions_by_month

pytestmark = pytest.mark.django_db

SUMMARY = "Zanzibarquill refuge move"
OUTCOME = "Quorvextan housing referral"
MIXED = "Plimsoddle joint visit"


@pytest.fixture
def case(member_a, in_member, user):
    """At member A: an organisation; one interaction whose only contact is restricted (granted
    to manager-a, who made it), one with that contact and a visible one, and one with only the
    visible contact."""
    manager = user("manager-a")
    with in_member(member_a):
        org = services.organisation_create(acting_user=manager, name="Grellwick Trust")
        secret = services.contact_create(
            acting_user=manager, first_name="Sally", last_name="Hidden", is_restricted=True
        )
        open_ = services.contact_create(acting_user=manager, first_name="Ola", last_name="Open")
        today = timezone.localdate()
        only = services.interaction_create(
            acting_user=manager, kind="advice", date=today, summary=SUMMARY, outcome=OUTCOME,
            duration_minutes=45, contacts=[secret], organisations=[org],
        )  # fmt: skip
        mixed = services.interaction_create(
            acting_user=manager, kind="visit", date=today, summary=MIXED,
            contacts=[secret, open_], organisations=[org],
        )  # fmt: skip
        plain = services.interaction_create(
            acting_user=manager, kind="call", date=today, summary="Ordinary call",
            contacts=[open_], organisations=[org],
        )  # fmt: skip
    connection.set_schema_to_public()
    return {"org": org, "secret": secret, "open": open_, "only": only, "mixed": mixed,
            "plain": plain}  # fmt: skip


def test_selector_hides_interactions_with_any_hidden_contact(case, member_a, in_member, user):
    """interactions_visible_to keeps an interaction only if every contact on it is visible to
    the user: staff-a sees the plain call only; manager-a (granted) sees all three."""
    with in_member(member_a):
        staff = set(selectors.interactions_visible_to(user=user("staff-a")))
        manager = set(selectors.interactions_visible_to(user=user("manager-a")))
    assert staff == {case["plain"]}
    assert {case["only"], case["mixed"], case["plain"]} <= manager


def test_api_detail_and_list_hide_restricted_interactions(case, client_for, user, member_a):
    """/api/interactions/<id>/ answers 404 for an interaction of a hidden contact, and the
    list carries none of its text; the granted manager gets it."""
    staff = client_for(user("staff-a"), member_a)
    for key in ("only", "mixed"):
        assert staff.get(f"/api/interactions/{case[key].pk}/").status_code == 404
    listing = staff.get("/api/interactions/", {"page_size": 100}).content.decode()
    for text in (SUMMARY, OUTCOME, MIXED):
        assert text not in listing
    assert "Ordinary call" in listing
    manager = client_for(user("manager-a"), member_a)
    detail = manager.get(f"/api/interactions/{case['only'].pk}/")
    assert detail.status_code == 200
    assert detail.json()["summary"] == SUMMARY


def test_timelines_hide_restricted_interactions(case, client_for, user, member_a):
    """The organisation's timeline and the visible contact's timeline leave out both
    interactions with the restricted contact for staff without the grant."""
    staff = client_for(user("staff-a"), member_a)
    org_page = staff.get(f"/organisations/{case['org'].pk}/").content.decode()
    contact_page = staff.get(f"/contacts/{case['open'].pk}/").content.decode()
    for page in (org_page, contact_page):
        assert "Ordinary call" in page
        for text in (SUMMARY, OUTCOME, MIXED):
            assert text not in page
    granted = client_for(user("manager-a"), member_a)
    assert SUMMARY in granted.get(f"/organisations/{case['org'].pk}/").content.decode()


def test_counts_charts_and_reports_leave_out_restricted_interactions(
    case, client_for, user, member_a, in_member
):
    """The dashboard's interaction chart, the report builder (count and minutes) and the
    delete pages' "interactions stay" counts count only interactions the user may see."""
    staff = client_for(user("staff-a"), member_a)
    report = staff.get(
        "/reports/", {"record_type": "interaction", "rows": "kind", "measure": "count"}
    ).content.decode()
    assert "Advice session" not in report
    assert "Visit" not in report
    assert "Phone call" in report
    minutes = staff.get(
        "/reports/", {"record_type": "interaction", "rows": "kind", "measure": "duration"}
    ).content.decode()
    assert "45" not in minutes
    with in_member(member_a):
        for person, expected in (("staff-a", 1), ("manager-a", 3)):
            request = RequestFactory().get("/")
            request.user = user(person)
            chart = interactions_by_month(request)
            assert sum(sum(values) for values in chart.series.values()) == expected
    org_delete = staff.get(f"/organisations/{case['org'].pk}/delete/").content.decode()
    assert "1 interaction stays" in org_delete
    contact_delete = staff.get(f"/contacts/{case['open'].pk}/delete/").content.decode()
    assert "1 interaction stays" in contact_delete
    granted = client_for(user("manager-a"), member_a)
    assert (
        "3 interactions stay"
        in granted.get(f"/organisations/{case['org'].pk}/delete/").content.decode()
    )
