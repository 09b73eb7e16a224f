"""Session set-up: one test database, the consortium bootstrapped once, a few members.

Members are made once per session (not a schema migrated per test class). Each test runs
in a transaction that is rolled back, schema DDL included, so tests may create members
freely. Tests that need committed data (the browser test) use what the session made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

PASSWORD = "correct-horse-battery-staple"

# A slow or loaded machine must never fail a property test on time: no per-example deadline
# (pytest-timeout bounds the whole test instead).
hypothesis_settings.register_profile("commons", deadline=None)
hypothesis_settings.load_profile("commons")


@dataclass
class World:
    member_a: object
    member_b: object
    users: dict[str, object]


# The mutation runner (tests/mutants) runs pytest once per mutation. Its baseline run saves
# the migrated database with its world as a template (COMMONS_TEST_DB_SAVE_AS); each later
# run copies it (COMMONS_TEST_DB_TEMPLATE) instead of migrating and building again: the
# mutations change guards, never the schema or how the world is made.
TEMPLATE_SAVE_AS = "COMMONS_TEST_DB_SAVE_AS"
TEMPLATE_FROM = "COMMONS_TEST_DB_TEMPLATE"


def _database_copy(*, source: str, target: str) -> None:
    """``CREATE DATABASE target TEMPLATE source`` (dropping ``target`` first). Nobody may be
    connected to ``source`` meanwhile."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def _test_database_from_template(template: str) -> list:
    """Point the default connection at a fresh copy of ``template`` under the test
    database's name; what ``teardown_databases`` needs to drop it afterwards."""
    from django.conf import settings

    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    connection.close()
    _database_copy(source=template, target=test_name)
    settings.DATABASES[connection.alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    connection.close()
    return [(connection, old_name, True)]


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        template = os.environ.get(TEMPLATE_FROM, "")
        if template:
            old_config = _test_database_from_template(template)
        else:
            old_config = setup_databases(
                verbosity=0, interactive=False, keepdb=False, serialized_aliases=[]
            )
            _world_build()
            save_as = os.environ.get(TEMPLATE_SAVE_AS, "")
            if save_as:
                _other_backends_end()
                name = connection.settings_dict["NAME"]
                connection.close()
                _database_copy(source=name, target=save_as)
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        _other_backends_end()
        teardown_databases(old_config, verbosity=0)


def _other_backends_end() -> None:
    """End every other session on the test database (a server subprocess, a worker thread's
    connection): ``DROP DATABASE`` refuses while any remain."""
    from django.db import connections

    for alias in connections:
        if alias != "default":
            connections[alias].close()
    with connection.cursor() as cursor:
        database_sessions_end(cursor, connection.settings_dict["NAME"])


def database_sessions_end(cursor, database: str, timeout: float = 30.0) -> None:
    """Terminate every session on ``database`` but the cursor's own, and wait until they are
    gone (pg_terminate_backend only signals). ``cursor`` must be in autocommit: inside a
    transaction pg_stat_activity would not change."""
    deadline = time.monotonic() + timeout
    while True:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        if not cursor.fetchall():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"sessions on {database} would not end")
        cursor.execute("SELECT pg_sleep(0.05)")  # let the signalled backends exit


def _user(username: str, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org",
        first_name=username.split("-")[0].title(), last_name="Tester", **extra,
    )  # fmt: skip
    return user


