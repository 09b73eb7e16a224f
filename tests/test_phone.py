"""Every staff page on a 390 px phone, in Debian's chromium: no sideways scrolling of the page,
and every scrolling region reachable by keyboard with a name (axe's
``scrollable-region-focusable``).

The pages are discovered, not listed: every URL pattern of the member and consortium
URLconfs without parameters, then every pattern with parameters through the first link to it
found on a page already visited (so detail pages are tried with real ids). GET only; what is
not an HTML page (exports, calendars, JSON, methods not allowed) is left out. Screenshots of
the main pages at phone and desktop width go to screenshots/phone/ (git ignores it).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from tests.conftest import CHROMIUM, PASSWORD, ROOT, code_step_answer
from tests.factories import (
    AgreementFactory,
    BookingFactory,
    ContactFactory,
    ContactRoleFactory,
    EventFactory,
    OrganisationFactory,
    ResourceFactory,
)
from tests.factories.committed import committed
from tests.threads import expect

SHOTS = ROOT / "screenshots" / "phone"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TENANT_URLCONF = "consortium.urls_tenant"
PUBLIC_URLCONF = "consortium.urls_public"
TAG = "Phone sweep"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def phone_world(django_db_setup, django_db_blocker):
    """Committed, realistic data so lists, the planner and the directory have rows: Alpha's
    contacts (long names and addresses), organisations, a room with bookings, an event; Beta
    shares organisations with Alpha. Removed through the services afterwards."""
    yield from committed(django_db_blocker, _phone_world_make, _phone_world_remove)


def _phone_world_make() -> dict[str, object]:
    from django.db import connection

    from crm.models import RoleKind
    from tenants.models import Member

    alpha = Member.organisations.get(slug="alpha")
    beta = Member.organisations.get(slug="beta")
    connection.set_tenant(alpha)
    org = OrganisationFactory(
        name="Scarborough and District Community Transport Association", postcode="YO11 1AA",
        district="Scarborough", tags=[TAG], identifiers=[("GB-CHC", "1190123")],
        email="enquiries@transport.example.org",
    )  # fmt: skip
    for i in range(12):
        contact = ContactFactory(
            first_name=f"Philippa{i}", last_name="Featherstonehaugh-Wright",
            email=f"philippa.featherstonehaugh-wright{i}@community-transport.example.org",
            phone="01723 555000", postcode="YO11 1AA", tags=[TAG],
        )  # fmt: skip
        ContactRoleFactory(contact=contact, organisation=org, role=RoleKind.TRUSTEE)
    connection.set_schema_to_public()
    rooms = [
        ResourceFactory(owner=alpha, name=name, location="Alpha House")
        for name in ("Phone Sweep Main Hall", "Phone Sweep Meeting Room")
    ]
    for room in rooms:
        BookingFactory(resource=room, title="Trustees' quarterly meeting")
    event = EventFactory(host=alpha, title="Phone sweep networking breakfast")
    connection.set_tenant(beta)
    names = ["Selby Rural Youth Befriending and Mentoring Partnership", "ABBEY ADVICE",
             "abbey allotments"]  # fmt: skip
    beta_orgs = [
        OrganisationFactory(name=f"Phone Sweep {name}", postcode="YO8 4AA", district="Selby",
                            tags=[TAG], identifiers=[("GB-CHC", f"119{i:04d}")]).pk
        for i, name in enumerate(names)
    ]  # fmt: skip
    connection.set_schema_to_public()
    agreement = AgreementFactory(
        provider=beta, recipients=[alpha], title="Phone sweep directory", criteria_tags=[TAG],
        organisation_fields=["name", "postcode", "district", "identifiers"], in_force=True,
    )  # fmt: skip
    return {"alpha_org": org.pk, "rooms": [room.pk for room in rooms], "event": event.pk,
            "beta_orgs": beta_orgs, "agreement": agreement.pk}  # fmt: skip


def _phone_world_remove(made: dict[str, object]) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from crm import services as crm
    from crm.models import Contact, Organisation, Tag
    from events.models import Booking, Event, Registration, Resource
    from sharing import services as sharing
    from sharing.models import Agreement
    from tenants.models import Member

    alpha = Member.organisations.get(slug="alpha")
    beta = Member.organisations.get(slug="beta")
    agreement = Agreement.objects.filter(pk=made.get("agreement")).first()
    if agreement is not None and agreement.status not in ("terminated", "superseded"):
        manager_b = get_user_model().objects.get(username="manager-b")
        sharing.agreement_terminate(agreement=agreement, member=beta, acting_user=manager_b)
    Registration.objects.filter(event_id=made.get("event")).delete()
    Event.objects.filter(pk=made.get("event")).delete()
    Booking.objects.filter(resource_id__in=made.get("rooms", [])).delete()
    Resource.objects.filter(pk__in=made.get("rooms", [])).delete()
    for member in (alpha, beta):
        connection.set_tenant(member)
        for contact in Contact.objects.filter(tags__name=TAG):
            crm.contact_delete(contact=contact, acting_user=None)
        for org in Organisation.objects.filter(tags__name=TAG):
            crm.organisation_delete(organisation=org, acting_user=None)
        Tag.objects.filter(name=TAG).delete()
    connection.set_schema_to_public()


def _routes(urlconf: str) -> list[tuple[str, bool]]:
    """Every URL pattern of ``urlconf``: (route, has parameters), from the resolver itself."""
    found: list[tuple[str, bool]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                found.append((route, bool(entry.pattern.converters) or "(?P<" in route))

    walk(get_resolver(urlconf).url_patterns, "")
    return found


def _route_of(path: str, urlconf: str) -> str | None:
    try:
        return resolve(path, urlconf=urlconf).route
    except Resolver404:
        return None


# Measured in the page: how far the page scrolls sideways, the widest offenders, and every
# scrolling element that the keyboard cannot reach or that has no accessible name.
MEASURE = """() => {
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (el.classList.length) text += '.' + Array.from(el.classList).join('.');
    return text;
  };
  const nameOf = (el) => {
    const label = (el.getAttribute('aria-label') || '').trim();
    if (label) return label;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    return ids.map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
  };
  const width = window.innerWidth;
  const overflow = document.documentElement.scrollWidth - width;
  const unreachable = [];
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const scrolls = /(auto|scroll)/.test(style.overflowX + ' ' + style.overflowY);
    if (scrolls && !el.matches('textarea, select') && (el.tabIndex < 0 || !nameOf(el))) {
      unreachable.push(describe(el) + (el.tabIndex < 0 ? ' (not focusable)' : ' (no name)'));
    }
    if (overflow > 0 && el.getBoundingClientRect().right > width + 1
        && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1)) {
      wide.push(describe(el) + ' to ' + Math.round(el.getBoundingClientRect().right) + 'px');
    }
  }
  return {overflow, unreachable, wide: wide.slice(0, 6)};
}"""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _is_page(origin: str, path: str, cookies: list[dict]) -> bool:
    """Whether ``path`` answers a GET with an HTML page of its own (200, text/html), asked
    outside the browser so downloads and refusals never disturb it. Chromium resolves
    *.localhost by itself; here the Host header carries the site."""
    site = urlsplit(origin)
    request = urllib.request.Request(
        f"http://127.0.0.1:{site.port}{path}",
        headers={"Host": site.netloc,
                 "Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)},
    )  # fmt: skip
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=120) as answer:
            return answer.status == 200 and answer.headers.get_content_type() == "text/html"
    except urllib.error.HTTPError:
        return False


def _sign_in(page, origin: str, username: str) -> None:
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    code_step_answer(page, username)


def _sweep(browser, origin: str, urlconf: str, username: str) -> tuple[dict, list[str], set]:
    """Visit every discoverable GET page of one site as ``username`` at phone width; return
    {route: measurement}, the problems found, and the parameterised routes never reached."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(60_000)
    page = context.new_page()
    _sign_in(page, origin, username)
    routes = _routes(urlconf)
    waiting = {route for route, params in routes if params}
    queue = deque(f"/{route}" for route, params in routes if not params)
    seen_routes: set[str] = set()
    measured: dict[str, dict] = {}
    problems: list[str] = []
    while queue:
        path = queue.popleft()
        route = _route_of(urlsplit(path).path, urlconf)
        if route is None or route in seen_routes:
            continue
        seen_routes.add(route)
        waiting.discard(route)
        if not _is_page(origin, path, context.cookies(origin)):
            continue  # an export, a calendar, JSON, a redirect, POST only: not a page
        page.goto(origin + path)
        if urlsplit(page.url).netloc != urlsplit(origin).netloc:
            continue  # handed over to another site
        result = page.evaluate(MEASURE)
        measured[route] = result
        if result["overflow"] > 0:
            problems.append(f"{path}: the page scrolls sideways by {result['overflow']}px "
                            f"({', '.join(result['wide'])})")  # fmt: skip
        problems.extend(f"{path}: scrolling region {el}" for el in result["unreachable"])
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            link = urlsplit(href)
            if link.netloc != urlsplit(origin).netloc:
                continue
            linked = _route_of(link.path, urlconf)
            if linked in waiting:
                waiting.discard(linked)
                queue.append(link.path + (f"?{link.query}" if link.query else ""))
    context.close()
    return measured, problems, waiting


