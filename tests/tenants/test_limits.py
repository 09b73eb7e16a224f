"""Throttling and lockout: ten wrong passwords lock an account wherever it is named, the
sign-in page says until when, managers and consortium admins unlock, limits count the
client's real address behind the proxy, and they hold across separate server processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings

from tenants import limit_services, limits
from tenants.models import AuditEntry, Membership
from tests.conftest import PASSWORD, ROOT, _database_url, _free_port, process_stop, wait_until

WRONG = "not-the-password-at-all"
LOCKED_TEXT = "This account is locked after too many wrong passwords. It opens again at"


def sign_in(client: Client, login: str, password: str):
    return client.post("/accounts/login/", {"login": login, "password": password})


def lock(client: Client, login: str = "staff-a", times: int = 10) -> None:
    for _ in range(times):
        response = sign_in(client, login, WRONG)
        assert response.status_code == 200


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(
    client_for, member_a, user
):
    """After ten wrong passwords the right one is refused, with the time the lock opens, in
    plain words; the lock is recorded once however often it is tried."""
    client = client_for(None, member_a)
    lock(client)
    response = sign_in(client, "staff-a", PASSWORD)
    page = response.content.decode()
    opens = limits.user_locked_until(user=user("staff-a"))
    assert opens is not None
    assert f"{LOCKED_TEXT} {limits.clock_time(opens)}, or ask your manager to unlock it." in page
    assert "Too many failed login attempts" not in page
    assert not signed_in(client)
    sign_in(client, "staff-a", WRONG)
    assert AuditEntry.objects.filter(action="account.locked", target="staff-a").count() == 1


def test_nine_wrong_passwords_do_not_lock_and_a_right_one_forgets_them(client_for, member_a):
    """Nine wrong passwords leave the account open; signing in then clears the count, so the
    next mistake is the first of ten again."""
    client = client_for(None, member_a)
    lock(client, times=9)
    assert sign_in(client, "staff-a", PASSWORD).status_code == 302
    assert signed_in(client)
    fresh = client_for(None, member_a)
    lock(fresh, times=9)
    assert sign_in(fresh, "staff-a", PASSWORD).status_code == 302


def test_the_lock_holds_for_the_account_by_username_or_e_mail_on_every_site(
    client_for, member_a, member_b
):
    """Tries by username on one member's site and by e-mail on another count together: the
    account, not the words typed, is locked, everywhere."""
    lock(client_for(None, member_a), "staff-a", times=5)
    lock(client_for(None, member_b), "STAFF-A@example.org", times=5)
    for member in (None, member_a, member_b):
        page = sign_in(client_for(None, member), "staff-a@example.org", PASSWORD)
        assert LOCKED_TEXT in page.content.decode()


def test_a_name_that_is_no_account_locks_the_same_way(client_for):
    """A made-up name meets the same lock and the same words, so the lock reveals nothing
    about which accounts exist."""
    client = client_for(None, None)
    lock(client, "nobody-here")
    assert LOCKED_TEXT in sign_in(client, "nobody-here", WRONG).content.decode()


def test_the_lock_opens_when_its_time_has_passed(client_for, member_a, user):
    """Once the locked tries are older than the lockout, the right password works again."""
    client = client_for(None, member_a)
    lock(client)
    rate = next(
        r
        for r in limits.allauth_ratelimit.get_rates(app=limits.APP, action=limits.LOGIN_FAILED)
        if r.per == "key"
    )
    assert rate.amount == 10
    assert rate.duration == 15 * 60
    cache_key = limits.allauth_ratelimit.get_cache_key(
        None, app=limits.APP, action=limits.LOGIN_FAILED, rate=rate,
        key=limits.account_key(user("staff-a")),
    )  # fmt: skip
    # The lock is its tries in the shared cache: age them past the lockout, as time would.
    cache.set(cache_key, [t - rate.duration - 1 for t in cache.get(cache_key)], rate.duration)
    assert limits.user_locked_until(user=user("staff-a")) is None
    assert sign_in(client, "staff-a", PASSWORD).status_code == 302


def test_a_manager_sees_the_lock_on_the_people_page_and_unlocks_it(client_for, member_a, user):
    """The people page shows a locked colleague with the time it opens and an unlock button;
    unlocking lets them sign in at once and is recorded."""
    lock(client_for(None, member_a))
    manager = client_for(user("manager-a"), member_a)
    membership = Membership.objects.get(user__username="staff-a", member=member_a)
    opens = limits.clock_time(limits.user_locked_until(user=user("staff-a")))
    page = manager.get("/team/").content.decode()
    assert f"opens at {opens}" in page
    assert f"/team/{membership.pk}/unlock/" in page
    response = manager.post(f"/team/{membership.pk}/unlock/", follow=True)
    assert "account is open again" in response.content.decode()
    assert limits.user_locked_until(user=user("staff-a")) is None
    entry = AuditEntry.objects.get(action="account.unlocked", target="staff-a")
    assert entry.actor_id == user("manager-a").pk
    assert entry.member_id == member_a.pk
    assert sign_in(client_for(None, member_a), "staff-a", PASSWORD).status_code == 302
    again = manager.post(f"/team/{membership.pk}/unlock/", follow=True)
    assert "is not locked" in again.content.decode()


def test_only_the_members_managers_unlock_on_its_site(client_for, member_a, member_b, user):
    """Staff cannot unlock; another member's manager gets not-found for a membership that is
    not theirs; nothing is unlocked."""
    lock(client_for(None, member_a))
    membership = Membership.objects.get(user__username="staff-a", member=member_a)
    assert client_for(user("both-ab"), member_a).post(
        f"/team/{membership.pk}/unlock/"
    ).status_code == 403  # fmt: skip
    assert client_for(user("manager-b"), member_b).post(
        f"/team/{membership.pk}/unlock/"
    ).status_code == 404  # fmt: skip
    assert client_for(user("manager-a"), member_a).post("/team/999999/unlock/").status_code == 404
    assert client_for(user("manager-a"), member_a).get(
        f"/team/{membership.pk}/unlock/"
    ).status_code == 405  # fmt: skip
    assert limits.user_locked_until(user=user("staff-a")) is not None


def test_the_service_refuses_a_manager_of_another_member_and_a_consortium_admins_account(
    member_a, member_b, user
):
    """account_unlock checks its own permissions: a manager of another member, or a manager
    asked to open a consortium admin's account, is refused."""
    with pytest.raises(PermissionDenied):
        limit_services.account_unlock(
            user=user("staff-a"), acting_user=user("manager-b"), member=member_b
        )
    with pytest.raises(PermissionDenied):
        limit_services.account_unlock(
            user=user("staff-a"), acting_user=user("manager-b"), member=member_a
        )
    assert not limit_services.can_unlock_account(user("manager-a"), user("admin-c"), member_a)


