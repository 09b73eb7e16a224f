"""The site in a real browser: Debian's chromium, driven by Playwright, against a server
subprocess on the session's test database. Screenshots land in screenshots/ (git ignores it).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, PASSWORD, ROOT, code_step_answer
from tests.factories import (
    AgreementFactory,
    BookingFactory,
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ResourceFactory,
    manager_of,
)
from tests.factories.committed import committed
from tests.factories.events import local_time
from tests.threads import expect, in_thread

SHOTS = ROOT / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _page(browser, width: int = 1280, height: int = 900):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)  # a loaded machine answers slowly; expect() still waits
    return page


SIGN_IN = re.compile(r"/accounts/login/")


def _sign_in(page, username: str) -> None:
    expect(page).to_have_url(SIGN_IN)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(SIGN_IN)
    code_step_answer(page, username)


def _continue_hand_over(page) -> None:
    """The hand-over between sites asks before it signs in (a POST, never a GET)."""
    expect(page).to_have_url(re.compile(r"/accounts/handoff/\?token="))
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/handoff/"))


def test_member_staff_sign_in_and_see_their_member(browser, live_url):
    """Staff sign in on their member's site and see its name, their role and the navigation."""
    page = _page(browser, 1280, 800)
    page.goto(f"http://alpha.localhost:{live_url}/")
    _sign_in(page, "staff-a")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Voluntary Action")
    expect(page.locator(".badge").first).to_have_text("Staff")
    expect(page.get_by_role("navigation", name="Alpha Voluntary Action")).to_be_visible()
    page.screenshot(path=SHOTS / "member-staff-home.png", full_page=True)
    page.get_by_role("link", name="People", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People at Alpha Voluntary Action")
    page.screenshot(path=SHOTS / "member-staff-people.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"http://alpha.localhost:{live_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Voluntary Action")
    page.screenshot(path=SHOTS / "member-staff-phone.png", full_page=True)
    page.close()


def test_consortium_admin_sees_members_and_the_add_form(browser, live_url):
    """A consortium admin signs in on the consortium site and sees members and the add form."""
    page = _page(browser, 1280, 800)
    page.goto(f"http://localhost:{live_url}/")
    _sign_in(page, "admin-c")
    expect(page.get_by_role("link", name="Alpha Voluntary Action")).to_be_visible()
    expect(page.get_by_role("link", name="Beta Community Network")).to_be_visible()
    page.screenshot(path=SHOTS / "consortium-admin-members.png", full_page=True)
    page.get_by_role("link", name="Add a member").first.click()
    page.get_by_role("button", name="Add member").click()  # empty: errors, nothing made
    expect(page.locator(".field-error").nth(1)).to_be_visible()  # at least two
    page.screenshot(path=SHOTS / "consortium-admin-add-member-errors.png", full_page=True)
    page.close()


def test_picker_hands_the_sign_in_to_a_member_site(browser, live_url):
    """One sign-in is enough: choosing a member in the picker lands signed in on its site."""
    page = _page(browser, 1280, 800)
    page.goto(f"http://localhost:{live_url}/")
    _sign_in(page, "both-ab")
    page.screenshot(path=SHOTS / "picker.png", full_page=True)
    page.get_by_role("link", name="Beta Community Network").click()
    _continue_hand_over(page)
    expect(page).to_have_url(re.compile(rf"^http://beta\.localhost:{live_url}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beta Community Network")
    page.get_by_role("link", name="Switch organisation").click()
    _continue_hand_over(page)
    expect(page).to_have_url(re.compile(rf"^http://localhost:{live_url}/\?pick=1"))
    page.get_by_role("link", name="Alpha Voluntary Action").click()
    _continue_hand_over(page)
    expect(page).to_have_url(re.compile(rf"^http://alpha\.localhost:{live_url}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Voluntary Action")
    page.close()


@pytest.fixture
def alpha_crm_cleanup(django_db_blocker):
    """The browser's import really commits: remove what it made (thousands of contacts, in
    one transaction, announced as deleted like the service does)."""
    yield

    def clean() -> None:
        from django.db import connection, transaction

        from crm import services
        from crm.changes import DELETED, announce
        from crm.models import Contact, ImportJob, Organisation

        connection.set_tenant(_member("alpha"))
        with transaction.atomic():
            made = Contact.objects.filter(email__endswith="@example.org")
            ids = list(made.values_list("pk", flat=True))
            if ids:
                announce(record_type="contact", ids=ids, action=DELETED, acting_user=None)
                Contact.objects.filter(pk__in=ids).delete()
            for org in Organisation.objects.all():
                services.organisation_delete(organisation=org, acting_user=None)
            ImportJob.objects.all().delete()
        connection.set_schema_to_public()

    in_thread(clean, blocker=django_db_blocker)


def _member(slug: str):
    from tenants.models import Member

    return Member.organisations.get(slug=slug)


def test_staff_import_a_spreadsheet_then_find_and_open_a_contact(
    browser, live_url, alpha_crm_cleanup
):
    """Staff upload a CSV, see the checked preview, import it, find a contact by a misspelt
    name and open their record."""
    page = _page(browser, 1280, 900)
    page.goto(f"http://alpha.localhost:{live_url}/imports/")
    _sign_in(page, "staff-a")
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(
        str(ROOT / "tests" / "data" / "imports" / "ok_utf8.csv")
    )
    page.get_by_label("Tag everyone in this import as").fill("Spring fair")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Ready to import")).to_be_visible()
    page.screenshot(path=SHOTS / "import-preview.png", full_page=True)
    page.get_by_role("button", name="Import 5 rows").click()
    expect(page.locator("main")).to_contain_text("Imported.")
    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_role("searchbox", name="Search").fill("brnte")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"q=brnte"))
    page.screenshot(path=SHOTS / "contacts-search.png", full_page=True)
    page.get_by_role("link", name="Zoë Brontë-Smith").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Zoë Brontë-Smith"))
    page.screenshot(path=SHOTS / "contact-detail.png", full_page=True)
    page.close()


def test_import_problems_are_shown_by_row_and_column(browser, live_url, alpha_crm_cleanup):
    """A file with bad e-mails shows each problem's row and column in the browser."""
    page = _page(browser, 1280, 900)
    page.goto(f"http://alpha.localhost:{live_url}/imports/")
    _sign_in(page, "staff-a")
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(
        str(ROOT / "tests" / "data" / "imports" / "err_bad_emails.csv")
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Problems to fix (2)")).to_be_visible()
    page.screenshot(path=SHOTS / "import-problems.png", full_page=True)
    page.close()


def test_large_import_runs_in_the_background_with_progress(
    browser, live_url, alpha_crm_cleanup, tmp_path
):
    """A file over the inline limit is checked and imported in the background while the page
    shows a progress bar, then the result."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("First name,Last name,Email,Postcode\n")
        for i in range(6000):
            handle.write(f"Person,Number{i},big{i}@example.org,YO17 {i % 9 + 1}AB\n")
    page = _page(browser, 1280, 900)
    page.goto(f"http://alpha.localhost:{live_url}/imports/")
    _sign_in(page, "staff-a")
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    ready = page.get_by_role("heading", name="Ready to import")
    # Progress while the background check runs; a fast machine may already be done.
    expect(page.locator("progress").or_(ready)).to_be_visible()
    page.screenshot(path=SHOTS / "import-progress.png", full_page=True)
    expect(ready).to_be_visible(timeout=120_000)
    expect(page.locator("main")).to_contain_text(re.compile(r"6,?000"))
    page.get_by_role("button", name="Import 6000 rows").click()
    expect(page.locator("main")).to_contain_text("Imported.", timeout=120_000)
    page.screenshot(path=SHOTS / "import-done.png", full_page=True)
    page.close()


@pytest.fixture
def shared_directory(django_db_blocker):
    """Committed: member A shares a tagged organisation with member B under an active
    agreement. Ended and removed through the services afterwards."""
    yield from committed(django_db_blocker, _shared_directory_make, _shared_directory_remove)


def _shared_directory_make() -> dict:
    from django_tenants.utils import schema_context

    a, b = _member("alpha"), _member("beta")
    with schema_context("alpha"):
        org = OrganisationFactory(
            name="Pickering Community Pantry", postcode="YO18 7AA", district="Ryedale",
            identifiers=[("GB-CHC", "1190001")], tags=["Browser directory"],
        )  # fmt: skip
    agreement = AgreementFactory(
        provider=a, recipients=[b], title="Ryedale groups directory", in_force=True,
        criteria_tags=["Browser directory"],
        organisation_fields=["name", "postcode", "district", "identifiers"],
    )  # fmt: skip
    return {"org": org, "agreement": agreement, "a": a}


def _shared_directory_remove(made: dict) -> None:
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from crm import services as crm
    from sharing import services

    manager_a = get_user_model().objects.get(username="manager-a")
    services.agreement_terminate(agreement=made["agreement"], member=made["a"],
                                 acting_user=manager_a)  # fmt: skip
    with schema_context("alpha"):
        crm.organisation_delete(organisation=made["org"], acting_user=None)


def test_recipient_sees_the_shared_directory_and_why(browser, live_url, shared_directory):
    """Member B's staff find the shared organisation, labelled with its provider, and the
    record page explains which agreement lets them see it; the admin sees the sharing map."""
    page = _page(browser, 1280, 900)
    page.goto(f"http://beta.localhost:{live_url}/shared/")
    _sign_in(page, "staff-b")
    page.get_by_role("searchbox", name="Search").fill("pickering pantry")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Alpha Voluntary Action")
    page.screenshot(path=SHOTS / "shared-with-us.png", full_page=True)
    page.get_by_role("link", name="Pickering Community Pantry").click()
    expect(page.get_by_role("heading", name="Why can I see this?")).to_be_visible()
    page.screenshot(path=SHOTS / "shared-record-why.png", full_page=True)
    page.goto(f"http://beta.localhost:{live_url}/agreements/")
    page.get_by_role("link", name="Ryedale groups directory").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ryedale groups directory")
    page.screenshot(path=SHOTS / "agreement-detail.png", full_page=True)
    page.close()
    admin = _page(browser, 1280, 900)
    admin.goto(f"http://localhost:{live_url}/sharing/map/")
    _sign_in(admin, "admin-c")
    expect(admin.locator("svg").first).to_be_visible()
    admin.screenshot(path=SHOTS / "sharing-map.png", full_page=True)
    admin.close()


@pytest.fixture
def shared_room(django_db_blocker):
    """A room of Alpha's, booked 10:00-12:00 in three days' time, and an event of Alpha's;
    committed for the server process and removed afterwards."""
    yield from committed(django_db_blocker, _shared_room_make, _shared_room_remove)


def _shared_room_make() -> dict:
    from django.utils import timezone

    alpha = _member("alpha")
    room = ResourceFactory(owner=alpha, name="Browser Hall", location="Alpha House")
    BookingFactory(resource=room, starts_at=local_time(3, 10), ends_at=local_time(3, 12),
                   title="Alpha trustees")  # fmt: skip
    event = EventFactory(host=alpha, title="Browser networking breakfast",
                         starts_at=local_time(3, 8))  # fmt: skip
    return {"day": timezone.localdate() + dt.timedelta(days=3), "room": room, "event": event}


def _shared_room_remove(made: dict) -> None:
    from events.models import Booking, Event, Registration, Resource

    Registration.objects.filter(event=made["event"]).delete()
    Event.objects.filter(pk=made["event"].pk).delete()
    Booking.objects.filter(resource=made["room"]).delete()
    Resource.objects.filter(pk=made["room"].pk).delete()


def test_booking_a_room_that_clashes_offers_the_next_free_slot(browser, live_url, shared_room):
    """Beta's staff try a time Alpha holds: told when it is taken (not by whom), offered
    the next free slots, take one; the planner and the events calendar show the result."""
    page = _page(browser, 1280, 900)
    page.goto(f"http://beta.localhost:{live_url}/bookings/new/")
    _sign_in(page, "staff-b")
    page.get_by_label("Resource").select_option(label="Browser Hall")
    page.get_by_label("What is it for?").fill("Volunteer fair planning")
    page.get_by_label("Date").fill(shared_room["day"].isoformat())
    page.get_by_label("From").fill("11:00")
    page.get_by_label("Until").fill("12:00")
    page.get_by_role("button", name="Book").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Browser Hall is already booked")
    expect(alert).to_contain_text("10:00–12:00")
    expect(page.locator("body")).not_to_contain_text("Alpha trustees")
    page.screenshot(path=SHOTS / "booking-clash.png", full_page=True)
    page.locator(".suggestions a").first.click()
    expect(page.get_by_label("From")).to_have_value("12:00")
    expect(page.get_by_label("What is it for?")).to_have_value("Volunteer fair planning")
    page.get_by_role("button", name="Book").click()
    expect(page.locator("main")).to_contain_text("1 booking of Browser Hall confirmed.")
    page.goto(f"http://beta.localhost:{live_url}/planner/?q=Browser&date="
              f"{shared_room['day'].isoformat()}")  # fmt: skip
    expect(page.locator(".chip-block")).to_have_count(2)
    page.screenshot(path=SHOTS / "planner-week.png", full_page=True)
    page.goto(f"http://beta.localhost:{live_url}/events/")
    page.get_by_role("link", name="Browser networking breakfast").click()
    expect(page.get_by_role("link", name="Book a contact")).to_be_visible()
    page.screenshot(path=SHOTS / "event-detail.png", full_page=True)
    page.close()


# --- forms: date boxes are the browser's job ------------------------------------------

DOB = dt.date(1971, 3, 9)


@pytest.fixture
def dated_records(django_db_blocker):
    """Committed at member A: a contact with a date of birth and a draft agreement with
    start, review and end dates. Removed afterwards (a draft cannot be ended by a service,
    so its versions are deleted)."""
    tag = uuid.uuid4().hex[:8]

    def make() -> dict:
        from django_tenants.utils import schema_context

        a = _member("alpha")
        manager = manager_of(a)
        with schema_context("alpha"):
            contact = ContactFactory(acting_user=manager, first_name="Dora",
                                     last_name=f"Date-{tag}", date_of_birth=DOB)  # fmt: skip
        agreement = AgreementFactory(
            provider=a, recipients=[_member("beta")], title=f"Dates {tag}",
            start_date=dt.date(2026, 3, 9), review_date=dt.date(2026, 9, 9),
            end_date=dt.date(2027, 3, 8),
        )  # fmt: skip
        return {"tag": tag, "contact": contact.pk, "agreement": agreement.pk}

    def remove(made: dict) -> None:
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

    yield from committed(django_db_blocker, make, remove)


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

    in_thread(read, blocker=django_db_blocker)
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