def totp_secret_for(username: str) -> str:
    """The authenticator-app secret the test world gives ``username`` (base32, as allauth)."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha1(username.encode()).digest()).decode()  # noqa: S324


def totp_give(user, secret: str | None = None):
    """Give ``user`` an authenticator app, as enrolling would (allauth's own TOTP.activate)."""
    from allauth.mfa.totp.internal.auth import TOTP

    return TOTP.activate(user, secret or totp_secret_for(user.get_username())).instance


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The code an authenticator app shows now for ``secret`` (allauth's own HOTP helpers);
    ``offset`` periods later or earlier."""
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2] + offset))


def totp_secret_of(user) -> str:
    """The secret of ``user``'s authenticator app as stored now (the browser tests' sign-ins
    change it: ``totp_code_fresh``)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    factor = Authenticator.objects.get(user_id=user.pk, type=Authenticator.Type.TOTP)
    return decrypt(factor.data["secret"])


def totp_code_fresh(username: str) -> str:
    """A code for ``username``'s authenticator app that allauth has never seen, for a sign-in
    through the real form on the live server: a new secret, committed on a connection of its
    own (no ORM: the browser tests' thread belongs to Playwright), and its code now. A new
    secret gives a new code, so two sign-ins within one period never replay a code."""
    import base64
    import secrets

    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    with database_raw_connect() as raw:
        changed = raw.execute(
            "UPDATE mfa_authenticator SET data = jsonb_set(data, '{secret}', to_jsonb(%s::text))"
            " WHERE type = 'totp' AND user_id = (SELECT id FROM auth_user WHERE username = %s)",
            [secret, username],
        ).rowcount
    assert changed == 1, f"{username} has no authenticator app"
    return totp_code(secret)


def code_step_answer(page, username: str) -> None:
    """After the password, answer allauth's second-factor step if it asks (a browser test)."""
    import re

    from playwright.sync_api import expect

    code_step = re.compile(r"/accounts/2fa/authenticate/")
    if not code_step.search(page.url):
        return
    page.get_by_label("Code").fill(totp_code_fresh(username))
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(code_step)


def session_second_factor_mark(client: Client, user) -> None:
    """Record in ``client``'s session, as allauth does after the code step, that ``user``
    signed in with their password and their second factor."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    factor = (
        Authenticator.objects.filter(user_id=user.pk)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .first()
    )
    now = time.time()
    records = [{"method": "password", "at": now, "username": user.get_username()}]
    if factor is not None:
        records.append({"method": "mfa", "at": now, "id": factor.pk, "type": factor.type})
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def _world_build() -> None:
    from tenants.bootstrap import consortium_bootstrap
    from tenants.models import Role
    from tenants.roles import CONSORTIUM_ADMINS, DATA_PROTECTION_LEADS, RESEARCHERS
    from tenants.services import member_create, membership_add

    consortium_bootstrap(verbosity=0)
    member_a = member_create(name="Alpha Voluntary Action", slug="alpha", district="York")
    member_b = member_create(name="Beta Community Network", slug="beta", district="Selby")
    staff_a = _user("staff-a")
    manager_a = _user("manager-a")
    staff_b = _user("staff-b")
    manager_b = _user("manager-b")
    both = _user("both-ab")
    _user("outsider")
    admin = _user("admin-c")
    admin.groups.add(Group.objects.get(name=CONSORTIUM_ADMINS))
    researcher = _user("researcher-r")
    researcher.groups.add(Group.objects.get(name=RESEARCHERS))
    # The consortium's data protection lead (issue 14): finds people across members.
    dpo = _user("dpo-c")
    dpo.groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    membership_add(user=staff_a, member=member_a, role=Role.STAFF)
    membership_add(user=manager_a, member=member_a, role=Role.MANAGER)
    membership_add(user=staff_b, member=member_b, role=Role.STAFF)
    membership_add(user=manager_b, member=member_b, role=Role.MANAGER)
    membership_add(user=both, member=member_a, role=Role.STAFF)
    membership_add(user=both, member=member_b, role=Role.STAFF)
    # Managers, consortium admins and researchers must sign in with a second factor.
    for person in (manager_a, manager_b, admin, researcher, dpo):
        totp_give(person)


@pytest.fixture(autouse=True)
def _site_language():
    """Render as the running site does: in en-GB (the server has no other language active;
    without this, tests render with Django's defaults and miss en-GB's date formats)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Every test starts with no rate-limit counts: the whole suite signs in from 127.0.0.1, so
    the URL sweep's hostile sign-ins would otherwise lock later tests out (allauth counts failed
    sign-ins per address in the cache). Without REDIS_URL the cache is a database table
    (settings.CACHES): its committed rows (a live server's counts) go on a connection of the
    fixture's own, which works beside Playwright's event loop, where the ORM may not; a test's
    own rows go with its transaction."""
    from django.conf import settings
    from django.core.cache import cache

    uses_database = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "django_db_setup")
    )
    options = settings.CACHES["default"]
    if not options["BACKEND"].endswith("DatabaseCache"):
        cache.clear()
    elif uses_database:
        request.getfixturevalue("django_db_setup")
        with database_raw_connect() as raw:
            raw.execute(f'DELETE FROM "{options["LOCATION"]}"')


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    """Requests and helpers move the connection into member schemas; start each test in public."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def member_a(db):
    from tenants.models import Member

    return Member.organisations.get(slug="alpha")


@pytest.fixture
def member_b(db):
    from tenants.models import Member

    return Member.organisations.get(slug="beta")


@pytest.fixture
def user(db):
    """``user("staff-a")``: one of the session's people."""

    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


def host_of(member) -> str:
    from django.conf import settings

    return f"{member.slug}.{settings.BASE_DOMAIN}" if member is not None else settings.BASE_DOMAIN


@pytest.fixture
def client_for(db):
    """``client_for(user, member)``: a test client signed in on that member's site (or the
    consortium's, for ``member=None``), as after the whole sign-in: password and, where the
    person has one, second factor. Someone who must have a second factor and has none (a
    manager made by a factory) is given an authenticator app first, as enrolling would;
    ``second_factor=False`` signs them in as they are, password only."""

    def make(user, member=None, *, second_factor: bool = True) -> Client:
        from tenants.mfa import has_second_factor, second_factor_required

        client = Client(HTTP_HOST=host_of(member))
        if user is not None:
            client.force_login(user)
            if second_factor:
                if second_factor_required(user, member) and not has_second_factor(user):
                    totp_give(user)
                session_second_factor_mark(client, user)
        connection.set_schema_to_public()
        return client

    return make


@pytest.fixture
def in_member(db):
    """``with in_member(member):`` runs the block on that member's schema."""
    from contextlib import contextmanager

    @contextmanager
    def enter(member):
        connection.set_tenant(member)
        try:
            yield member
        finally:
            connection.set_schema_to_public()

    return enter


@pytest.fixture
def at_a(db, member_a):
    """The test body runs on member A's schema."""
    connection.set_tenant(member_a)
    yield member_a
    connection.set_schema_to_public()


# The browser tests (tests/test_browser.py, tests/test_phone.py) share one server subprocess
# and one chromium for the session.

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{quote(s['USER'] or '')}{password}@{host}{port}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker, tmp_path_factory, queue_worker):
    """A real server process on the test database for the session, with a queue worker as
    deployed; its port. It is ended and waited for before the database is dropped
    (``django_db_setup`` tears down after)."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "consortium.settings.test",
    }
    # runserver logs every request: a pipe nobody reads would fill and stall the server.
    log_path = tmp_path_factory.mktemp("live-server") / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--insecure",
             f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_serving(server, port, log_path)
        yield port
    finally:
        process_stop(server, grace=30)


def _wait_until_serving(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 120  # a loaded machine takes a while to import Django
    while True:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=5):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait(timeout=30)
                raise RuntimeError(log_path.read_text(errors="replace")[-2000:]) from None
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=0.2)  # returns early only if the server died


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives chromium carries the ``browser`` mark, whether or not its file
    says so (``-m "not browser"`` then leaves out exactly the browser tests)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Debian's chromium through Playwright (which never downloads a browser of its own).
    Playwright runs an event loop in this thread, where Django then refuses database work
    (SynchronousOnlyOperation): the test database is made first, and the loop lives only
    as long as one module, so tests that run after it may use the ORM again.

    Every page it opens reports Content-Security-Policy violations (``WatchedBrowser``); a
    test during which any occurred fails (``_no_csp_violations``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield WatchedBrowser(instance)
        instance.close()


# Runs in every document before its own scripts (Playwright's init scripts are not subject
# to the page's policy) and reports each violation the browser signals.
CSP_WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "";
  const text = `${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` on ${event.documentURI}${where}`;
  if (typeof window.__commonsCspViolation === "function") {
    window.__commonsCspViolation(text);
  } else {
    console.error(`Content Security Policy violation: ${text}`);
  }
});
"""


