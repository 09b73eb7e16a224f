"""Single sign-on through a member's own OpenID Connect provider (tenants.sso).

The rules are tested in-process on allauth's real login flow (``complete_login``, as its
callback view calls it once the provider has answered); the whole round trip runs in
chromium against a real provider, allauth's own, started on a loopback port
(tests/oidc_provider/).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal.flows.login import complete_login
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from tenants import sso_services
from tenants.models import AuditEntry, Member, MemberSignOn, SignOnKind
from tenants.sso import (
    REFUSED_NO_ONE,
    SignOnAdapter,
    sso_second_factor_passed,
)
from tests.conftest import (
    CHROMIUM,
    PASSWORD,
    ROOT,
    _free_port,
    code_step_answer,
    process_stop,
    wait_until,
)
from tests.factories.committed import committed
from tests.threads import expect

SHOTS = ROOT / "screenshots"
ISSUER = "https://login.microsoftonline.com/0000-directory/v2.0"


def _sign_on(member: Member, admin, **changes) -> MemberSignOn:
    values = {"kind": SignOnKind.MICROSOFT, "issuer": ISSUER, "client_id": "client-1",
              "secret": "s3cret-value", **changes}  # fmt: skip
    return sso_services.sign_on_set(member=member, acting_user=admin, **values)


def _request(member: Member | None, path: str = "/accounts/oidc/alpha/login/callback/"):
    host = f"{member.slug}.localhost" if member else "localhost"
    request = RequestFactory().get(path, HTTP_HOST=host)
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    request.tenant = member or Member.objects.get(kind="public")
    return request


def _provider_says(member: Member, claims: dict):
    """allauth's social login for what the provider answered, through its real flow."""
    request = _request(member)
    with context.request_context(request):
        provider = get_adapter(request).get_provider(request, member.slug)
        login = provider.sociallogin_from_response(request, {"userinfo": claims})
        login.state = {"process": "login"}
        response = complete_login(request, login)
    return request, response


# --- which provider a request sees ------------------------------------------------------


@pytest.mark.django_db
def test_each_site_sees_only_its_own_members_provider(member_a, member_b, user):
    """Alpha's sign-in lists Alpha's provider; Beta's and the consortium's list none, even
    when asked for Alpha's by name."""
    sign_on = _sign_on(member_a, user("admin-c"))
    assert SignOnAdapter(_request(member_a)).list_apps(_request(member_a)) == [sign_on.app]
    for member in (member_b, None):
        request = _request(member)
        assert SignOnAdapter(request).list_apps(request) == []
        assert SignOnAdapter(request).list_apps(request, provider="alpha") == []
        with pytest.raises(SocialApp.DoesNotExist):
            SignOnAdapter(request).get_app(request, provider="alpha")


@pytest.mark.django_db
def test_sign_in_page_offers_the_members_provider_above_the_password(member_a, member_b, user):
    """Alpha's sign-in page says "Sign in with Microsoft 365" before the password form;
    Beta's has no such button."""
    _sign_on(member_a, user("admin-c"))
    from django.test import Client

    page = Client(HTTP_HOST="alpha.localhost").get("/accounts/login/").content.decode()
    assert "Sign in with Microsoft 365" in page
    assert page.index("Sign in with Microsoft 365") < page.index('name="password"')
    assert 'action="/accounts/oidc/alpha/login/"' in page
    beta = Client(HTTP_HOST="beta.localhost").get("/accounts/login/").content.decode()
    assert "Sign in with" not in beta
    assert "oidc" not in beta


@pytest.mark.django_db
def test_other_provider_is_named_on_the_button(member_a, user):
    """A provider that is neither Microsoft nor Google is called by the name given."""
    _sign_on(member_a, user("admin-c"), kind=SignOnKind.OTHER, name="Okta",
             issuer="https://id.example.org")  # fmt: skip
    from django.test import Client

    page = Client(HTTP_HOST="alpha.localhost").get("/accounts/login/").content.decode()
    assert "Sign in with Okta" in page


