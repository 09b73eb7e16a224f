"""The security events pages on a 390 px phone, in Debian's chromium (no database marker:
the browser's event loop shares this thread, as in tests/test_phone.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenants.models import AUDIT_ACTIONS
from tests.conftest import CHROMIUM
from tests.threads import expect


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize(("host", "username", "path"), [
    ("alpha.localhost", "manager-a", "/team/security/"),
    ("localhost", "admin-c", "/security/"),
])  # fmt: skip
def test_the_security_pages_fit_a_phone(host, username, path, browser, live_url):
    """At 390 px the page never scrolls sideways, the table and the chart's numbers scroll
    inside named, keyboard-reachable boxes, and the sign-in just made is listed."""
    from tests.test_phone import MEASURE, PHONE, _sign_in

    origin = f"http://{host}:{live_url}"
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _sign_in(page, origin, username)
    page.goto(origin + path)
    expect(page.get_by_role("heading", name="Security events", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Security events", exact=True)).to_contain_text(
        AUDIT_ACTIONS["account.signed_in"]
    )
    expect(page.locator("figure.chart-figure svg")).to_be_visible()
    result = page.evaluate(MEASURE)
    context.close()
    assert result["overflow"] <= 0, result["wide"]
    assert not result["unreachable"]
