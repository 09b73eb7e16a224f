"""crm.permissions: the CRM's small predicates and its view decorator answer as the rules say."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from crm import permissions, services


@pytest.fixture
def records(at_a, user):
    """At member A: an open contact; a restricted one added by manager-a (who keeps sight of
    it); a restricted one added by no one (so no one sees it); an interaction with the first
    restricted contact."""
    manager = user("manager-a")
    secret = services.contact_create(acting_user=manager, last_name="Hidden", is_restricted=True)
    return {
        "open": services.contact_create(acting_user=manager, last_name="Open"),
        "secret": secret,
        "unseen": services.contact_create(acting_user=None, last_name="Unseen",
                                          is_restricted=True),
        "interaction": services.interaction_create(
            acting_user=manager, kind="call", date=timezone.localdate(), summary="Call",
            contacts=[secret],
        ),
    }  # fmt: skip


def test_is_manager_here_answers_for_managers_of_this_member_only(at_a, user):
    """A manager here is a manager; staff here, another member's manager and an anonymous
    visitor are not."""
    assert permissions.is_manager_here(user("manager-a"))
    assert not permissions.is_manager_here(user("staff-a"))
    assert not permissions.is_manager_here(user("manager-b"))
    assert not permissions.is_manager_here(AnonymousUser())


def test_is_manager_here_is_false_on_the_public_schema(db, user):
    """On the consortium's own schema no one is a member's manager."""
    assert not permissions.is_manager_here(user("manager-a"))


def test_can_see_contact_follows_the_restriction(records, user):
    """Everyone sees an open contact; a restricted one only those granted it."""
    staff, manager = user("staff-a"), user("manager-a")
    assert permissions.can_see_contact(staff, records["open"])
    assert not permissions.can_see_contact(staff, records["secret"])
    assert permissions.can_see_contact(manager, records["secret"])
    assert not permissions.can_see_contact(manager, records["unseen"])


def test_can_see_contacts_needs_every_one(records, user):
    """One hidden contact among several is enough to say no; none at all says yes."""
    staff = user("staff-a")
    assert permissions.can_see_contacts(staff, [])
    assert permissions.can_see_contacts(staff, [records["open"]])
    assert not permissions.can_see_contacts(staff, [records["open"], records["secret"]])


def test_only_a_manager_who_sees_a_contact_may_grant_access_to_it(records, user):
    """Granting needs both: a manager here, and sight of the contact."""
    assert permissions.can_grant_restricted_access(user("manager-a"), records["secret"])
    assert not permissions.can_grant_restricted_access(user("staff-a"), records["open"])
    assert not permissions.can_grant_restricted_access(user("manager-a"), records["unseen"])


def test_can_change_interaction_needs_sight_of_every_contact_on_it(records, user):
    """An interaction with a hidden contact cannot be changed by whoever cannot see it."""
    assert permissions.can_change_interaction(user("manager-a"), records["interaction"])
    assert not permissions.can_change_interaction(user("staff-a"), records["interaction"])


def _guarded(predicate):
    @permissions.contact_permission_required(predicate)
    def view(request, contact):
        return HttpResponse(str(contact.pk))

    return view


def test_contact_permission_required_answers_not_found_before_forbidden(records, user):
    """A hidden or missing contact is 404 whatever the predicate; a visible one is 403 when
    the predicate says no, and reaches the view, with the contact, when it says yes."""
    request = RequestFactory().post("/")
    request.user = user("staff-a")
    allow, deny = _guarded(lambda u, c: True), _guarded(lambda u, c: False)
    for contact_id in (records["secret"].pk, 999_999):
        with pytest.raises(Http404):
            deny(request, contact_id=contact_id)
    with pytest.raises(PermissionDenied):
        deny(request, contact_id=records["open"].pk)
    assert allow(request, contact_id=records["open"].pk).content == str(records["open"].pk).encode()


def test_is_manager_here_holds_in_a_task_that_entered_the_schema_by_name(db, member_a, user):
    """A background task knows only the schema's name (django-tenants' FakeTenant); the
    member, and so who manages it, is still found."""
    from django.db import connection

    from crm.selectors import member_here

    connection.set_schema(member_a.schema_name)
    assert member_here() == member_a
    assert permissions.is_manager_here(user("manager-a"))
    assert not permissions.is_manager_here(user("staff-a"))