def test_a_consortium_admin_unlocks_anyone_from_the_members_page(client_for, member_b, user):
    """The consortium's page for a member lists its locked people with an unlock button."""
    lock(client_for(None, member_b), "manager-b")
    admin = client_for(user("admin-c"), None)
    membership = Membership.objects.get(user__username="manager-b", member=member_b)
    page = admin.get("/members/beta/").content.decode()
    assert f"/members/beta/unlock/{membership.pk}/" in page
    admin.post(f"/members/beta/unlock/{membership.pk}/")
    assert limits.user_locked_until(user=user("manager-b")) is None
    assert AuditEntry.objects.filter(action="account.unlocked", target="manager-b").exists()
    assert client_for(user("manager-a"), None).post(
        f"/members/beta/unlock/{membership.pk}/"
    ).status_code in (403, 404)  # fmt: skip
    assert admin.post(f"/members/alpha/unlock/{membership.pk}/").status_code == 404


# --- the client's real address ---------------------------------------------------------------


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1, ACCOUNT_RATE_LIMITS={
    "login_failed": "3/15m/ip,10/15m/key"})  # fmt: skip
def test_clients_behind_the_proxy_have_their_own_address_limit(client_for):
    """Behind the proxy each client is counted by the address the proxy saw; a client that
    writes a different address into the header's left end is still counted by its own."""
    one = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="203.0.113.5")
    other = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for n in range(3):
        sign_in(one, f"someone-{n}", WRONG)
    spoofed = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    page = sign_in(spoofed, "someone-else", WRONG).content.decode()
    assert "Too many wrong passwords have been tried from your connection" in page
    assert sign_in(other, "staff-a", PASSWORD).status_code == 302


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_a_forwarded_header_too_short_counts_by_the_connection(client_for):
    """A request that skipped the proxy (no forwarded hop to trust) is counted by the
    connection's address, and its sign-in answers normally."""
    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="")
    assert sign_in(client, "staff-a", PASSWORD).status_code == 302
    hostile = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="not-an-address")
    assert sign_in(hostile, "staff-a", WRONG).status_code == 200


