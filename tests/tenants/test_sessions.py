"""Sessions: each person sees and ends their own, on every site; a new password or second
factor, removal, erasure and idleness end them."""

from __future__ import annotations

import time

import pytest
from allauth.account.signals import password_reset
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.signals import authenticator_removed
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tenants import services
from tenants.devices import UNKNOWN_DEVICE, device_describe
from tenants.models import AuditEntry, Membership
from tenants.session_middleware import IDLE_SIGNED_OUT, LAST_ACTIVITY
from tenants.session_services import SITE_KEY
from tests.conftest import PASSWORD, host_of, totp_code_fresh

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
SESSIONS = "/accounts/sessions/"


def signed_in(person, member, *, agent: str = FIREFOX_WINDOWS) -> Client:
    """A browser that signed in with its password on that member's site (None: the
    consortium's) and has opened one page."""
    client = Client(HTTP_HOST=host_of(member), HTTP_USER_AGENT=agent)
    response = client.post("/accounts/login/", {"login": person.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"].startswith("/accounts/2fa/authenticate/"):
        # Managers and admins have an authenticator app: answer allauth's code step.
        response = client.post(
            "/accounts/2fa/authenticate/", {"code": totp_code_fresh(person.username)}
        )
        assert response.status_code == 302, response.content.decode()[:500]
    client.get(SESSIONS)
    return client


def is_signed_in(client: Client) -> bool:
    return client.get(SESSIONS).status_code == 200


def row_of(client: Client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


def ended_entries(person) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="session.ended", details__user_id=person.pk))


# --- devices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Mobile Safari on iOS (iPhone)"),
        ("", UNKNOWN_DEVICE),
        ("nonsense'%<script>", UNKNOWN_DEVICE),
    ],
)
def test_a_device_is_named_in_plain_words(agent, expected):
    """A session's device reads as a browser on a system, never as the raw user agent."""
    assert device_describe(agent) == expected


# --- which site ---------------------------------------------------------------------------


def test_each_session_records_its_site_on_its_first_request(user, member_a):
    """A session on a member's site records that member; one on the consortium site None."""
    person = user("both-ab")
    on_alpha = signed_in(person, member_a)
    on_consortium = signed_in(person, None)
    assert row_of(on_alpha).data[SITE_KEY] == member_a.pk
    assert row_of(on_consortium).data[SITE_KEY] is None


# --- the page -----------------------------------------------------------------------------


def test_sessions_page_lists_every_site_with_device_address_and_this_one(user, member_a, member_b):
    """The page shows each open session of the person on every site, named by device and
    site, with its address, and marks the one in use."""
    person = user("both-ab")
    signed_in(person, member_b, agent=SAFARI_IPHONE)
    signed_in(person, None)
    here = signed_in(person, member_a)
    body = here.get(SESSIONS).content.decode()
    assert body.count('<section class="card"') == 3
    assert body.count("This session</span>") == 1
    for words in (
        "Alpha Voluntary Action", "Beta Community Network",
        "North Yorkshire Voluntary Sector Consortium", "Firefox on Windows",
        "Mobile Safari on iOS (iPhone)", "127.0.0.1", "End all other sessions (2)",
    ):  # fmt: skip
        assert words in body
    assert "Gecko/20100101" not in body


def test_sessions_page_shows_only_the_persons_own(user, member_a):
    """Someone else's sessions are not on the page."""
    signed_in(user("staff-a"), member_a, agent=SAFARI_IPHONE)
    body = signed_in(user("manager-a"), member_a).get(SESSIONS).content.decode()
    assert body.count('<section class="card"') == 1
    assert "iPhone" not in body


