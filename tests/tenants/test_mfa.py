"""The second factor: who must have one, the guided enrolment, the code step at sign-in and
its bad inputs, a consortium admin's reset, the audit rows, and the hand-over between sites
carrying the second factor across (issue 13)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tenants import mfa, mfa_services, services
from tenants.models import AuditEntry, Member, Role, SignInHandoff
from tests.conftest import PASSWORD, host_of, totp_code, totp_give, totp_secret_of
from tests.factories import UserFactory

ENROL = "/accounts/second-factor/"
CODE_STEP = "/accounts/2fa/authenticate/"


def _password_sign_in(member, username: str) -> tuple[Client, object]:
    client = Client(HTTP_HOST=host_of(member))
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    return client, response


def _signed_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def _text(response) -> str:
    return response.content.decode()


def _password_again(client: Client) -> None:
    """allauth asks for the password again before second factors change."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


# --- who must have one ---------------------------------------------------------------


def test_admins_researchers_and_managers_must_have_a_second_factor_everywhere(
    user, member_a, member_b
):
    """Consortium admins, researchers and managers need one on every site, a manager even at
    a member where they are not one; staff do not unless their member asks it."""
    for site in (None, member_a, member_b):
        assert mfa.second_factor_required(user("admin-c"), site)
        assert mfa.second_factor_required(user("researcher-r"), site)
        assert mfa.second_factor_required(user("manager-a"), site)
        assert not mfa.second_factor_required(user("staff-a"), site)
        assert not mfa.second_factor_required(user("both-ab"), site)
    assert not mfa.second_factor_required(None, member_a)


def test_a_member_can_ask_its_own_staff_for_a_second_factor(user, member_a, member_b):
    """With member A's setting on, A's staff need one on A's site, not on B's or elsewhere."""
    mfa_services.member_mfa_require(member=member_a, required=True, acting_user=user("manager-a"))
    member_a.refresh_from_db()
    assert mfa.second_factor_required(user("staff-a"), member_a)
    assert mfa.second_factor_required(user("both-ab"), member_a)
    assert not mfa.second_factor_required(user("both-ab"), member_b)
    assert not mfa.second_factor_required(user("both-ab"), None)
    assert not mfa.second_factor_required(user("staff-b"), member_b)


def test_recovery_codes_alone_are_not_a_second_factor(user):
    """Recovery codes stand in for a lost app; on their own they do not count."""
    person = user("staff-a")
    RecoveryCodes.activate(person)
    assert not mfa.has_second_factor(person)
    totp_give(person)
    assert mfa.has_second_factor(person)


# --- the member's setting on the people page -------------------------------------------


def test_managers_switch_the_staff_setting_on_the_people_page_audited(client_for, user, member_a):
    """The people page shows managers the setting; saving it changes the member and writes
    one audit row; saving it unchanged writes none."""
    client = client_for(user("manager-a"), member_a)
    page = _text(client.get("/team/"))
    assert "Ask staff for a second factor too" in page
    response = client.post("/team/second-factor/", {"mfa-required": "on"})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.staff_second_factor_required

    def entries():
        return list(
            AuditEntry.objects.filter(action="member.mfa_required_changed", member_id=member_a.pk)
            .order_by("id")
            .values_list("actor_id", "details__required")
        )

    assert entries() == [(user("manager-a").pk, True)]
    client.post("/team/second-factor/", {"mfa-required": "on"})
    assert len(entries()) == 1
    client.post("/team/second-factor/", {})
    member_a.refresh_from_db()
    assert not member_a.staff_second_factor_required
    assert entries() == [(user("manager-a").pk, True), (user("manager-a").pk, False)]


def test_staff_cannot_switch_the_setting(client_for, user, member_a):
    """Staff neither see the setting nor change it."""
    client = client_for(user("staff-a"), member_a)
    assert "Ask staff for a second factor too" not in _text(client.get("/team/"))
    assert client.post("/team/second-factor/", {"mfa-required": "on"}).status_code == 403
    member_a.refresh_from_db()
    assert not member_a.staff_second_factor_required


# --- guided enrolment ------------------------------------------------------------------


def _fill(route, values: dict) -> str:
    from tests.test_sweep_urls import ROUTE_CONVERTER, kwargs_of, url_for

    filled = {}
    for name in kwargs_of(route):
        converter = ""
        for kind, text in route.parts:
            for match in ROUTE_CONVERTER.finditer(text) if kind == "route" else ():
                if match.group("name") == name:
                    converter = match.group("conv") or "str"
        filled[name] = values.get(converter, values["int"] if name.endswith("_id") else "alpha")
    return url_for(route, filled)