# --- other limits --------------------------------------------------------------------------


def test_password_reset_is_limited_by_e_mail(client_for):
    """A fourth reset for one address in an hour is turned away with a plain page."""
    client = client_for(None, None)
    for _ in range(3):
        response = client.post("/accounts/password/reset/", {"email": "staff-a@example.org"})
        assert response.status_code == 302
    response = client.post("/accounts/password/reset/", {"email": "staff-a@example.org"})
    assert response.status_code == 429
    assert "Too many tries from your connection" in response.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"handoff": "2/m/ip"})
def test_the_hand_over_link_is_limited_by_address(client_for, member_a):
    """Past its limit, the hand-over page refuses before looking at the ticket."""
    client = client_for(None, member_a)
    for _ in range(2):
        client.post("/accounts/handoff/", {"token": "made-up"})
    response = client.post("/accounts/handoff/", {"token": "made-up"}, follow=True)
    assert "Too many sign-in links have been tried" in response.content.decode()


@override_settings(API_TOKEN_FAILURES="3/hour")
def test_wrong_api_tokens_are_limited_by_address(client_for, member_a, user):
    """After three wrong tokens from an address even the right one is refused (429) there;
    another address is unaffected."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user("staff-a"))
    guesser = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        # Refused as DRF refuses a bad token behind session sign-in (403).
        assert guesser.get("/api/me/", HTTP_AUTHORIZATION="Token wrong").status_code == 403
    refused = guesser.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 429
    assert "Too many wrong API tokens" in refused.json()["detail"]
    honest = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="192.0.2.11")
    assert honest.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


# --- across servers ------------------------------------------------------------------------


def _server_start(port: int, log_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "consortium.settings.test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [gunicorn, "-c", "deploy/gunicorn.conf.py", "consortium.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=5):
                return True
        except OSError:
            return False

    wait_until(answers, what=f"gunicorn on {port}", process=server, log_path=log_path)
    return server


def _remote_sign_in(port: int, login: str, password: str) -> str:
    """Sign in over HTTP as a browser would (the form's CSRF token, its cookie); the page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://localhost:{port}/accounts/login/"
    with opener.open(url, timeout=30) as response:
        form = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"login": login, "password": password, "csrfmiddlewaretoken": csrf}
    ).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})
    try:
        with opener.open(request, timeout=30) as response:
            return response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.read().decode()


def test_ten_failures_spread_over_two_gunicorn_servers_lock_the_account_on_both(
    django_db_setup, django_db_blocker, tmp_path
):
    """Two gunicorn processes on the test database (no memory in common) share the cache:
    five wrong passwords at each lock the account at both."""
    ports = [_free_port(), _free_port()]
    servers = []
    try:
        with django_db_blocker.unblock():
            for i, port in enumerate(ports):
                servers.append(_server_start(port, tmp_path / f"gunicorn-{i}.log"))
            for _ in range(5):
                for port in ports:
                    assert "not correct" in _remote_sign_in(port, "outsider", WRONG)
            started = time.monotonic()
            for port in ports:
                assert LOCKED_TEXT in _remote_sign_in(port, "outsider", PASSWORD)
            assert time.monotonic() - started < 120
    finally:
        for server in servers:
            process_stop(server, grace=30)
        with django_db_blocker.unblock():
            cache.clear()
