"""Regression tests for the crashes of issue 11 (A8, A9) and those the URL sweep found."""

# The events fixtures are imported by name, and so are "redefined" as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.template import engines
from django.utils import timezone

from tests.events.conftest import at, contacts_a, event_factory, room  # noqa: F401
from tests.factories import AgreementFactory, ContactFactory


@pytest.fixture
def standing_joined(member_a, user):
    """Member A has joined a standing agreement: signed with no signing user."""
    from sharing import rule_services

    rule_services.standing_agreement_save(
        acting_user=user("admin-c"), name="Directory of local groups", description="Groups",
        purpose="directory", lawful_basis="legitimate_interests",
        record_types=["organisation"], organisation_fields=["name", "district"],
        criteria_tags=[], requires_consent=False, access_mode="view",
        expected_benefit="A directory.", retention="Until it ends.",
    )  # fmt: skip
    rule_services.standing_agreements_join_all(member=member_a, acting_user=user("admin-c"))
    from sharing.models import Agreement

    return Agreement.objects.get(provider=member_a, standing__isnull=False)


def test_standing_agreement_page_shows_its_signature(standing_joined, client_for, user, member_a):
    """A standing agreement's page opens (no 500) and says how the member signed it."""
    response = client_for(user("staff-a"), member_a).get(f"/agreements/{standing_joined.pk}/")
    assert response.status_code == 200
    assert "Joined the consortium&#x27;s standing agreement" in response.content.decode()


def test_missing_template_variables_show_the_sweeps_marker():
    """In tests, a template printing a variable that does not exist shows the marker the
    URL sweep looks for, while `if` and `default` still treat it as empty."""
    template = engines["django"].from_string(
        "[{{ nothing }}]{% if nothing.deeper %}shown{% endif %}[{{ nothing|default:'d' }}]"
    )
    assert template.render({}) == f"[{settings.MISSING_VARIABLE_MARKER}][d]"


NUL_PATHS = [
    ("member", "/contacts/?tag=%00"),
    ("member", "/contacts/?consent=%00"),
    ("member", "/organisations/?district=%00"),
    ("member", "/events/?q=%00"),
    ("member", "/resources/?q=%00"),
    ("consortium", "/calendar/all.ics?key=%00"),
    ("member", "/respond/%00/"),
]


@pytest.mark.parametrize(("site", "path"), NUL_PATHS)
def test_nul_byte_in_address_is_a_clear_400(site, path, client_for, user, member_a):
    """A NUL byte in the query string or path is a 400 naming where it was, not a 500."""
    client = client_for(user("staff-a"), member_a if site == "member" else None)
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_nul_byte_in_a_form_is_a_400(client_for, user, member_a):
    """A NUL byte in a submitted form field is a 400 naming the field; nothing is saved."""
    from crm.models import Contact

    client = client_for(user("staff-a"), member_a)
    response = client.post("/contacts/new/", {"first_name": "A\x00", "last_name": "B"})
    assert response.status_code == 400
    assert "first_name" in response.content.decode()
    from django.db import connection

    connection.set_tenant(member_a)
    assert not Contact.objects.filter(last_name="B").exists()


