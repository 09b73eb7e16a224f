"""Browser protections: the Content-Security-Policy, Permissions-Policy, HSTS in production.

Every page's policy is checked by the URL sweep (tests/test_sweep_urls.py), and every browser
test fails on a policy violation (tests/conftest.py ``_no_csp_violations``). Here: the
policy's words, where forms may go, that the browser really refuses inline code, that the
pages with scripts of their own (Swagger, the planner, htmx) work under it, and the
production switches.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tenants.csp import FORM_ACTION_EXTRA, CommonsCSPMiddleware
from tests.conftest import CHROMIUM, PASSWORD, ROOT
from tests.threads import expect


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: words for name, *words in (part.split() for part in policy.split(";") if part.strip())
    }


def test_every_page_sends_a_strict_policy(client_for, user, member_a):
    """A member's page says: our own origin only, nothing inline, no eval, no framing, no
    plugins, no other base address."""
    response = client_for(user("staff-a"), member_a).get("/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_refusals_carry_the_headers_too(client, db):
    """A request refused before any view (a NUL byte, an unknown site) still carries the
    policy and the Permissions-Policy."""
    refused = client.get("/accounts/login/?next=%00", HTTP_HOST="alpha.localhost")
    assert refused.status_code == 400
    assert "script-src 'self'" in refused["Content-Security-Policy"]
    assert "camera=()" in refused["Permissions-Policy"]


def test_forms_may_go_to_our_sites_only(client, db):
    """form-action allows this site, the consortium's and its members' (a sign-in hands over
    from one to another), on the port in use, and nothing else."""
    response = client.get("/accounts/login/", HTTP_HOST="alpha.localhost:8123")
    assert _directives(response["Content-Security-Policy"])["form-action"] == [
        "'self'", "http://localhost:8123", "http://*.localhost:8123",
    ]  # fmt: skip


def test_single_sign_on_adds_its_identity_provider_to_form_action():
    """A view that sends a form to an identity provider names its origin in
    ``request.csp_form_action_extra``; that response alone allows it."""
    factory = RequestFactory()
    middleware = CommonsCSPMiddleware(lambda request: HttpResponse("ok"))

    request = factory.get("/accounts/login/", HTTP_HOST="alpha.localhost")
    setattr(request, FORM_ACTION_EXTRA, ["https://login.example.net"])
    with_provider = middleware(request)["Content-Security-Policy"]
    without = middleware(factory.get("/accounts/login/", HTTP_HOST="alpha.localhost"))

    assert "https://login.example.net" in _directives(with_provider)["form-action"]
    assert "https://login.example.net" not in without["Content-Security-Policy"]


def test_permissions_policy_refuses_devices_but_allows_passkeys(client, db):
    """Camera, microphone, location, payments and USB are off on every page; passkeys
    (WebAuthn) may be made and used by our own origin."""
    header = client.get("/accounts/login/", HTTP_HOST="alpha.localhost")["Permissions-Policy"]
    features = dict(part.strip().split("=", 1) for part in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()", feature
    assert features["publickey-credentials-get"] == "(self)"
    assert features["publickey-credentials-create"] == "(self)"


def test_other_browser_headers(client, db):
    """No MIME sniffing, no full referrer to other sites, no framing."""
    response = client.get("/accounts/login/", HTTP_HOST="alpha.localhost")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- production settings -------------------------------------------------------------------


def _production(**env: str) -> dict[str, object]:
    """The security settings production resolves to, given these environment variables."""
    names = [
        "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    ]  # fmt: skip
    code = (
        "import consortium.settings.production as s;"
        f"print(repr({{n: getattr(s, n) for n in {names!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMMONS_", "DJANGO_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**clean, "DJANGO_SECRET_KEY": "x" * 60, "COMMONS_PERSON_KEY": "k" * 40,
             "DATABASE_URL": "postgres://u@h:1/d", **env},
    )  # fmt: skip
    import ast

    return ast.literal_eval(out.stdout.strip())


def test_production_is_https_only_with_a_years_hsts():
    """Production redirects to HTTPS, keeps cookies secure, and sends HSTS for a year to the
    consortium's site and its member subdomains; preloading is left for the consortium to
    choose."""
    assert _production() == {
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }  # fmt: skip
    assert _production(DJANGO_SECURE_HSTS_PRELOAD="1")["SECURE_HSTS_PRELOAD"] is True
    assert _production(DJANGO_SECURE_HSTS_SECONDS="600")["SECURE_HSTS_SECONDS"] == 600


def test_plain_http_is_one_switch():
    """COMMONS_PLAIN_HTTP=1 (``make serve``) turns off the redirect, secure cookies and HSTS
    together."""
    assert _production(COMMONS_PLAIN_HTTP="1") == {
        "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False,
    }  # fmt: skip


# --- in the browser ------------------------------------------------------------------------

SIGN_IN = re.compile(r"/accounts/login/")


def _sign_in(page, username: str) -> None:
    expect(page).to_have_url(SIGN_IN)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(SIGN_IN)


def _as_served(port: int, host: str, path: str) -> tuple[dict[str, str], str]:
    """A page as the live server sends it: its headers and its HTML. (Chromium resolves
    ``*.localhost`` itself; Playwright's own requests could not, so this asks 127.0.0.1.)"""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our server
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return headers, response.read().decode()


@pytest.mark.csp_violation_expected
@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_inline_code_put_into_a_page_does_not_run(browser, live_url):
    """The policy is real: the sign-in page as the server sends it (its own headers), with
    an inline script, an inline handler and an inline style slipped into its HTML, runs none
    of them and applies none; the browser reports the refusals."""
    headers, html = _as_served(live_url, f"alpha.localhost:{live_url}", "/accounts/login/")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    injected = (
        '<script>document.documentElement.dataset.inlineRan = "yes";</script>'
        '<img src="data:," alt="" onload="document.documentElement.dataset.handlerRan = \'yes\'">'
        '<p id="styled" style="color: rgb(255, 0, 0)">Styled inline</p>'
    )
    tampered = html.replace("</main>", injected + "</main>")
    assert injected in tampered
    page = browser.new_page()
    page.route(
        re.compile(r"/accounts/login/$"),
        lambda route: route.fulfill(status=200, headers=headers, body=tampered),
    )
    page.goto(f"http://alpha.localhost:{live_url}/accounts/login/")
    expect(page.locator("#styled")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()  # the page itself still works
    assert page.evaluate("document.documentElement.dataset.inlineRan") is None
    assert page.evaluate("document.documentElement.dataset.handlerRan") is None
    assert page.locator("#styled").evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_swagger_page_works_under_the_policy(browser, live_url):
    """The API's Swagger page loads its script as a file and lists the API, with no
    violation."""
    page = browser.new_page()
    page.goto(f"http://alpha.localhost:{live_url}/accounts/login/?next=/api/docs/")
    _sign_in(page, "staff-a")
    expect(page).to_have_url(re.compile(r"/api/docs/$"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Commons API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_signing_in_on_the_consortium_site_reaches_the_member_site(browser, live_url):
    """Signing in on the consortium site hands over to the person's only member site: the
    sign-in form's redirects to another of our sites are within form-action."""
    page = browser.new_page()
    page.goto(f"http://localhost:{live_url}/")
    _sign_in(page, "staff-a")
    expect(page).to_have_url(re.compile(rf"^http://alpha\.localhost:{live_url}/accounts/handoff/"))
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Voluntary Action")
    page.close()
