"""Access reviews: suspended memberships give no access, managers confirm, suspend and
reinstate, the dormant job suspends the unused, and a quarter's review is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenants import review_selectors, review_services
from tenants.models import AccessReview, AuditEntry, Membership, Role

pytestmark = pytest.mark.django_db


def _membership(username: str, member) -> Membership:
    return Membership.objects.get(user__username=username, member=member)


def _age(membership: Membership, *, days: int, last_login_days: int | None) -> None:
    """Make ``membership`` ``days`` old and its person last signed in so many days ago."""
    now = timezone.now()
    Membership.objects.filter(pk=membership.pk).update(created_at=now - timedelta(days=days))
    user = membership.user
    user.last_login = None if last_login_days is None else now - timedelta(days=last_login_days)
    user.save(update_fields=["last_login"])


def test_a_suspended_membership_opens_nothing_and_says_why(client_for, user, member_a):
    """A suspended person gets a plain page naming the member and the reason, on every page,
    and the API refuses them too; their other member still works."""
    both = user("both-ab")
    review_services.membership_suspend(
        membership=_membership("both-ab", member_a), acting_user=user("manager-a")
    )
    client = client_for(both, member_a)
    for path in ("/", "/team/", "/contacts/"):
        response = client.get(path)
        assert response.status_code == 403
        body = response.content.decode()
        assert "Your access to <strong>Alpha Voluntary Action</strong> is suspended" in body
        assert "403" not in body
    assert client.get("/api/me/").status_code == 403
    assert client.get("/switch/").status_code == 302  # the way to their other organisations
    from tenants.models import Member

    beta = Member.organisations.get(slug="beta")
    assert client_for(both, beta).get("/").status_code == 200


def test_a_suspended_membership_is_left_out_of_the_picker(user, member_a):
    """The consortium picker lists only memberships that give access."""
    from tenants.selectors import memberships_of

    review_services.membership_suspend(
        membership=_membership("both-ab", member_a), acting_user=user("manager-a")
    )
    assert [m.member.slug for m in memberships_of(user=user("both-ab"))] == ["beta"]


def test_the_dormant_job_message_names_ninety_days(client_for, user, member_a):
    """Suspended by the job, the person reads that it was not used for 90 days."""
    membership = _membership("staff-a", member_a)
    _age(membership, days=200, last_login_days=120)
    review_services.memberships_suspend_dormant()
    body = client_for(user("staff-a"), member_a).get("/").content.decode()
    assert "suspended because it was not used for 90 days" in body
    assert "Ask a manager" in body


def test_dormant_memberships_are_suspended_and_audited(user, member_a, member_b):
    """The job suspends exactly the memberships unused for 90 days and not confirmed in that
    time; new, recently seen and recently confirmed ones stay, at every member."""
    now = timezone.now()
    dormant = _membership("staff-a", member_a)
    _age(dormant, days=200, last_login_days=120)
    never = _membership("staff-b", member_b)
    _age(never, days=100, last_login_days=None)
    recent = _membership("both-ab", member_a)
    _age(recent, days=200, last_login_days=10)
    confirmed = _membership("both-ab", member_b)
    Membership.objects.filter(pk=confirmed.pk).update(
        created_at=now - timedelta(days=200), confirmed_at=now - timedelta(days=30)
    )
    suspended = review_services.memberships_suspend_dormant()
    assert {m.pk for m in suspended} == {dormant.pk, never.pk}
    for m in (dormant, never):
        m.refresh_from_db()
        assert m.suspended_at is not None
        assert m.suspended_reason == "because it was not used for 90 days"
    for m in (recent, confirmed):
        m.refresh_from_db()
        assert m.suspended_at is None
    entries = AuditEntry.objects.filter(action="membership.suspended")
    assert {e.details["user_id"] for e in entries} == {dormant.user_id, never.user_id}
    assert all(e.actor_id is None and "90 days" in e.details["reason"] for e in entries)
    assert review_services.memberships_suspend_dormant() == []  # a second run changes nothing


def test_a_recent_session_counts_as_being_seen(user, member_a):
    """allauth's session last-seen time counts as a sign-in: the later of the two is used."""
    membership = _membership("staff-a", member_a)
    _age(membership, days=200, last_login_days=120)
    UserSession.objects.create(
        user=membership.user, ip="192.0.2.1", session_key="s" * 32, user_agent="test",
        last_seen_at=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    assert review_services.memberships_suspend_dormant() == []


def test_the_job_never_suspends_the_last_manager(user, member_a):
    """A member's last manager who can sign in is kept, so someone can reinstate the rest."""
    manager = _membership("manager-a", member_a)
    _age(manager, days=200, last_login_days=None)
    staff = _membership("staff-a", member_a)
    _age(staff, days=200, last_login_days=None)
    suspended = review_services.memberships_suspend_dormant()
    assert staff.pk in {m.pk for m in suspended}
    manager.refresh_from_db()
    assert manager.suspended_at is None


def test_the_dormant_job_is_scheduled():
    """The job is one of the project's periodic tasks (tenants.queue.queue_ready, run when
    procrastinate's Django app is ready), on the COMMONS_DORMANT_CRON schedule."""
    from procrastinate.contrib.django import app

    schedules = {
        name: entry.cron for (name, _id), entry in app.periodic_registry.periodic_tasks.items()
    }
    assert schedules["tenants.dormant_memberships_suspend"] == settings.COMMONS_DORMANT_CRON


def test_suspending_the_last_manager_is_refused(user, member_a):
    """The last manager is never suspended: a clear message and nothing changed."""
    manager = _membership("manager-a", member_a)
    with pytest.raises(ValidationError, match="must keep at least one manager"):
        review_services.membership_suspend(membership=manager, acting_user=user("manager-a"))
    manager.refresh_from_db()
    assert manager.suspended_at is None
    assert not AuditEntry.objects.filter(action="membership.suspended").exists()


def test_a_suspended_manager_does_not_count_as_the_remaining_manager(user, member_a):
    """With the second manager suspended, the first is the last one and cannot be suspended
    or removed."""
    from tenants.services import membership_remove, membership_set_role

    staff = _membership("staff-a", member_a)
    membership_set_role(membership=staff, role=Role.MANAGER, acting_user=user("manager-a"))
    review_services.membership_suspend(membership=staff, acting_user=user("manager-a"))
    manager = _membership("manager-a", member_a)
    with pytest.raises(ValidationError):
        review_services.membership_suspend(membership=manager, acting_user=user("manager-a"))
    with pytest.raises(ValidationError):
        membership_remove(membership=manager, acting_user=user("manager-a"))


def test_reinstating_gives_access_back_and_counts_as_confirming(client_for, user, member_a):
    """A manager reinstates a suspended person: they work again, and the job leaves them be."""
    staff = _membership("staff-a", member_a)
    _age(staff, days=200, last_login_days=120)
    review_services.memberships_suspend_dormant()
    manager = client_for(user("manager-a"), member_a)
    response = manager.post(f"/team/access/{staff.pk}/reinstate/")
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.suspended_at is None
    assert staff.confirmed_by == user("manager-a")
    assert client_for(user("staff-a"), member_a).get("/").status_code == 200
    assert review_services.memberships_suspend_dormant() == []
    assert AuditEntry.objects.filter(action="membership.reinstated").count() == 1


def test_still_needs_access_confirms_and_keeps_the_job_away(client_for, user, member_a):
    """'Still needs access' records who confirmed when; the job then skips the person."""
    staff = _membership("staff-a", member_a)
    _age(staff, days=200, last_login_days=120)
    client = client_for(user("manager-a"), member_a)
    assert client.post(f"/team/access/{staff.pk}/confirm/").status_code == 302
    staff.refresh_from_db()
    assert staff.confirmed_by == user("manager-a")
    assert staff.confirmed_at is not None
    assert AuditEntry.objects.filter(action="membership.confirmed", member_id=member_a.pk).exists()
    assert review_services.memberships_suspend_dormant() == []


def test_suspend_now_asks_first_then_suspends(client_for, user, member_a):
    """'Suspend now' shows what will happen; only the confirmation suspends."""
    staff = _membership("staff-a", member_a)
    client = client_for(user("manager-a"), member_a)
    ask = client.post(f"/team/access/{staff.pk}/suspend/")
    assert ask.status_code == 200
    assert "Suspend now" in ask.content.decode()
    staff.refresh_from_db()
    assert staff.suspended_at is None
    done = client.post(f"/team/access/{staff.pk}/suspend/", {"confirm": "yes"})
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.suspended_at is not None
    assert "Manager Tester" in staff.suspended_reason


def test_suspending_the_last_manager_through_the_page_says_why(client_for, user, member_a):
    manager = _membership("manager-a", member_a)
    client = client_for(user("manager-a"), member_a)
    response = client.post(f"/team/access/{manager.pk}/suspend/", {"confirm": "yes"}, follow=True)
    assert "must keep at least one manager" in response.content.decode()
    manager.refresh_from_db()
    assert manager.suspended_at is None


def test_another_members_membership_is_not_found(client_for, user, member_a, member_b):
    """Member B's membership id from member A's site: 404 on every action, nothing changed."""
    theirs = _membership("staff-b", member_b)
    client = client_for(user("manager-a"), member_a)
    for action in ("confirm", "suspend", "reinstate", "reinvite"):
        assert (
            client.post(f"/team/access/{theirs.pk}/{action}/", {"confirm": "yes"}).status_code
            == 404
        )
    theirs.refresh_from_db()
    assert theirs.suspended_at is None
    assert theirs.confirmed_at is None


def test_staff_cannot_review_or_suspend(client_for, user, member_a):
    """The review page and its actions are for managers only."""
    client = client_for(user("staff-a"), member_a)
    assert client.get("/team/access/").status_code == 403
    target = _membership("both-ab", member_a)
    assert client.post(f"/team/access/{target.pk}/suspend/", {"confirm": "yes"}).status_code == 403
    assert client.post("/team/access/review/").status_code == 403
    target.refresh_from_db()
    assert target.suspended_at is None


def test_the_review_page_lists_access_with_last_seen_and_second_factor(client_for, user, member_a):
    """Every account with access, its role, last sign-in, second factor, and the dormant flag."""
    staff = _membership("staff-a", member_a)
    _age(staff, days=200, last_login_days=120)
    # The test world may already give managers an authenticator app (issue 13's second factor).
    Authenticator.objects.get_or_create(
        user=user("manager-a"), type=Authenticator.Type.TOTP, defaults={"data": {}}
    )
    Authenticator.objects.filter(user=user("staff-a")).delete()
    rows = {r.membership.user.username: r for r in review_selectors.access_rows(member=member_a)}
    assert set(rows) == {"staff-a", "manager-a", "both-ab"}
    assert rows["staff-a"].dormant
    assert not rows["manager-a"].dormant
    assert rows["manager-a"].second_factor
    assert not rows["staff-a"].second_factor
    page = client_for(user("manager-a"), member_a).get("/team/access/")
    assert page.status_code == 200
    body = page.content.decode()
    people = body[body.index('<caption class="visually-hidden">Everyone with access') :]
    row_of = {
        name: people[people.index(name) :].split("</tr>")[0] for name in ("staff-a@", "manager-a@")
    }
    assert "Unused for 90 days" in row_of["staff-a@"]
    assert "Unused for 90 days" not in row_of["manager-a@"]
    assert "Still needs access" in body
    assert "Suspend now" in body
    assert "Due" in body
    assert "No review has been recorded yet" in body
    assert "<svg" in body
    assert "the numbers" in body


def test_recording_the_quarterly_review(client_for, user, member_a):
    """'Record this quarter's review' stores who did it and the counts; the page then shows it
    done, and it is audited."""
    client = client_for(user("manager-a"), member_a)
    response = client.post("/team/access/review/", {"notes": "Asked everyone."})
    assert response.status_code == 302
    review = AccessReview.objects.get(member=member_a)
    assert review.completed_by == user("manager-a")
    assert review.people_count == 3
    # staff-a and both-ab have no second factor; no one is dormant or suspended.
    assert (review.dormant_count, review.suspended_count) == (0, 0)
    assert review.without_second_factor_count == 2
    assert review.notes == "Asked everyone."
    assert AuditEntry.objects.filter(
        action="access_review.recorded", member_id=member_a.pk
    ).exists()
    assert not review_selectors.access_review_due(
        latest=review_selectors.access_review_latest(member=member_a)
    )
    body = client.get("/team/access/").content.decode()
    assert "This quarter’s review is recorded" in body


def test_a_review_from_last_quarter_is_due_again(user, member_a):
    review = review_services.access_review_record(member=member_a, acting_user=user("manager-a"))
    AccessReview.objects.filter(pk=review.pk).update(
        completed_at=timezone.now() - timedelta(days=100)
    )
    assert review_selectors.access_review_due(
        latest=review_selectors.access_review_latest(member=member_a)
    )


def test_the_quarter_starts_on_the_first_of_january_april_july_october():
    from datetime import date

    assert review_selectors.quarter_start(date(2026, 12, 7)) == date(2026, 10, 1)
    assert review_selectors.quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)
    assert review_selectors.quarter_start(date(2026, 4, 1)) == date(2026, 4, 1)