@pytest.mark.parametrize("site", ["member", "consortium"])
def test_a_manager_without_a_second_factor_reaches_only_enrolment(site, user, member_a):
    """Signed in with a password only, a manager with no second factor is sent to the page
    that explains, from every GET address on the site (the sweep's own list); only the
    second-factor pages, signing out, the hand-over, static files and health answer."""
    from tests.test_sweep_urls import routes

    manager = UserFactory(member=member_a, role=Role.MANAGER)
    member = member_a if site == "member" else None
    client = Client(HTTP_HOST=host_of(member))
    client.force_login(manager)
    values = {"int": 1, "str": "x", "slug": "alpha", "uuid": "00000000-0000-0000-0000-000000000001",
              "path": "x"}  # fmt: skip
    reached, checked = [], 0
    for route in routes():
        if route.site != site:
            continue
        url = _fill(route, values)
        response = client.get(url)
        checked += 1
        if url.startswith(mfa.ENROLMENT_PREFIXES):
            reached.append(route.name)
            assert not (response.status_code == 302 and response["Location"] == ENROL), url
            continue
        if url.startswith("/api/"):
            assert response.status_code == 403, url
            assert response.json()["detail"] == mfa.ENROL_FIRST
        else:
            assert (response.status_code, response["Location"]) == (302, ENROL), url
    assert checked > 40
    assert {"mfa_activate_totp", "mfa_add_webauthn", "account_logout", "handoff",
            "mfa_required"} <= set(reached)  # fmt: skip
    assert all(
        name.startswith(("mfa_", "account_reauthenticate", "account_request_reauthentication",
                         "account_confirm_reauthentication"))
        or name in {"account_logout", "handoff", "healthz"}
        for name in reached
    ), reached  # fmt: skip
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "Set up the authenticator app" in _text(page)