@pytest.fixture(scope="module")
def sweep_results(browser, live_url, phone_world):
    origin_member = f"http://alpha.localhost:{live_url}"
    origin_consortium = f"http://localhost:{live_url}"
    member = _sweep(browser, origin_member, TENANT_URLCONF, "manager-a")
    consortium = _sweep(browser, origin_consortium, PUBLIC_URLCONF, "admin-c")
    # What was looked at, and which parameterised pages no link led to, for a person to read.
    SHOTS.mkdir(parents=True, exist_ok=True)
    lines = []
    for site, (measured, problems, unreached) in (("member", member), ("consortium", consortium)):
        lines.append(f"{site}: {len(measured)} pages measured, {len(problems)} problems")
        lines.extend(f"  measured /{route}" for route in sorted(measured))
        lines.extend(f"  no link reached /{route}" for route in sorted(unreached))
    (SHOTS / "sweep.txt").write_text("\n".join(lines) + "\n")
    return {"member": member, "consortium": consortium}


def test_every_staff_page_fits_a_phone_without_sideways_scrolling(sweep_results):
    """Every discovered page of the member site (as a manager) and of the consortium site (as
    a consortium admin) fits 390 px: the page never scrolls sideways, and every region that
    scrolls (wide tables, the planner, the map) can be reached by keyboard and has a name."""
    problems = [*sweep_results["member"][1], *sweep_results["consortium"][1]]
    assert not problems, "\n".join(problems)


