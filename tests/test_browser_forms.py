"""Forms in a real browser (Debian's chromium): date boxes are the browser's job, so the main
edit pages are opened, submitted untouched, and their dates must be kept. Screenshots of a
form's error summary land in screenshots/."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests import test_browser
from tests.test_browser import SHOTS, _in_worker, _sign_in

# The browser module's server and Chromium, and its marks (skipped without chromium).
pytestmark = test_browser.pytestmark
live_url = test_browser.live_url
browser = test_browser.browser

DOB = dt.date(1971, 3, 9)


@pytest.fixture
def dated_records(django_db_blocker):
    """Committed at member A: a contact with a date of birth and a draft agreement with
    start, review and end dates. Removed afterwards (a draft cannot be ended by a service,
    so its versions are deleted)."""
    from django.contrib.auth import get_user_model

    tag = uuid.uuid4().hex[:8]
    made: dict = {"tag": tag}

    def create() -> None:
        from django_tenants.utils import schema_context

        from crm import services as crm
        from sharing import services as sharing
        from tenants.models import Member

        a = Member.organisations.get(slug="alpha")
        b = Member.organisations.get(slug="beta")
        manager = get_user_model().objects.get(username="manager-a")
        with schema_context("alpha"):
            made["contact"] = crm.contact_create(
                acting_user=manager, first_name="Dora", last_name=f"Date-{tag}",
                date_of_birth=DOB,
            ).pk  # fmt: skip
        made["agreement"] = sharing.agreement_create(
            provider=a, acting_user=manager, recipient_ids=[b.pk], title=f"Dates {tag}",
            purpose="directory", record_types=["organisation"], organisation_fields=["name"],
            start_date=dt.date(2026, 3, 9), review_date=dt.date(2026, 9, 9),
            end_date=dt.date(2027, 3, 8),
        ).pk  # fmt: skip

    def remove() -> None:
        from django_tenants.utils import schema_context

        from crm import services as crm
        from crm.models import Contact, Interaction
        from sharing.models import Agreement

        with schema_context("alpha"):
            Interaction.objects.filter(summary=f"Call {tag}").delete()
            for contact in Contact.objects.filter(last_name=f"Date-{tag}"):
                crm.contact_delete(contact=contact, acting_user=None)
        for agreement in Agreement.objects.filter(title=f"Dates {tag}").order_by("-version"):
            agreement.delete()

    _in_worker(django_db_blocker, create)
    yield made
    _in_worker(django_db_blocker, remove)


def _stored(django_db_blocker, made) -> dict:
    found: dict = {}

    def read() -> None:
        from django_tenants.utils import schema_context

        from crm.models import Contact, Interaction
        from sharing.models import Agreement

        with schema_context("alpha"):
            found["dob"] = Contact.objects.get(pk=made["contact"]).date_of_birth
            found["interaction"] = list(
                Interaction.objects.filter(summary=f"Call {made['tag']}").values_list(
                    "date", flat=True
                )
            )
        newest = Agreement.objects.filter(title=f"Dates {made['tag']}").order_by("-version")[0]
        found["agreement"] = (newest.version, newest.start_date, newest.review_date,
                              newest.end_date)  # fmt: skip

    _in_worker(django_db_blocker, read)
    return found


def test_untouched_edit_pages_keep_their_dates_in_chromium(
    browser, live_url, dated_records, django_db_blocker
):
    """The contact, interaction and agreement pages show their dates in the date boxes and,
    saved untouched, keep them: date of birth, the interaction's default date, and the
    agreement's start, review and end dates."""
    from playwright.sync_api import expect

    made = dated_records
    base = f"http://alpha.localhost:{live_url}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/contacts/{made['contact']}/edit/")
    _sign_in(page, "manager-a")
    expect(page.get_by_label("Date of birth")).to_have_value("1971-03-09")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{base}/contacts/{made['contact']}/")

    page.goto(f"{base}/interactions/new/?contact={made['contact']}")
    today = dt.date.today().isoformat()  # noqa: DTZ011 (the server's local date, as the page)
    date_box = page.get_by_label("Date", exact=True)
    expect(date_box).not_to_have_value("")
    shown = date_box.input_value()
    assert abs((dt.date.fromisoformat(shown) - dt.date.fromisoformat(today)).days) <= 1
    page.get_by_label("Type").select_option(label="Phone call")
    page.get_by_label("Summary").fill(f"Call {made['tag']}")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{base}/contacts/{made['contact']}/")

    page.goto(f"{base}/agreements/{made['agreement']}/amend/")
    expect(page.get_by_label("Start date")).to_have_value("2026-03-09")
    expect(page.get_by_label("Review date")).to_have_value("2026-09-09")
    expect(page.get_by_label("End date")).to_have_value("2027-03-08")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved as a draft")).to_be_visible()
    page.close()

    stored = _stored(django_db_blocker, made)
    assert stored["dob"] == DOB
    assert stored["interaction"] == [dt.date.fromisoformat(shown)]
    assert stored["agreement"] == (2, dt.date(2026, 3, 9), dt.date(2026, 9, 9), dt.date(2027, 3, 8))


def test_error_summary_on_desktop_and_phone(browser, live_url):
    """A form sent with errors shows "There is a problem" at the top, whose links move to
    the fields; screenshots at desktop width and on a 390 px phone."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"http://alpha.localhost:{live_url}/contacts/new/")
    _sign_in(page, "staff-a")
    page.locator("#id_email").fill("not an e-mail")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)
    page.screenshot(path=SHOTS / "form-error-summary.png", full_page=False)
    summary.get_by_role("link").first.click()
    expect(page).to_have_url(f"http://alpha.localhost:{live_url}/contacts/new/#id_last_name")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    expect(summary).to_be_in_viewport()
    page.screenshot(path=SHOTS / "form-error-summary-phone.png", full_page=False)
    page.close()