def test_htmx_and_api_requests_are_told_plainly(user, member_a):
    """An htmx request gets a 403 that sends the page to enrolment; the API a 403 in JSON."""
    manager = UserFactory(member=member_a, role=Role.MANAGER)
    client = Client(HTTP_HOST=host_of(member_a))
    client.force_login(manager)
    htmx = client.get("/contacts/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 403
    assert htmx["HX-Redirect"] == ENROL
    assert _text(htmx) == mfa.ENROL_FIRST
    api = client.get("/api/me/")
    assert (api.status_code, api.json()) == (403, {"detail": mfa.ENROL_FIRST})
    posted = client.post("/team/", {"email": "x@example.org"})
    assert (posted.status_code, posted["Location"]) == (302, ENROL)


def test_second_factor_required_mid_session_guides_to_enrolment(client_for, user, member_a):
    """Staff working when their member switches the setting on are guided to enrolment at
    their next request, with the reason on the page."""
    staff = client_for(user("staff-a"), member_a)
    assert staff.get("/").status_code == 200
    client_for(user("manager-a"), member_a).post("/team/second-factor/", {"mfa-required": "on"})
    response = staff.get("/")
    assert (response.status_code, response["Location"]) == (302, ENROL)
    page = _text(staff.get(ENROL))
    assert "Your account needs a second step at sign-in" in page
    assert "at Alpha Voluntary Action" in page


def test_enrolling_an_authenticator_app_opens_the_site_and_is_audited(
    user, member_a, django_capture_on_commit_callbacks
):
    """A new manager signs in with their password, is guided to enrolment, sets up the app
    with a code from it, gets recovery codes, and can then work; the audit log records it."""
    manager = UserFactory(member=member_a, role=Role.MANAGER)
    client, _signed_in = _password_sign_in(member_a, manager.username)
    assert client.get("/contacts/")["Location"] == ENROL
    _password_again(client)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "That code is not right" in _text(wrong)
    assert not mfa.has_second_factor(manager)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert urlparse(done["Location"]).path == "/accounts/2fa/recovery-codes/"
    assert mfa.has_second_factor(manager)
    assert client.get("/contacts/").status_code == 200
    kinds = AuditEntry.objects.filter(action="mfa.added", actor_id=manager.pk)
    assert {e.details["kind"] for e in kinds} == {"totp", "recovery_codes"}
    assert all(e.member_id == member_a.pk for e in kinds)
    # Enrolling counts as passing it: the hand-over from here carries it.
    assert mfa.session_second_factor(_request_for(client))["type"] == "totp"


def _request_for(client: Client):
    """A request object carrying ``client``'s session and user (to read allauth's records)."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    request.user = get_user_model().objects.get(pk=client.session[SESSION_KEY])
    return request


def test_someone_who_must_have_one_cannot_remove_their_last(client_for, user, member_a):
    """A manager's last authenticator app cannot be switched off (a reset is the way out of
    a lost device); staff may switch theirs off."""
    manager = user("manager-a")
    client = client_for(manager, member_a)
    _password_again(client)
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert mfa.LAST_SECOND_FACTOR in _text(response)
    assert mfa.has_second_factor(manager)
    staff = user("staff-a")
    totp_give(staff)
    client = client_for(staff, member_a)
    _password_again(client)
    assert client.post("/accounts/2fa/totp/deactivate/", {}).status_code == 302
    assert not mfa.has_second_factor(staff)


# --- the code step at sign-in: bad input ----------------------------------------------


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(user, member_a):
    """After the password, a manager is asked for a code; a wrong one is refused plainly and
    signs no one in; the right one signs in with the second factor recorded."""
    client, response = _password_sign_in(member_a, "manager-a")
    assert (response.status_code, response["Location"]) == (302, CODE_STEP)
    assert _signed_in_as(client) is None
    wrong = client.post(CODE_STEP, {"code": "123456"})
    assert "That code is not right, or it has been used already" in _text(wrong)
    assert _signed_in_as(client) is None
    right = client.post(CODE_STEP, {"code": totp_code(totp_secret_of(user("manager-a")))})
    assert right.status_code == 302
    assert _signed_in_as(client) == user("manager-a").pk
    assert mfa.session_second_factor(_request_for(client))["type"] == "totp"


def test_a_code_used_once_is_refused_again(user, member_a):
    """A code that signed in once cannot sign in again (someone who saw it over a shoulder
    gets nothing)."""
    code = totp_code(totp_secret_of(user("manager-a")))
    first, _ = _password_sign_in(member_a, "manager-a")
    assert first.post(CODE_STEP, {"code": code}).status_code == 302
    second, _ = _password_sign_in(member_a, "manager-a")
    replay = second.post(CODE_STEP, {"code": code})
    assert "That code is not right, or it has been used already" in _text(replay)
    assert _signed_in_as(second) is None


def test_a_recovery_code_works_once(user, member_a):
    """A recovery code signs in in place of the app's code, once; used again it is refused."""
    person = user("manager-a")
    code = RecoveryCodes.activate(person).get_unused_codes()[0]
    first, _ = _password_sign_in(member_a, "manager-a")
    assert first.post(CODE_STEP, {"code": code}).status_code == 302
    assert _signed_in_as(first) == person.pk
    second, _ = _password_sign_in(member_a, "manager-a")
    again = second.post(CODE_STEP, {"code": code})
    assert "That code is not right, or it has been used already" in _text(again)
    assert _signed_in_as(second) is None


# --- a lost device: a consortium admin's reset ----------------------------------------


def test_a_consortium_admin_resets_a_lost_second_factor_after_confirming(client_for, user):
    """The reset page asks first; confirmed, it removes the person's authenticators and
    records who did it; at their next sign-in the person sets a new one up."""
    person = user("manager-a")
    RecoveryCodes.activate(person)
    admin = client_for(user("admin-c"), None)
    url = f"/people/{person.pk}/second-factor/reset/"
    asking = admin.get(url)
    assert asking.status_code == 200
    assert "Reset Manager Tester’s second factor?" in _text(asking)
    assert mfa.has_second_factor(person)
    done = admin.post(url, {"confirm": "yes"})
    assert done.status_code == 302
    assert not Authenticator.objects.filter(user=person).exists()
    entry = AuditEntry.objects.get(action="mfa.reset")
    assert (entry.actor_id, entry.target) == (user("admin-c").pk, "manager-a")
    assert entry.details["kinds"] == ["recovery_codes", "totp"]
    client, _signed_in = _password_sign_in(Member.organisations.get(slug="alpha"), "manager-a")
    assert client.get("/")["Location"] == ENROL


def test_only_consortium_admins_reset(client_for, user, member_a):
    """Anyone else is refused, by the page and by the service; nothing is removed."""
    person = user("manager-b")
    for who in ("manager-a", "researcher-r", "staff-a"):
        response = client_for(user(who), None).post(
            f"/people/{person.pk}/second-factor/reset/", {"confirm": "yes"}
        )
        assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        mfa_services.mfa_reset(user=person, acting_user=user("manager-a"))
    assert mfa.has_second_factor(person)
    assert not AuditEntry.objects.filter(action="mfa.reset").exists()