def test_the_sweep_reaches_the_pages_that_overflowed(sweep_results):
    """The sweep really looked at the pages the phone walk found overflowing (and at detail
    pages reached through links, with real ids)."""
    member, _, _ = sweep_results["member"]
    consortium, _, _ = sweep_results["consortium"]
    for route in ("planner/", "shared/", "contacts/", "bookings/", ""):
        assert route in member, route
    assert any("<int:" in route for route in member), "no detail page was reached"
    assert "sharing/map/" in consortium
    assert len(member) + len(consortium) > 40


def _shoot(browser, origin: str, username: str, paths: dict[str, str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=size)
        context.set_default_timeout(60_000)
        page = context.new_page()
        _sign_in(page, origin, username)
        for name, path in paths.items():
            page.goto(origin + path)
            expect(page.locator("main")).to_be_visible()
            page.screenshot(path=SHOTS / f"{name}-{size_name}.png", full_page=True)
        context.close()


def test_main_pages_are_photographed_at_phone_and_desktop_width(browser, live_url, phone_world):
    """Screenshots of the planner, the directory, contacts and the dashboard at 390 px and at
    1280 px, for a person to look at (screenshots/phone/)."""
    day = (datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=2)).isoformat()
    _shoot(browser, f"http://alpha.localhost:{live_url}", "manager-a", {
        "dashboard": "/", "contacts": "/contacts/", "directory": "/shared/",
        "planner": f"/planner/?date={day}", "planner-day": f"/planner/?date={day}&view=day",
        "bookings": "/bookings/", "contact": f"/organisations/{phone_world['alpha_org']}/",
    })  # fmt: skip
    _shoot(browser, f"http://localhost:{live_url}", "admin-c", {"map": "/sharing/map/"})
    assert (SHOTS / "planner-phone.png").exists()


