"""Security events: sign-ins, failed sign-ins and API token use reach the append-only audit
log, and the security pages show each member's events to its managers and everyone's to
consortium admins, and nothing to anyone else."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tenants import services
from tenants.audit import audit_record
from tenants.models import AUDIT_ACTIONS, SECURITY_ACTIONS, AuditEntry
from tenants.security_filters import DATES_REVERSED
from tenants.security_views import INVALID_FILTERS
from tests.conftest import host_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
AGREED = {
    "account.signed_in", "account.sign_in_failed", "account.locked", "account.unlocked",
    "account.password_changed", "mfa.added", "mfa.removed", "mfa.reset", "session.ended",
    "api_token.used", "api_token.renewed", "membership.invited", "membership.suspended",
    "membership.confirmed", "access_review.recorded", "member.mfa_required_changed",
    "membership.added", "membership.removed", "membership.role_changed",
}  # fmt: skip


def _rows(action: str, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters))


# --- the actions ---------------------------------------------------------------------------


def test_every_security_action_has_plain_words():
    """Each security action is an audit action with a label, and the agreed ones are all in."""
    assert set(SECURITY_ACTIONS) >= AGREED
    assert AUDIT_ACTIONS.keys() >= SECURITY_ACTIONS
    assert list(AUDIT_ACTIONS) == sorted(AUDIT_ACTIONS)


# --- the receivers -------------------------------------------------------------------------


@pytest.mark.parametrize("member_slug", [None, "alpha"])
def test_a_sign_in_through_the_page_writes_one_row(member_slug, member_a, user):
    """Signing in at /accounts/login/ writes "Signed in": who, on which site, from where."""
    member = member_a if member_slug else None
    before = AuditEntry.objects.count()
    client = Client(HTTP_HOST=host_of(member), REMOTE_ADDR="198.51.100.7")
    response = client.post("/accounts/login/", {"login": "staff-a", "password": PASSWORD})
    assert response.status_code == 302
    row = _rows("account.signed_in")[0]
    assert AuditEntry.objects.count() == before + 1
    assert row.actor_id == user("staff-a").pk
    assert row.member_id == (member.pk if member else None)
    assert row.details["address"] == "198.51.100.7"
    assert row.details["how"] == "password"


def test_a_failed_sign_in_names_the_account_and_never_the_password(member_a, user):
    """A wrong password for a real account writes "Sign-in failed" against that account; the
    password typed is nowhere in the row."""
    client = Client(HTTP_HOST=host_of(member_a), REMOTE_ADDR="203.0.113.9")
    response = client.post("/accounts/login/", {"login": "STAFF-A", "password": "wrong-guess-42"})
    assert response.status_code == 200
    [row] = _rows("account.sign_in_failed")
    assert row.actor_id is None
    assert row.target == "staff-a"
    assert row.details["user_id"] == user("staff-a").pk
    assert row.details["address"] == "203.0.113.9"
    assert row.member_id == member_a.pk
    assert "wrong-guess-42" not in str(row.details) + row.target


def test_a_failed_sign_in_as_nobody_keeps_the_name_cut_short():
    """A name that is no account is kept as typed, to 60 characters."""
    typed = "n" * 200
    Client(HTTP_HOST=host_of(None)).post("/accounts/login/", {"login": typed, "password": "x" * 12})
    [row] = _rows("account.sign_in_failed")
    assert row.target == typed[:60]
    assert row.details["user_id"] is None
    assert row.member_id is None


def test_api_token_use_is_recorded_once_an_hour(member_a, user):
    """Three calls with a token write one "API token used" row, on the member's site, without
    the token."""
    staff = user("staff-a")
    token = services.api_token_renew(acting_user=staff)
    client = Client(HTTP_HOST=host_of(member_a), HTTP_AUTHORIZATION=f"Token {token.key}")
    for _ in range(3):
        assert client.get("/api/me/").status_code == 200
    [row] = _rows("api_token.used")
    assert row.actor_id == staff.pk
    assert row.member_id == member_a.pk
    assert token.key not in str(row.details) + row.target


def test_a_wrong_api_token_writes_no_use():
    """A token that is no one's is refused and records no use."""
    client = Client(HTTP_HOST="alpha.localhost", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/me/").status_code in (401, 403)
    assert not _rows("api_token.used")


def test_security_rows_stay_append_only():
    """The log refuses to change or drop a sign-in row (the database trigger still holds)."""
    Client(HTTP_HOST=host_of(None)).post("/accounts/login/", {"login": "staff-a", "password": "no"})
    for statement in (
        "UPDATE tenants_auditentry SET target = 'forged' WHERE action = 'account.sign_in_failed'",
        "DELETE FROM tenants_auditentry WHERE action = 'account.sign_in_failed'",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert _rows("account.sign_in_failed", target="staff-a")


# --- the pages ------------------------------------------------------------------------------


def _table_body(page: str) -> str:
    """The rows of the events table (labels also appear in the action filter's options)."""
    return page.split("<tbody", 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def marked(member_a, member_b, user):
    """One security event at each member and one on the consortium site, each with a marker."""
    audit_record(action="account.locked", member=member_a, target="marker-alpha")
    audit_record(action="account.locked", member=member_b, target="marker-beta")
    audit_record(action="account.locked", member=None, target="marker-consortium")
    # Not a security event: never on these pages.
    audit_record(action="tag.created", member=member_a, target="marker-tag")


# (user, site) -> the markers that user sees on that site's security page; None = refused.
EXPECTED = {
    ("manager-a", "alpha"): {"marker-alpha"},
    ("manager-b", "beta"): {"marker-beta"},
    ("admin-c", None): {"marker-alpha", "marker-beta", "marker-consortium"},
    ("staff-a", "alpha"): None,
    ("staff-b", "beta"): None,
    ("both-ab", "alpha"): None,
    ("manager-a", None): None,
    ("staff-a", None): None,
    ("researcher-r", None): None,
    ("manager-a", "beta"): None,
    ("admin-c", "alpha"): None,
}
MARKERS = {"marker-alpha", "marker-beta", "marker-consortium", "marker-tag"}


@pytest.mark.parametrize(("username", "site"), list(EXPECTED))
def test_each_role_sees_exactly_its_members_events(username, site, marked, client_for, user):
    """Managers see their member's events only; admins everyone's on the consortium site;
    staff, researchers, managers on the consortium site and outsiders are refused (403)."""
    from tenants.models import Member

    member = Member.organisations.get(slug=site) if site else None
    path = "/team/security/" if member else "/security/"
    client = client_for(user(username), member)
    expected = EXPECTED[(username, site)]
    for query in ("", "?download=csv"):
        response = client.get(path + query)
        if expected is None:
            assert response.status_code == 403, (username, site, response.status_code)
            continue
        assert response.status_code == 200
        body = response.content.decode()
        assert {m for m in MARKERS if m in body} == expected


def test_anonymous_visitors_are_sent_to_sign_in(member_a):
    for host, path in (("alpha.localhost", "/team/security/"), ("localhost", "/security/")):
        response = Client(HTTP_HOST=host).get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_page_shows_plain_words_a_chart_and_newest_first(marked, client_for, user, member_a):
    """Labels from AUDIT_ACTIONS (never the code), a chart beside the table, newest first."""
    audit_record(action="account.unlocked", member=member_a, target="marker-later")
    body = client_for(user("manager-a"), member_a).get("/team/security/").content.decode()
    text = re.sub(r"<[^>]+>", " ", body)
    assert AUDIT_ACTIONS["account.locked"] in _table_body(body)  # the row, not the filter
    assert "account.locked" not in text
    assert "<svg" in body
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>")[0]
    assert body.index("marker-later") < body.index("marker-alpha")


def test_empty_state(client_for, user, member_b):
    """Filters that match nothing say so (the log cannot be emptied to show the first-day
    wording)."""
    response = client_for(user("manager-b"), member_b).get("/team/security/?action=mfa.reset")
    assert "No events match" in response.content.decode()


def test_admin_filters_by_member_action_person_and_dates(marked, client_for, user, member_b):
    admin = client_for(user("admin-c"), None)
    body = admin.get(f"/security/?member={member_b.pk}").content.decode()
    assert "marker-beta" in body
    assert "marker-alpha" not in body
    audit_record(action="account.unlocked", member=member_b, target="marker-unlocked")
    body = admin.get("/security/?action=account.unlocked").content.decode()
    assert "marker-unlocked" in body
    assert "marker-beta" not in body
    body = admin.get("/security/?person=marker-con").content.decode()
    assert "marker-consortium" in body
    assert "marker-beta" not in body
    body = admin.get("/security/?since=2000-01-01&until=2000-01-02").content.decode()
    assert "marker-beta" not in body
    assert "No events match" in body


def test_person_filter_finds_an_account_by_name(member_a, client_for, user):
    """Filtering by a person's name finds the rows they did and the rows about them."""
    manager, staff = user("manager-a"), user("staff-a")
    audit_record(action="account.unlocked", actor=manager, member=member_a, target="marker-by")
    audit_record(action="mfa.reset", member=member_a, target="marker-about", user_id=staff.pk)
    client = client_for(manager, member_a)
    body = client.get("/team/security/?person=Manager Tester").content.decode()
    assert "marker-by" in body
    assert "marker-about" not in body
    body = client.get("/team/security/?person=staff-a@example").content.decode()
    assert "marker-about" not in body  # the subject is shown by name, so look for the row
    assert AUDIT_ACTIONS["mfa.reset"] in _table_body(body)


# (query, refused on the consortium page, refused on a member's page): refused input shows
# the plain message and no rows; odd but valid input shows what matches.
HOSTILE = [
    ({"since": "2026-02-30"}, True, True),
    ({"until": "31/13/2026"}, True, True),
    ({"since": "2026-03-02", "until": "2026-03-01"}, True, True),
    ({"member": "999999999"}, True, False),  # a member's page has no member filter
    ({"member": "' OR 1=1 --"}, True, False),
    ({"action": "tag.created"}, True, True),  # not a security event
    ({"action": "x" * 5000}, True, True),
    ({"person": "x" * 100_000}, True, True),
    ({"since": "9999-12-31", "until": "9999-12-31"}, False, False),
    ({"since": "0001-01-01", "until": "0001-01-01"}, False, False),
    ({"person": "\u202eשלום عليكم 👩\u200d👩\u200d👧 %'"}, False, False),
    ({"page": "-1"}, False, False),
    ({"page": "999999999999999999999999"}, False, False),
]


@pytest.mark.parametrize(("query", "refused_admin", "refused_manager"), HOSTILE)
def test_hostile_filters_give_a_clear_message_never_a_500(
    query, refused_admin, refused_manager, marked, client_for, user
):
    """Bad filter input is answered with a plain message and no rows (and no download),
    never an error page; input that is merely odd shows what matches."""
    for client, path, refused in (
        (client_for(user("admin-c"), None), "/security/", refused_admin),
        (client_for(user("manager-a"), _member("alpha")), "/team/security/", refused_manager),
    ):
        for extra in ({}, {"download": "csv"}):
            response = client.get(path, {**query, **extra})
            assert response.status_code == 200, (path, query, response.status_code)
            is_csv = response["Content-Type"].startswith("text/csv")
            assert is_csv == (bool(extra) and not refused)
            if is_csv:
                continue
            body = response.content.decode()
            assert (INVALID_FILTERS in body) == refused, (path, query)
            if refused:
                assert "marker-alpha" not in body


def _member(slug: str):
    from tenants.models import Member

    return Member.organisations.get(slug=slug)


def test_reversed_dates_say_so(client_for, user):
    body = (
        client_for(user("admin-c"), None)
        .get("/security/", {"since": "2026-03-02", "until": "2026-03-01"})
        .content.decode()
    )
    assert INVALID_FILTERS in body
    assert DATES_REVERSED in body


def test_csv_download_holds_the_filtered_rows_and_defuses_formulas(member_a, client_for, user):
    """The CSV holds the rows the filters chose; a typed name that a spreadsheet would run
    as a formula arrives as text."""
    Client(HTTP_HOST=host_of(member_a)).post(
        "/accounts/login/", {"login": "=HYPERLINK(1)", "password": "wrong-password-1"}
    )
    audit_record(action="account.locked", member=member_a, target="marker-locked")
    response = client_for(user("manager-a"), member_a).get(
        "/team/security/", {"download": "csv", "action": "account.sign_in_failed"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "Who", "What", "About", "From"]
    assert [r[2] for r in rows[1:]] == [AUDIT_ACTIONS["account.sign_in_failed"]]
    assert rows[1][3] == "'=HYPERLINK(1)"
    assert "marker-locked" not in response.content.decode()


def test_pages_are_linked_for_those_who_may_see_them(client_for, user, member_a):
    """Managers find the page from /team/, consortium admins from the consortium home."""

    def page(username, member, path):
        return client_for(user(username), member).get(path).content.decode()

    assert "/team/security/" in page("manager-a", member_a, "/team/")
    assert "/team/security/" not in page("staff-a", member_a, "/team/")
    assert 'href="/security/"' in page("admin-c", None, "/")