@pytest.mark.django_db
def test_account_pages_name_the_providers_origin_for_form_action(member_a, member_b, user):
    """On a member with single sign-on, /accounts/ pages carry the provider's origin for the
    Content-Security-Policy's form-action; other pages and other members carry none."""
    _sign_on(member_a, user("admin-c"))
    from django.test import Client

    response = Client(HTTP_HOST="alpha.localhost").get("/accounts/login/")
    assert response.wsgi_request.csp_form_action_extra == ["https://login.microsoftonline.com"]
    response = Client(HTTP_HOST="beta.localhost").get("/accounts/login/")
    assert not hasattr(response.wsgi_request, "csp_form_action_extra")
    response = Client(HTTP_HOST="alpha.localhost").get("/healthz")
    assert not hasattr(response.wsgi_request, "csp_form_action_extra")


@pytest.mark.django_db
def test_provider_pages_speak_plainly(member_a, member_b, user):
    """Following the button's address by GET asks before leaving for the provider (a GET
    never starts the sign-in); the cancelled page says nothing changed; another member's
    provider address is not found."""
    _sign_on(member_a, user("admin-c"))
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    page = client.get("/accounts/oidc/alpha/login/").content.decode()
    assert "Sign in with Microsoft 365" in page
    assert "You will go to Microsoft 365 to sign in" in page
    cancelled = client.get("/accounts/3rdparty/login/cancelled/").content.decode()
    assert "Nothing has changed" in cancelled
    assert Client(HTTP_HOST="beta.localhost").get("/accounts/oidc/alpha/login/").status_code == 404


# --- who may sign in ---------------------------------------------------------------------


@pytest.mark.django_db
def test_verified_email_of_a_member_signs_in_and_keeps_the_password(member_a, user):
    """A provider-vouched e-mail of someone who works at Alpha signs them in, links the
    provider account (audited) and leaves their Commons password working."""
    _sign_on(member_a, user("admin-c"))
    staff = user("staff-a")
    request, response = _provider_says(
        member_a, {"sub": "p-1", "email": "Staff-A@example.org", "email_verified": True}
    )
    assert response.status_code == 302
    assert request.user == staff
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    assert SocialAccount.objects.get(provider="alpha", uid="p-1").user == staff
    assert AuditEntry.objects.filter(action="account.sso_linked", actor_id=staff.pk).exists()
    # The second time the link itself finds them.
    request, response = _provider_says(
        member_a, {"sub": "p-1", "email": "staff-a@example.org", "email_verified": True}
    )
    assert request.user == staff
    assert AuditEntry.objects.filter(action="account.sso_linked").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "p-2", "email": "nobody@example.org", "email_verified": True},
        {"sub": "p-3", "email": "staff-b@example.org", "email_verified": True},  # Beta's
    ],
    ids=["unknown", "works-elsewhere"],
)
def test_no_one_at_the_member_is_refused_plainly(member_a, user, claims):
    """An e-mail nobody at Alpha has is refused with the plain message; no account, link or
    membership is made."""
    _sign_on(member_a, user("admin-c"))
    accounts = user("staff-a").__class__.objects.count()
    request, response = _provider_says(member_a, claims)
    assert response.status_code == 403
    assert REFUSED_NO_ONE.format(member=member_a.name) in response.content.decode()
    assert not request.user.is_authenticated
    assert user("staff-a").__class__.objects.count() == accounts
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.filter(action="account.sso_refused", member_id=member_a.pk,
                                     details__reason="no_membership").exists()  # fmt: skip