def test_sessions_page_needs_sign_in(member_a):
    """A visitor who is not signed in is sent to sign in."""
    response = Client(HTTP_HOST=host_of(member_a)).get(SESSIONS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- ending -------------------------------------------------------------------------------


def test_ending_a_session_asks_first_then_refuses_it_on_its_next_request(user, member_a):
    """Ending a session shows what will happen; confirmed, that browser is signed out on its
    next request, the person's own stays in, and the audit log says so."""
    person = user("both-ab")
    elsewhere = signed_in(person, None, agent=SAFARI_IPHONE)
    here = signed_in(person, member_a)
    target = row_of(elsewhere)
    url = f"/accounts/sessions/{target.pk}/end/"
    asked = here.post(url)
    assert asked.status_code == 200
    assert "Mobile Safari on iOS (iPhone)" in asked.content.decode()
    assert is_signed_in(elsewhere)
    response = here.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == SESSIONS
    assert not is_signed_in(elsewhere)
    assert is_signed_in(here)
    assert not UserSession.objects.filter(pk=target.pk).exists()
    [entry] = ended_entries(person)
    assert entry.actor_id == person.pk
    assert entry.details["sessions"] == 1


def test_ending_all_others_keeps_this_one(user, member_a, member_b):
    """ "End all other sessions" signs out every other browser, on every site, and not this."""
    person = user("both-ab")
    others = [signed_in(person, member_b), signed_in(person, None)]
    here = signed_in(person, member_a)
    assert here.post("/accounts/sessions/others/end/").status_code == 200
    assert all(is_signed_in(c) for c in others)
    here.post("/accounts/sessions/others/end/", {"confirm": "yes"})
    assert not any(is_signed_in(c) for c in others)
    assert is_signed_in(here)
    assert [e.details["sessions"] for e in ended_entries(person)] == [2]


def test_ending_this_session_signs_out(user, member_a):
    """Ending the session in use signs this browser out."""
    here = signed_in(user("staff-a"), member_a)
    response = here.post(f"/accounts/sessions/{row_of(here).pk}/end/", {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not is_signed_in(here)


def test_ending_someone_elses_or_a_missing_session_is_404_and_ends_nothing(user, member_a):
    """Another person's session and one that does not exist are both not found."""
    victim = signed_in(user("staff-a"), member_a)
    attacker = signed_in(user("manager-a"), member_a)
    for session_id in (row_of(victim).pk, 987654):
        url = f"/accounts/sessions/{session_id}/end/"
        assert attacker.post(url, {"confirm": "yes"}).status_code == 404
        assert attacker.get(url).status_code == 404
    assert is_signed_in(victim)
    assert not AuditEntry.objects.filter(action="session.ended").exists()


# --- new password, new second factor ------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(user, member_a):
    """A new password signs out every other browser; the one that changed it stays in."""
    person = user("staff-a")
    other = signed_in(person, None)
    here = signed_in(person, member_a)
    response = here.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a much longer pass-phrase 2026",
            "password2": "a much longer pass-phrase 2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not is_signed_in(other)
    assert is_signed_in(here)
    assert [e.details["reason"] for e in ended_entries(person)] == ["Password changed"]


def test_adding_a_second_factor_ends_the_other_sessions(
    user, member_a, django_capture_on_commit_callbacks
):
    """Setting up an authenticator app (allauth's own page, a real code) signs out every other
    browser; the one that set it up stays in. (allauth sends its signal once the change is
    committed.)"""
    person = user("staff-a")
    other = signed_in(person, None)
    here = signed_in(person, member_a)
    # allauth asks for the password again before any change to the second factor.
    here.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert here.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = here.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not is_signed_in(other)
    assert is_signed_in(here)
    assert {e.details["reason"] for e in ended_entries(person)} == {"Second factor changed"}


def test_a_second_factor_changed_by_someone_else_ends_all_the_persons_sessions(user, member_a):
    """When another person's request changes someone's second factor (an admin's reset), all
    of that someone's sessions end and the admin's own is untouched."""
    person = user("staff-a")
    theirs = [signed_in(person, member_a), signed_in(person, None)]
    admin = signed_in(user("admin-c"), None)
    request = RequestFactory().post("/")
    request.user = user("admin-c")
    request.session = admin.session
    authenticator_removed.send(sender=type(person), request=request, user=person)
    assert not any(is_signed_in(c) for c in theirs)
    assert is_signed_in(admin)
    [entry] = ended_entries(person)
    assert entry.actor_id == user("admin-c").pk
    assert entry.details["reason"] == "Second factor changed"


def test_a_password_reset_by_e_mail_link_ends_every_session(user, member_a):
    """A reset finished by someone not signed in (from the e-mailed link) keeps no browser:
    every session ends."""
    person = user("staff-a")
    theirs = [signed_in(person, member_a), signed_in(person, None)]
    request = RequestFactory().post("/accounts/password/reset/key/done/")
    request.user = AnonymousUser()
    password_reset.send(sender=type(person), request=request, user=person)
    assert not any(is_signed_in(c) for c in theirs)


# --- removal and erasure ------------------------------------------------------------------


def test_removal_ends_sessions_on_that_site_only_and_keeps_a_token_still_needed(
    user, member_a, member_b
):
    """Removing someone from one member ends their sessions there at once; their sessions
    elsewhere and their API token (still good at their other member) stay."""
    person = user("both-ab")
    Token.objects.create(user=person)
    on_alpha = signed_in(person, member_a)
    on_beta = signed_in(person, member_b)
    services.membership_remove(
        membership=Membership.objects.get(user=person, member=member_a),
        acting_user=user("manager-a"),
    )
    assert not UserSession.objects.filter(session_key=on_alpha.session.session_key).exists()
    assert on_alpha.get("/").status_code == 302
    assert is_signed_in(on_beta)
    assert Token.objects.filter(user=person).exists()
    [entry] = ended_entries(person)
    assert entry.member_id == member_a.pk


def test_removal_from_the_last_member_deletes_the_api_token(user, member_a):
    """Removed from their only member, a person's API token is deleted at once."""
    person = user("staff-a")
    Token.objects.create(user=person)
    services.membership_remove(
        membership=Membership.objects.get(user=person, member=member_a),
        acting_user=user("manager-a"),
    )
    assert not Token.objects.filter(user=person).exists()
    removed = AuditEntry.objects.get(action="membership.removed", details__user_id=person.pk)
    assert removed.details["api_token_deleted"] is True


def test_erasure_ends_every_session(user, member_a):
    """Erasing an account ends all its sessions, and the audit row does not name the person."""
    person = user("both-ab")
    theirs = [signed_in(person, member_a), signed_in(person, None)]
    services.user_erase(user=person, acting_user=user("admin-c"))
    assert not UserSession.objects.filter(user=person).exists()
    assert not any(is_signed_in(c) for c in theirs)
    [entry] = ended_entries(person)
    assert entry.target == f"erased-{person.pk}"


# --- idle sessions ------------------------------------------------------------------------


def _idle_for(client: Client, minutes: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = int(timezone.now().timestamp() - minutes * 60)
    session.save()


def test_an_idle_session_ends_and_says_why(user, member_a):
    """A session idle past the limit (60 minutes) lands on sign-in with a plain message, and
    is gone; the audit log says why."""
    person = user("staff-a")
    client = signed_in(person, member_a)
    key = client.session.session_key
    _idle_for(client, 61)
    response = client.get("/contacts/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=/contacts/")
    assert IDLE_SIGNED_OUT.format(minutes=60) in response.content.decode()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not is_signed_in(client)
    [entry] = ended_entries(person)
    assert entry.details["reason"] == "No activity for 60 minutes"


def test_a_session_active_within_the_limit_stays(user, member_a):
    """59 minutes idle is within the limit."""
    client = signed_in(user("staff-a"), member_a)
    _idle_for(client, 59)
    assert client.get("/").status_code == 200


def test_consortium_admins_are_signed_out_sooner(user):
    """A consortium admin's session ends after 15 idle minutes; a researcher's does not."""
    admin = signed_in(user("admin-c"), None)
    researcher = signed_in(user("researcher-r"), None)
    for client in (admin, researcher):
        _idle_for(client, 16)
    assert not is_signed_in(admin)
    assert is_signed_in(researcher)


def test_an_idle_htmx_request_is_sent_to_sign_in_by_htmx(user, member_a):
    """An htmx request from an idle session gets htmx's redirect, not a page fragment."""
    client = signed_in(user("staff-a"), member_a)
    _idle_for(client, 61)
    response = client.get("/contacts/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_activity_is_written_at_most_once_a_minute(user, member_a):
    """A request within a minute of the last written activity leaves it as it was; a later
    one moves it on."""
    client = signed_in(user("staff-a"), member_a)
    _idle_for(client, 0.5)
    written = client.session[LAST_ACTIVITY]
    client.get("/")
    assert client.session[LAST_ACTIVITY] == written
    _idle_for(client, 2)
    client.get("/")
    assert client.session[LAST_ACTIVITY] >= int(timezone.now().timestamp()) - 5