class WatchedBrowser:
    """A Playwright browser whose every context and page collects Content-Security-Policy
    violations in ``violations``: the ``securitypolicyviolation`` events of each document,
    and chromium's console errors that name the policy."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        self._watch(context)
        return context

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        self._watch(page.context)
        return page

    def _watch(self, context) -> None:
        context.expose_binding(
            "__commonsCspViolation", lambda _source, text: self.violations.append(text)
        )
        context.add_init_script(CSP_WATCH_SCRIPT)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def violations_take(self) -> list[str]:
        """What was reported so far, emptied. One round trip to the browser first (a context
        opened and closed), so that every event its pages sent before it has been handled;
        a page stuck mid-navigation cannot hold it up."""
        self._browser.new_context().close()
        found, self.violations[:] = list(self.violations), []
        return found


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """A test that drives the browser fails if any page broke the Content-Security-Policy
    (an inline script or style, an ``on…=`` handler, a resource from elsewhere). A test
    marked ``csp_violation_expected`` must instead see one (it proves the policy is real)."""
    watched = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    yield
    if watched is None:
        return
    found = watched.violations_take()
    if request.node.get_closest_marker("csp_violation_expected"):
        assert found, "The page broke no Content-Security-Policy rule, but this test expects it to."
    elif found:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _playwright_waits_long_enough():
    """Playwright's ``expect`` waits 5 s by default; a loaded machine needs longer."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - playwright is a dev requirement
        return
    expect.set_options(timeout=30_000)