@pytest.mark.django_db
def test_unverified_email_is_refused(member_a, user):
    """An address the provider does not say is verified signs nobody in, even one that
    matches a member's staff."""
    _sign_on(member_a, user("admin-c"))
    for verified in (False, None):
        claims = {"sub": "p-4", "email": "staff-a@example.org"}
        if verified is not None:
            claims["email_verified"] = verified
        request, response = _provider_says(member_a, claims)
        assert response.status_code == 403
        assert "did not confirm that the e-mail address" in response.content.decode()
        assert not request.user.is_authenticated
    assert not SocialAccount.objects.exists()
    assert user("staff-a").check_password(PASSWORD)


@pytest.mark.django_db
def test_microsoft_domain_ownership_claim_vouches_for_the_address(member_a, user):
    """Microsoft 365 sends ``xms_edov`` (the tenant owns the address's domain), not
    ``email_verified``: for a Microsoft provider it vouches; for another provider it does not."""
    _sign_on(member_a, user("admin-c"))
    claims = {"sub": "p-5", "email": "staff-a@example.org", "xms_edov": True}
    request, _response = _provider_says(member_a, claims)
    assert request.user == user("staff-a")
    _sign_on(member_a, user("admin-c"), kind=SignOnKind.OTHER, name="Okta")
    SocialAccount.objects.all().delete()
    request, response = _provider_says(member_a, {**claims, "sub": "p-6"})
    assert response.status_code == 403


# --- the second factor ---------------------------------------------------------------------


@pytest.mark.django_db
def test_second_factor_still_asked_after_a_provider_sign_in(member_a, user):
    """Someone with a TOTP is asked for it after a provider sign-in, as after a password;
    when the member says its provider enforces a second factor, they are not, and the session
    counts as having passed one."""
    _sign_on(member_a, user("admin-c"))
    staff = user("staff-a")
    TOTP.activate(staff, generate_totp_secret())
    claims = {"sub": "p-7", "email": "staff-a@example.org", "email_verified": True}
    request, response = _provider_says(member_a, claims)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not request.user.is_authenticated
    _sign_on(member_a, user("admin-c"), enforces_mfa=True)
    member_a.refresh_from_db()
    request, response = _provider_says(member_a, claims)
    assert request.user == staff
    request.tenant = member_a
    assert sso_second_factor_passed(request)


@pytest.mark.django_db
def test_password_sign_in_never_counts_as_the_providers_second_factor(member_a, user):
    """A member whose provider enforces a second factor: a session signed in by password
    (no provider in its record) has not passed one."""
    _sign_on(member_a, user("admin-c"), enforces_mfa=True)
    member_a.refresh_from_db()
    request = _request(member_a)
    request.session["account_authentication_methods"] = [{"method": "password", "at": 1.0}]
    assert not sso_second_factor_passed(request)


@pytest.mark.django_db
def test_a_provider_enforcing_a_second_factor_lets_its_staff_work_without_enrolling(member_a, user):
    """Staff of a member that asks its staff for a second factor, with none of their own:
    signed in through the member's provider that enforces one, the site opens; signed in by
    password, they are sent to enrol first."""
    from django.test import Client

    sign_on = _sign_on(member_a, user("admin-c"), enforces_mfa=True)
    Member.objects.filter(pk=member_a.pk).update(staff_second_factor_required=True)
    staff = user("staff-a")
    assert not Authenticator.objects.filter(user=staff).exists()
    for method, entry in (
        ("socialaccount", {"provider": sign_on.app.provider_id}),
        ("password", {}),
    ):
        client = Client(HTTP_HOST="alpha.localhost")
        client.force_login(staff)
        session = client.session
        session["account_authentication_methods"] = [{"method": method, "at": 1.0, **entry}]
        session.save()
        response = client.get("/")
        if method == "socialaccount":
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert response["Location"] == reverse("mfa_required")


# --- consortium admins set it up ---------------------------------------------------------------


