"""tenants.permissions: the predicates answer for anyone (no user and an anonymous visitor are
refused, as is an inactive account), and the decorators answer as the views always did."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from tenants import permissions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "works_at_a", "manages_a", "admin"),
    [("staff-a", True, False, False), ("manager-a", True, True, False),
     ("manager-b", False, False, False), ("admin-c", False, False, True),
     (None, False, False, False)],
)  # fmt: skip
def test_predicates_by_role(user, member_a, username, works_at_a, manages_a, admin):
    """Working at a member needs a membership there; managing its people, the manager role;
    consortium admin and adding members, the consortium's group. None is nobody."""
    who = user(username) if username else None
    assert permissions.is_signed_in(who) is (who is not None)
    assert permissions.can_work_at(who, member_a) is works_at_a
    assert permissions.is_manager_of(who, member_a) is manages_a
    assert permissions.can_manage_people(who, member_a) is manages_a
    assert permissions.is_consortium_admin(who) is admin
    assert permissions.can_add_member(who) is admin


def test_anonymous_and_inactive_users_may_do_nothing(user, member_a):
    """An anonymous visitor, and a manager whose account was deactivated, pass no predicate."""
    manager = user("manager-a")
    manager.is_active = False
    for who in (AnonymousUser(), manager):
        assert not permissions.is_signed_in(who)
        assert permissions.membership_of(who, member_a) is None
        assert not permissions.is_manager_of(who, member_a)
        assert not permissions.is_consortium_admin(who)
        assert not permissions.is_researcher(who)


def test_permission_require_refuses_with_its_message():
    """A check that fails raises 403 with the message given; one that passes does nothing."""
    permissions.permission_require(True, "never raised")
    with pytest.raises(PermissionDenied, match="Only managers"):
        permissions.permission_require(False, "Only managers")


def test_a_view_decorator_refuses_before_the_view_runs(user):
    """``consortium_admin_required`` lets an admin through to the view and refuses anyone
    else (403) without running it."""
    ran = []

    @permissions.consortium_admin_required
    def view(request):
        ran.append(request.user.username)
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = user("staff-a")
    with pytest.raises(PermissionDenied):
        view(request)
    assert ran == []
    request.user = user("admin-c")
    assert view(request).status_code == 200
    assert ran == ["admin-c"]


def test_member_pages_refuse_staff_and_send_visitors_to_sign_in(client_for, user, member_a):
    """The consortium's member pages: staff are refused (403), anonymous visitors are sent
    to sign in, admins see them."""
    for path in ("/members/new/", f"/members/{member_a.slug}/"):
        assert client_for(user("staff-a"), None).get(path).status_code == 403
        assert client_for(None, None).get(path).status_code == 302
        assert client_for(user("admin-c"), None).get(path).status_code == 200