def test_the_team_page_links_to_the_review(client_for, user, member_a):
    body = client_for(user("manager-a"), member_a).get("/team/").content.decode()
    assert 'href="/team/access/"' in body
    assert 'href="/team/invite/"' in body


def test_the_picker_says_where_access_is_suspended(client_for, user, member_a):
    """On the consortium site a suspended membership is not offered, and a line says why."""
    review_services.membership_suspend(
        membership=_membership("both-ab", member_a), acting_user=user("manager-a")
    )
    body = client_for(user("both-ab"), None).get("/?pick=1").content.decode()
    assert 'href="/go/alpha/"' not in body
    assert 'href="/go/beta/"' in body
    assert "Your access to <strong>Alpha Voluntary Action</strong> is suspended" in body
    assert client_for(user("both-ab"), None).get("/go/alpha/").status_code == 404


def test_suspending_ends_the_persons_sessions_on_that_site_only(user, member_a, member_b):
    """Suspension ends the person's sessions on the member's site at once (audited), and
    leaves their sessions at their other member alone."""
    from django.test import Client

    from tests.conftest import PASSWORD, host_of

    person = user("both-ab")

    def signed_in(member) -> Client:
        client = Client(HTTP_HOST=host_of(member))
        response = client.post("/accounts/login/", {"login": "both-ab", "password": PASSWORD})
        assert response.status_code == 302
        client.get("/accounts/sessions/")  # records which site the session is on
        return client

    on_alpha, on_beta = signed_in(member_a), signed_in(member_b)
    review_services.membership_suspend(
        membership=_membership("both-ab", member_a), acting_user=user("manager-a")
    )
    assert not UserSession.objects.filter(session_key=on_alpha.session.session_key).exists()
    assert UserSession.objects.filter(session_key=on_beta.session.session_key).exists()
    assert on_alpha.get("/").status_code == 302  # signed out: sent to sign in
    assert on_beta.get("/").status_code == 200
    ended = AuditEntry.objects.get(action="session.ended", details__user_id=person.pk)
    assert ended.member_id == member_a.pk
    assert ended.details["reason"] == "Access suspended"