@pytest.mark.django_db
def test_admin_sets_up_changes_and_turns_off_sign_on(client_for, member_a, user):
    """The member's sign-on page: only consortium admins; the secret is never shown again and
    a blank one keeps it; turning it off asks first, then removes the app and its links."""
    admin = user("admin-c")
    assert client_for(user("manager-a"), None).get("/members/alpha/sign-on/").status_code == 403
    client = client_for(admin, None)
    assert "Set up single sign-on" in client.get("/members/alpha/").content.decode()
    form = {"kind": "microsoft", "issuer": ISSUER, "client_id": "abc", "secret": "top-secret-1"}
    response = client.post("/members/alpha/sign-on/", form, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "top-secret-1" not in page
    assert "Saved (never shown)" in page
    assert "http://alpha.localhost/accounts/oidc/alpha/login/callback/" in page
    app = MemberSignOn.objects.get(member=member_a).app
    assert (app.client_id, app.secret, app.settings["server_url"]) == (
        "abc",
        "top-secret-1",
        ISSUER,
    )
    client.post("/members/alpha/sign-on/", {**form, "client_id": "abcd", "secret": ""})
    app.refresh_from_db()
    assert (app.client_id, app.secret) == ("abcd", "top-secret-1")
    entries = AuditEntry.objects.filter(action="member.sso_set", member_id=member_a.pk)
    assert entries.count() == 2
    assert all("top-secret-1" not in str(e.details) for e in entries)
    SocialAccount.objects.create(user=user("staff-a"), provider="alpha", uid="x")
    asked = client.post("/members/alpha/sign-on/remove/")
    assert "Turn off single sign-on for" in asked.content.decode()
    assert MemberSignOn.objects.filter(member=member_a).exists()
    client.post("/members/alpha/sign-on/remove/", {"confirm": "yes"})
    assert not MemberSignOn.objects.filter(member=member_a).exists()
    assert not SocialApp.objects.filter(pk=app.pk).exists()
    assert not SocialAccount.objects.filter(provider="alpha").exists()
    assert AuditEntry.objects.filter(action="member.sso_removed", member_id=member_a.pk).exists()


@pytest.mark.django_db
def test_bad_set_up_changes_nothing(member_a, user):
    """No secret the first time, or an issuer that is not a web address: refused, nothing
    saved; Google's issuer fills itself in."""
    admin = user("admin-c")
    with pytest.raises(ValidationError) as refused:
        _sign_on(member_a, admin, secret="")
    assert "secret" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _sign_on(member_a, admin, issuer="not a url")
    assert "issuer" in refused.value.message_dict
    assert not MemberSignOn.objects.exists()
    assert not SocialApp.objects.exists()
    sign_on = _sign_on(member_a, admin, kind=SignOnKind.GOOGLE, issuer="")
    assert sign_on.app.settings["server_url"] == "https://accounts.google.com"


# --- end to end, against a real provider ------------------------------------------------------

# username:e-mail:verified. "unsure" has Beta's staff's address, unverified at the provider.
PEOPLE = ",".join(
    [
        "staff-a:staff-a@example.org:yes",
        "stranger:stranger@example.org:yes",
        "unsure:staff-b@example.org:no",
    ]
)
CLIENT_ID, CLIENT_SECRET = "commons-alpha", "provider-client-secret"


def _private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


@pytest.fixture(scope="module")
def oidc_provider(live_url, tmp_path_factory):
    """allauth's OpenID Connect provider as a server of its own on a loopback port, with its
    people and Commons' client for Alpha (redirect to Alpha's callback); its address."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DATABASE": str(folder / "provider.sqlite3"),
        "OIDC_PROVIDER_PRIVATE_KEY": _private_key(),
        "OIDC_PROVIDER_PASSWORD": PASSWORD,
        "OIDC_PROVIDER_PEOPLE": PEOPLE,
    }
    env.pop("DATABASE_URL", None)
    callback = f"http://alpha.localhost:{live_url}/accounts/oidc/alpha/login/callback/"
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.populate", callback, CLIENT_ID, CLIENT_SECRET],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            well_known = f"{url}/.well-known/openid-configuration"  # always http, loopback
            with urllib.request.urlopen(well_known, timeout=5):  # noqa: S310
                return True
        except OSError:
            return False

    try:
        wait_until(answers, what="the OpenID provider", process=server, log_path=log_path)
        yield url
    finally:
        process_stop(server, grace=10)


@pytest.fixture(scope="module")
def alpha_signs_on(oidc_provider, django_db_blocker):
    """Alpha's single sign-on through the local provider, committed for the live server; it
    and whatever the sign-ins made are removed afterwards."""
    from django.contrib.auth import get_user_model

    def make():
        connection.set_schema_to_public()
        admin = get_user_model().objects.get(username="admin-c")
        member = Member.organisations.get(slug="alpha")
        sso_services.sign_on_set(
            member=member, acting_user=admin, kind=SignOnKind.OTHER, name="Alpha's provider",
            issuer=oidc_provider, client_id=CLIENT_ID, secret=CLIENT_SECRET,
        )  # fmt: skip
        return member.pk

    def remove(member_pk):
        connection.set_schema_to_public()
        admin = get_user_model().objects.get(username="admin-c")
        sso_services.sign_on_remove(member=Member.objects.get(pk=member_pk), acting_user=admin)
        EmailAddress.objects.filter(user__username="staff-a").delete()

    yield from committed(django_db_blocker, make, remove)


def _provider_sign_in(page, live_url: int, username: str) -> None:
    page.goto(f"http://alpha.localhost:{live_url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Alpha's provider").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/identity/o/authorize"))
    page.get_by_role("button", name="Authorize").click()


def _page(browser, width: int = 1280, height: int = 900):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    return page


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_provider_sign_in_end_to_end(browser, live_url, alpha_signs_on):
    """From Alpha's sign-in page through the provider's sign-in and consent, back signed in
    on Alpha's home; Beta's sign-in page offers no provider. Screenshots: desktop and phone."""
    page = _page(browser)
    page.goto(f"http://alpha.localhost:{live_url}/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with Alpha's provider")).to_be_visible()
    page.screenshot(path=SHOTS / "sign-in-sso.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SHOTS / "sign-in-sso-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    _provider_sign_in(page, live_url, "staff-a")
    expect(page).to_have_url(re.compile(rf"^http://alpha\.localhost:{live_url}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Voluntary Action")
    page.screenshot(path=SHOTS / "sign-in-sso-home.png", full_page=True)
    page.goto(f"http://beta.localhost:{live_url}/accounts/login/")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Sign in with"))).to_have_count(0)
    page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("stranger", "No one with that e-mail works at Alpha Voluntary Action on Commons; "
                     "ask a manager to invite you."),
        ("unsure", "did not confirm that the e-mail address staff-b@example.org is yours"),
    ],
    ids=["unknown-email", "unverified-email"],
)  # fmt: skip
def test_provider_sign_in_refused(browser, live_url, alpha_signs_on, username, message):
    """Someone the provider knows but Alpha does not, or whose address the provider has not
    verified, comes back to a plain refusal, not signed in."""
    page = _page(browser)
    _provider_sign_in(page, live_url, username)
    expect(page.get_by_role("heading", level=1)).to_have_text("You could not be signed in")
    expect(page.get_by_text(message)).to_be_visible()
    page.goto(f"http://alpha.localhost:{live_url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_sign_on_page_fits_a_phone(browser, live_url, alpha_signs_on):
    """A consortium admin's page for Alpha's single sign-on, at 390 px: no sideways scrolling,
    and the saved secret is not on it."""
    page = _page(browser, 390, 844)
    page.goto(f"http://localhost:{live_url}/members/alpha/sign-on/")
    page.get_by_label("Username").fill("admin-c")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    code_step_answer(page, "admin-c")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Single sign-on for Alpha Voluntary Action"
    )
    expect(page.get_by_text("Saved (never shown)")).to_be_visible()
    assert CLIENT_SECRET not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SHOTS / "member-sign-on-phone.png", full_page=True)
    page.close()