def test_the_menu_folds_away_on_a_phone_and_opens_on_demand(browser, live_url):
    """On a phone the menu is one "Menu" button above the page (not 230 px of links); it opens
    and closes the list; on a desktop the links show without a button."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _sign_in(page, f"http://alpha.localhost:{live_url}", "staff-a")
    nav = page.get_by_role("navigation", name="Alpha Voluntary Action")
    toggle = nav.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    planner = nav.get_by_role("link", name="Planner")
    expect(planner).to_be_hidden()
    box = nav.bounding_box()
    assert box is not None
    assert box["height"] < 80
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(planner).to_be_visible()
    planner.click()
    expect(page).to_have_url(re.compile(r"/planner/"))
    page.set_viewport_size(DESKTOP)
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Planner")).to_be_visible()
    context.close()


def test_calendar_addresses_have_a_copy_button(browser, live_url):
    """Each calendar address has a "Copy" button that puts the address on the clipboard and
    says so."""
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin=f"http://alpha.localhost:{live_url}")  # fmt: skip
    page = context.new_page()
    _sign_in(page, f"http://alpha.localhost:{live_url}", "staff-a")
    page.goto(f"http://alpha.localhost:{live_url}/events/")
    buttons = page.get_by_role("button", name=re.compile(r"^Copy"))
    expect(buttons).to_have_count(2)
    address = page.locator("#calendar-public").input_value()
    assert address.startswith("http")
    assert ".ics" in address
    buttons.first.click()
    expect(page.locator(".copy-status").first).to_have_text(re.compile(r"Copied|Selected"))
    if page.locator(".copy-status").first.inner_text() == "Copied.":
        assert page.evaluate("navigator.clipboard.readText()") == address
    context.close()


def test_record_pages_print_without_navigation_or_buttons(browser, live_url, phone_world):
    """Printed, an organisation's record shows the record, not the menu, the account bar or
    the buttons."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, f"http://alpha.localhost:{live_url}", "manager-a")
    page.goto(f"http://alpha.localhost:{live_url}/organisations/{phone_world['alpha_org']}/")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".sidenav")).to_be_hidden()
    expect(page.locator(".account")).to_be_hidden()
    expect(page.locator("main .button").first).to_be_hidden()
    context.close()


def test_map_labels_are_readable_and_do_not_overlap(browser):
    """With 17 members, every label on the sharing map is at least 11 px at desktop width,
    dark on light, and no two labels overlap."""
    from django.template.loader import render_to_string

    from sharing.views.oversight import _map_node
    from tenants.models import Member

    names = [
        "Ryedale Voluntary Action", "Scarborough and District CVS", "Selby District AVS",
             "Harrogate and Ripon Centres for Voluntary Service", "Craven Voluntary Action",
             "Hambleton Community Action", "Richmondshire Community Support Network",
             "York CVS", "Community First Yorkshire", "Two Ridings Community Foundation",
             "North Yorkshire Youth", "Age UK North Yorkshire and Darlington",
             "Citizens Advice Mid North Yorkshire", "Whitby and District Disablement Action",
             "Tadcaster and Rural CIC", "Thirsk Community Care", "Upper Wharfedale Trust",
    ]  # fmt: skip
    nodes = [_map_node(Member(name=name, pk=i + 1), 2 * 3.141592653589793 * i / 17 - 1.5707963)
             for i, name in enumerate(names)]  # fmt: skip
    html = render_to_string("sharing/map.html", {"nodes": nodes, "edges": [], "broadcasts": [],
                                                 "sharing_all": set()})  # fmt: skip
    css = (ROOT / "static" / "css" / "commons.css").read_text()
    page = browser.new_page(viewport=DESKTOP)
    page.set_content(f"<style>{css}</style><main style='max-width:1000px'>{html}</main>")
    boxes = page.eval_on_selector_all(
        ".map-label",
        """els => els.map(t => {
        const r = t.getBoundingClientRect();
        return {x: r.x, y: r.y, w: r.width, h: r.height,
                size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
                fill: getComputedStyle(t).fill};
    })""",
    )
    assert len(boxes) == 17
    for box in boxes:
        assert box["size"] >= 11, box
        assert box["fill"] == "rgb(29, 36, 51)"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                     or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])  # fmt: skip
            assert apart, (a, b)
    page.close()