def test_resetting_someone_with_no_second_factor_says_so(client_for, user):
    """Nothing to reset is a plain message, and no audit row."""
    admin = client_for(user("admin-c"), None)
    response = admin.post(f"/people/{user('staff-a').pk}/second-factor/reset/",
                          {"confirm": "yes"}, follow=True)  # fmt: skip
    assert "Staff Tester has no second factor to reset." in _text(response)
    assert not AuditEntry.objects.filter(action="mfa.reset").exists()
    assert admin.get("/people/987654/second-factor/reset/").status_code == 404


def test_the_member_page_shows_admins_who_has_a_second_factor(client_for, user):
    """Consortium admins see, per person, whether a second factor is on, with the reset."""
    page = _text(client_for(user("admin-c"), None).get("/members/alpha/"))
    assert f'href="/people/{user("manager-a").pk}/second-factor/reset/"' in page
    assert f'href="/people/{user("staff-a").pk}/second-factor/reset/"' not in page


def test_removing_ones_own_second_factor_is_audited(
    client_for, user, member_a, django_capture_on_commit_callbacks
):
    """Switching off one's own authenticator app writes an audit row naming the person."""
    staff = user("staff-a")
    totp_give(staff)
    client = client_for(staff, member_a)
    _password_again(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/deactivate/", {})
    entry = AuditEntry.objects.get(action="mfa.removed")
    assert (entry.actor_id, entry.member_id, entry.details["kind"]) == (
        staff.pk, member_a.pk, "totp",
    )  # fmt: skip


# --- the hand-over between sites ------------------------------------------------------


def test_handoff_is_refused_to_a_session_that_skipped_the_second_factor(user, member_a):
    """A session signed in without the person's second factor gets no hand-over ticket: it
    is asked to confirm with the second factor first."""
    with pytest.raises(ValidationError) as refused:
        services.handoff_issue(member=member_a, acting_user=user("manager-a"))
    assert refused.value.messages == [services.HANDOFF_NEEDS_SECOND_FACTOR]
    client = Client(HTTP_HOST=host_of(None))
    client.force_login(user("manager-a"))
    response = client.get("/go/alpha/")
    assert urlparse(response["Location"]).path == "/accounts/2fa/reauthenticate/"
    assert not SignInHandoff.objects.exists()


def test_handoff_carries_the_second_factor_to_the_other_site(client_for, user, member_a):
    """The ticket records the second factor the issuing session passed, and the receiving
    site's new session records the same one, at the same time (never fresher)."""
    origin = client_for(user("manager-a"), None)
    passed = mfa.session_second_factor(_request_for(origin))
    location = origin.get("/go/alpha/")["Location"]
    assert SignInHandoff.objects.get().second_factor == passed
    url = urlparse(location)
    client = Client(HTTP_HOST=url.hostname)
    token = re.search(r"token=([^&]+)", url.query).group(1)
    assert client.post(url.path, {"token": token}).status_code == 302
    assert client.get("/").status_code == 200
    assert mfa.session_second_factor(_request_for(client)) == passed


def test_handoff_redeem_refuses_a_ticket_without_the_second_factor_the_person_now_has(
    user, member_a
):
    """A ticket issued before the person set up a second factor no longer signs them in."""
    staff = user("staff-a")
    token = services.handoff_issue(member=member_a, acting_user=staff)
    totp_give(staff)
    assert services.handoff_redeem(token=token, member=member_a, acting_user=None) is None


# --- the demo -------------------------------------------------------------------------


def test_demo_code_prints_the_current_code_of_a_demo_account_only(user, capsys):
    """`demo_code` prints the code an app holding the demo secret shows now; for an account
    with any other secret it prints none."""
    from django.core.management import CommandError, call_command

    from demo.provision import DEMO_TOTP_SECRET

    totp_give(user("staff-a"), DEMO_TOTP_SECRET)
    call_command("demo_code", "staff-a")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == totp_code(DEMO_TOTP_SECRET)
    assert (
        printed[1] == f"(if that one has just been used: {totp_code(DEMO_TOTP_SECRET, offset=1)})"
    )
    with pytest.raises(CommandError, match="does not use the demo's secret"):
        call_command("demo_code", "manager-a")
    with pytest.raises(CommandError, match="has no authenticator app"):
        call_command("demo_code", "staff-b")