# Queue workers (tenants/queue.py) are real `manage.py procrastinate worker` processes on the
# test database, as deployed: the session's serves the live server, and tests/test_queue.py
# starts (and kills) its own. Each worker's database sessions carry its name as their
# application_name, so a test can see in pg_stat_activity and pg_locks what a worker is doing.


def database_raw_connect():
    """A connection of its own to the test database, in autocommit: it sees only what has
    been committed, whatever the calling test's transaction holds."""
    import psycopg

    return psycopg.connect(_database_url(), autocommit=True)


def wait_until(condition, *, what: str, timeout: float = 120.0, process=None, log_path=None):
    """Poll ``condition()`` until it answers something true, and return that. Fails after
    ``timeout`` seconds (a loaded machine is slow, never stuck), and at once if ``process``
    exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if process is not None and process.poll() is not None:
            log = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise AssertionError(f"process {process.pid} exited waiting for {what}\n{log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)  # returns early only if the process died
        else:
            time.sleep(0.1)


def queue_backends(name: str) -> list[int]:
    """The database sessions of the worker called ``name``."""
    with database_raw_connect() as raw:
        rows = raw.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name]
        ).fetchall()
    return [pid for (pid,) in rows]


def queue_worker_start(name: str, log_path: Path, *, queues: str = "") -> subprocess.Popen:
    """Start a queue worker called ``name`` on the test database (``queues``: which queues
    it serves, comma-separated; all by default) and wait until it has connected."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "consortium.settings.test",
        "COMMONS_IMPORT_PROGRESS_DATABASE": "progress",
        "PGAPPNAME": name,
    }
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--name", name]
    if queues:
        command += ["--queues", queues]
    with log_path.open("ab") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: queue_backends(name), what=f"worker {name} to connect",
                   process=worker, log_path=log_path)  # fmt: skip
    except BaseException:
        process_stop(worker, grace=60)
        raise
    return worker


def process_stop(process: subprocess.Popen, *, grace: float) -> None:
    """Ask a server or worker process to stop (SIGTERM: a worker finishes its running jobs
    first), and kill it if it has not within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def queue_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A queue worker on the test database for the session, serving the queue the product
    uses (tests keep their own queues to themselves). It is stopped before the database is
    dropped (``django_db_setup`` tears down after)."""
    log_path = tmp_path_factory.mktemp("queue-worker") / "worker.log"
    with django_db_blocker.unblock():
        worker = queue_worker_start("commons-test-worker", log_path, queues="default")
    yield worker
    process_stop(worker, grace=60)