def test_json_nested_50000_deep_is_a_400(client_for, user, member_a):
    """JSON nested 50,000 deep to the API is refused with 400, not a recursion crash."""
    client = client_for(user("staff-a"), member_a)
    body = "[" * 50_000 + "]" * 50_000
    response = client.post("/api/contacts/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_json_with_nul_is_a_400(client_for, user, member_a):
    """A NUL character in API JSON is refused with 400 (PostgreSQL cannot store it)."""
    client = client_for(user("staff-a"), member_a)
    response = client.post(
        "/api/contacts/",
        data=json.dumps({"first_name": "A\x00", "last_name": "B"}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_weekly_booking_repeated_past_year_9999_is_a_form_error(room, client_for, user, member_a):
    """A weekly booking whose repeats would run past the year 9999 is a form error on the
    repeat count, and nothing is booked."""
    from events.models import Booking
    from events.times import REPEATS_PAST_CALENDAR

    client = client_for(user("staff-a"), member_a)
    response = client.post("/bookings/new/", {
        "resource": room.pk, "title": "Forever", "day": "9999-12-20", "start": "10:00",
        "end": "11:00", "recurrence": "weekly", "repeat_count": "4",
    })  # fmt: skip
    assert response.status_code == 200
    assert REPEATS_PAST_CALENDAR in response.content.decode()
    assert not Booking.objects.filter(title="Forever").exists()


def test_monthly_booking_past_year_9999_is_refused_not_shortened(room, user, member_a):
    """A monthly repeat running past 9999 is refused, not silently booked fewer times."""
    from django.core.exceptions import ValidationError

    from events import times

    start = at(0, 10).replace(year=9999, month=11, day=1)
    with pytest.raises(ValidationError) as caught:
        times.occurrences(start, start + timedelta(hours=1), "monthly", 4)
    assert times.REPEATS_PAST_CALENDAR in caught.value.messages


@pytest.mark.parametrize("what", ["bookings", "registrations"])
def test_api_cancel_with_a_format_suffix(what, room, event_factory, contacts_a, client_for, user,
                                         member_a, in_member):  # fmt: skip
    """The API's cancel actions answer with a format suffix (``cancel.json``), not a 500."""
    from events import bookings, services

    if what == "bookings":
        made = bookings.booking_place(
            acting_user=user("staff-a"), member=member_a, resource=room, starts_at=at(3, 10),
            ends_at=at(3, 11), title="Meeting",
        )[0]  # fmt: skip
    else:
        event = event_factory(host=None, by="admin-c", visibility="members")
        with in_member(member_a):
            made = services.registration_for_contact(
                acting_user=user("staff-a"),
                member=member_a,
                event=event,
                contact_id=contacts_a[0].pk,
            )
    client = client_for(user("staff-a"), member_a)
    response = client.post(f"/api/{what}/{made.pk}/cancel.json")
    assert response.status_code < 500
    assert response.status_code in (200, 204)


def test_one_column_research_table_downloads(client_for, user, member_a):
    """A research table whose column variable has one value downloads as CSV (it has no
    separate total column), rather than failing."""
    from reporting import research
    from reporting.models import DatasetQuestion
    from tests.reporting.conftest import pool_rows, research_agreement

    researcher = user("researcher-r")
    dataset = research.dataset_create(acting_user=user("admin-c"), title="D", survey_code="d")
    project = research.project_create(
        acting_user=user("admin-c"), title="P", purpose="P", ethics_reference="E",
        end_date=timezone.localdate() + timedelta(days=30), researcher_ids=[researcher.pk],
        dataset_ids=[dataset.pk],
    )  # fmt: skip
    DatasetQuestion.objects.create(dataset=dataset, year=2026, code="size", text="Size?",
                                   kind="single", options=["Small", "Large"])  # fmt: skip
    agreement = research_agreement(member_a, user("manager-a"))
    pool_rows(dataset=dataset, provider_id=member_a.pk, agreement_id=agreement.pk,
              rows=[({"district": "York"}, {"size": "Small"})] * 12)  # fmt: skip
    research.snapshot_take(project=project, dataset=dataset, year=2026, acting_user=researcher)
    output = research.table_produce(
        project=project, dataset=dataset, year=2026, researcher=researcher, rows="district",
        cols="size",
    )  # fmt: skip
    response = client_for(researcher, None).get(f"/research/outputs/{output.pk}/download.csv")
    assert response.status_code == 200
    assert "York" in response.content.decode("utf-8-sig")


def test_other_members_records_are_not_found_before_the_role_check(
    client_for, user, member_a, member_b, in_member
):
    """Staff asking for another member's agreement, contact or membership through a
    manager's page get 404 (not found), not 403 (which says it exists)."""
    from tenants.models import Membership
    from tenants.services import member_create

    gamma = member_create(name="Gamma Network", slug="gamma-x", district="Ryedale")
    agreement = AgreementFactory(provider=member_b, recipients=[gamma],
                                 lawful_basis="legitimate_interests")  # fmt: skip
    with in_member(member_b):
        # Member A holds no contacts here, so this id is only ever B's.
        contact = ContactFactory(first_name="Only", last_name="Beta")
    membership = Membership.objects.get(user=user("staff-b"), member=member_b)
    client = client_for(user("staff-a"), member_a)
    assert client.get(f"/agreements/{agreement.pk}/amend/").status_code == 404
    assert client.post(f"/contacts/{contact.pk}/access/").status_code == 404
    assert client.post(f"/team/{membership.pk}/remove/").status_code == 404
    assert client.post(f"/team/{membership.pk}/role/", {"role": "manager"}).status_code == 404
