"""The access review page and the bulk invitation preview on a 390 px phone, in chromium: no
sideways scrolling, every scrolling region reachable by keyboard with a name (the measure of
tests/test_phone.py). A module of its own: the browser's event loop holds the module."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, code_step_answer
from tests.test_phone import MEASURE, PHONE
from tests.threads import expect


def _signed_in_page(browser, origin: str, username: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    code_step_answer(page, username)
    return context, page


def _fits(page) -> None:
    result = page.evaluate(MEASURE)
    assert result["overflow"] <= 0, result["wide"]
    assert not result["unreachable"], result["unreachable"]


def test_the_review_and_the_invitation_preview_fit_a_phone(browser, live_url):
    origin = f"http://alpha.localhost:{live_url}"
    context, page = _signed_in_page(browser, origin, "manager-a")
    try:
        page.goto(f"{origin}/team/access/")
        expect(
            page.get_by_role("heading", name="Who has access to Alpha Voluntary Action")
        ).to_be_visible()
        expect(
            page.get_by_role("button", name=re.compile("Still needs access")).first
        ).to_be_visible()
        _fits(page)
        page.goto(f"{origin}/team/invite/")
        page.get_by_label("List of people (CSV)").set_input_files(
            files=[{
                "name": "people.csv", "mimeType": "text/csv",
                "buffer": (
                    b"First name,Last name,E-mail\n"
                    b"Philippa-Anastasia,Worthington-Smythe,philippa.anastasia.worthington"
                    b"-smythe@a-rather-long-organisation-name.example.org\n"
                    b"Bad,Address,not-an-address\n"
                ),
            }]
        )  # fmt: skip
        page.get_by_role("button", name="Check the list").click()
        expect(page.get_by_text("Row 3: the e-mail address")).to_be_visible()
        _fits(page)
    finally:
        context.close()
