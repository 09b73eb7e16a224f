"""Guided enrolment of an authenticator app in a real browser (Debian's chromium through
Playwright), at desktop and phone width, with screenshots in screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, PASSWORD, ROOT, totp_code
from tests.factories.committed import committed
from tests.threads import expect

SHOTS = ROOT / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _managers_make() -> list[str]:
    from tenants.models import Member, Role
    from tests.factories import UserFactory

    alpha = Member.organisations.get(slug="alpha")
    return [
        UserFactory(member=alpha, role=Role.MANAGER, username=f"new-manager-{size}").username
        for size in ("desktop", "phone")
    ]


def _managers_remove(usernames: list[str]) -> None:
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    from tenants.models import Membership

    # Accounts are never deleted (records point at them): they lose their place and factors.
    people = get_user_model().objects.filter(username__in=usernames)
    Authenticator.objects.filter(user__in=people).delete()
    Membership.objects.filter(user__in=people).delete()
    people.update(is_active=False)


@pytest.fixture
def new_managers(django_db_blocker):
    """Two managers of member A with no second factor yet, committed for the live server."""
    yield from committed(django_db_blocker, _managers_make, _managers_remove)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def test_a_new_manager_is_guided_to_set_up_an_authenticator_app(browser, live_url, new_managers):
    """Signed in with a password only, a new manager lands on the page that explains why a
    second factor is needed; the button leads through allauth's set-up (password again, the
    QR code and its secret, a code from the app) to recovery codes, and the site opens."""
    origin = f"http://alpha.localhost:{live_url}"
    for (size_name, size), username in zip(
        (("desktop", DESKTOP), ("phone", PHONE)), new_managers, strict=True
    ):
        SHOTS.mkdir(exist_ok=True)
        context = browser.new_context(viewport=size)
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{origin}/contacts/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/accounts/second-factor/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second factor")
        _fits(page)
        page.screenshot(path=SHOTS / f"mfa-guide-{size_name}.png", full_page=True)

        page.get_by_role("link", name="Set up the authenticator app").click()
        expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
        secret = page.locator("#authenticator_secret").input_value()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        _fits(page)
        page.screenshot(path=SHOTS / f"mfa-activate-{size_name}.png", full_page=True)

        page.get_by_label("Authenticator code").fill("000000")
        page.get_by_role("button", name="Activate").click()
        expect(page.locator(".error-summary")).to_contain_text("That code is not right")
        page.get_by_label("Authenticator code").fill(totp_code(secret))
        page.get_by_role("button", name="Activate").click()
        expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
        expect(page.get_by_label("Unused codes")).not_to_be_empty()
        _fits(page)
        page.screenshot(path=SHOTS / f"mfa-recovery-codes-{size_name}.png", full_page=True)

        page.goto(f"{origin}/accounts/2fa/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _fits(page)
        page.screenshot(path=SHOTS / f"mfa-index-{size_name}.png", full_page=True)

        page.goto(f"{origin}/contacts/")
        expect(page).to_have_url(f"{origin}/contacts/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        context.close()
