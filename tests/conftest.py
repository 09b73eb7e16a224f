"""Session set-up: one test database, the consortium bootstrapped once, a few members.

Members are made once per session (not a schema migrated per test class). Each test runs
in a transaction that is rolled back, schema DDL included, so tests may create members
freely. Tests that need committed data (the browser test) use what the session made.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    member_a: object
    member_b: object
    users: dict[str, object]


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        old_config = setup_databases(
            verbosity=0, interactive=False, keepdb=False, serialized_aliases=[]
        )
        _world_build()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(old_config, verbosity=0)


def _user(username: str, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org",
        first_name=username.split("-")[0].title(), last_name="Tester", **extra,
    )  # fmt: skip
    return user


def _world_build() -> None:
    from tenants.bootstrap import consortium_bootstrap
    from tenants.models import Role
    from tenants.roles import CONSORTIUM_ADMINS, RESEARCHERS
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
    membership_add(user=staff_a, member=member_a, role=Role.STAFF)
    membership_add(user=manager_a, member=member_a, role=Role.MANAGER)
    membership_add(user=staff_b, member=member_b, role=Role.STAFF)
    membership_add(user=manager_b, member=member_b, role=Role.MANAGER)
    membership_add(user=both, member=member_a, role=Role.STAFF)
    membership_add(user=both, member=member_b, role=Role.STAFF)


@pytest.fixture(autouse=True)
def _site_language():
    """Render as the running site does: in en-GB (the server has no other language active;
    without this, tests render with Django's defaults and miss en-GB's date formats)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


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
    consortium's, for ``member=None``)."""

    def make(user, member=None) -> Client:
        client = Client(HTTP_HOST=host_of(member))
        if user is not None:
            client.force_login(user)
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
