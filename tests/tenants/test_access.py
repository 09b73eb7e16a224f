"""Who may reach which site, and what the pages show them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tenants import selectors, services
from tenants.models import AuditEntry, Membership, Role, SignInHandoff

pytestmark = pytest.mark.django_db

# respond/ is a survey answered through an organisation's own unguessable link (no sign-in);
# tests/surveys covers it.
OPEN_PREFIXES = ("accounts/", "static/", "healthz", "respond/")
SAMPLES = {"int": "1", "slug": "alpha", "str": "csv", "uuid": str(uuid.uuid4()), "path": "x"}


def _routes(patterns, prefix: str = "") -> list[str]:
    found = []
    for p in patterns:
        route = str(p.pattern)
        if "format" in route and (route.startswith("^") or "drf_format_suffix" in route):
            continue  # format-suffix variants mirror a plain route listed too
        if route.startswith("^"):  # regex routes (DRF's routers)
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route.lstrip("^").rstrip("$"))
            route = route.replace("\\", "")
        filled = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)
        if isinstance(p, URLResolver):
            found += _routes(p.url_patterns, prefix + filled)
        elif isinstance(p, URLPattern):
            found.append("/" + prefix + filled)
    return found


TENANT_PATHS = [
    p for p in _routes(get_resolver("consortium.urls_tenant").url_patterns)
    if not p.lstrip("/").startswith(OPEN_PREFIXES)
]  # fmt: skip


def test_tenant_url_list_covers_pages_and_api():
    """The cross-member test below walks every page and API path of a member's site."""
    assert "/" in TENANT_PATHS
    assert "/team/" in TENANT_PATHS
    assert any(p.startswith("/api/") for p in TENANT_PATHS)


@pytest.mark.parametrize("path", TENANT_PATHS)
def test_member_a_staff_get_nothing_from_member_b(path, client_for, user, member_b):
    """Every page and API path of member B refuses member A's staff, and shows no B data."""
    client = client_for(user("staff-a"), member_b)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code in (403, 404, 405), (method, path, response.status_code)
        body = response.content.decode()
        assert "staff-b@example.org" not in body
        assert "manager-b" not in body


@pytest.mark.parametrize("path", TENANT_PATHS)
def test_anonymous_visitors_are_sent_to_sign_in(path, member_a):
    """Pages redirect anonymous visitors to the sign-in page; the API answers 401/403."""
    response = Client(HTTP_HOST="alpha.localhost").get(path)
    if path.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == "/accounts/login/"


def test_signed_in_user_without_membership_gets_403_page(client_for, user, member_a):
    """A signed-in user with no membership sees a 403 page naming the member, not an empty site."""
    response = client_for(user("outsider"), member_a).get("/")
    assert response.status_code == 403
    assert "Alpha Voluntary Action" in response.content.decode()
    assert "isn’t set up to work at" in response.content.decode()


def test_unknown_member_domain_is_404_and_foreign_host_is_400():
    """An allowed host with no member is 404; a host outside ALLOWED_HOSTS is 400."""
    assert Client(HTTP_HOST="nobody.localhost").get("/").status_code == 404
    assert Client(HTTP_HOST="evil.example.com").get("/").status_code == 400


def test_template_schema_is_never_served():
    """The template member has no domain and cannot be reached by any host."""
    assert Client(HTTP_HOST="template.localhost").get("/").status_code == 404
    assert Client(HTTP_HOST="member-template.localhost").get("/").status_code == 404


def test_staff_see_member_name_role_and_navigation(client_for, user, member_a):
    """Member staff see their organisation's name, their role and the navigation shell."""
    response = client_for(user("staff-a"), member_a).get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Voluntary Action" in body
    assert "Staff" in body
    for section in ("Contacts", "Organisations", "Events", "Shared with us", "Reports", "People"):
        assert section in body


def test_api_me_answers_for_members_only(client_for, user, member_a, member_b):
    """The API names the member and role for its own staff and refuses others (403)."""
    ok = client_for(user("staff-a"), member_a).get("/api/me/")
    assert ok.status_code == 200
    assert ok.json() == {
        "username": "staff-a", "full_name": "Staff Tester", "member": "Alpha Voluntary Action",
        "member_slug": "alpha", "role": "staff",
    }  # fmt: skip
    assert client_for(user("staff-a"), member_b).get("/api/me/").status_code == 403


def test_api_token_authentication_respects_membership(member_a, member_b, user):
    """A token works on its owner's member site and nowhere else."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user("staff-b"))
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert Client(HTTP_HOST="beta.localhost").get("/api/me/", **auth).status_code == 200
    assert Client(HTTP_HOST="alpha.localhost").get("/api/me/", **auth).status_code == 403


def test_openapi_schema_is_served_to_members(client_for, user, member_a):
    """The OpenAPI schema and its docs page answer at /api/schema/ and /api/docs/."""
    client = client_for(user("staff-a"), member_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/me/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_user_with_several_memberships_gets_a_picker(client_for, user):
    """Someone working at two members chooses between them on the consortium site."""
    body = client_for(user("both-ab"), None).get("/").content.decode()
    assert "Alpha Voluntary Action" in body
    assert "Beta Community Network" in body
    assert "/go/alpha/" in body


def test_user_with_one_membership_goes_straight_there(client_for, user):
    """With one membership, the consortium site hands the user to that member's site."""
    response = client_for(user("staff-a"), None).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/?token=")


def _follow_handoff(location: str) -> tuple[Client, object]:
    """Open a hand-over link and press its Continue button, as a browser would."""
    url = urlparse(location)
    client = Client(HTTP_HOST=url.hostname)
    shown = client.get(f"{url.path}?{url.query}")
    if shown.status_code != 200:
        return client, shown
    token = parse_qs(url.query)["token"][0]
    return client, client.post(url.path, {"token": token})


def test_opening_a_handoff_link_signs_no_one_in(user, member_a):
    """A GET of the hand-over link only asks to continue, naming the account: it neither signs
    in nor spends the ticket, so a page elsewhere cannot sign a visitor in (login CSRF)."""
    token = services.handoff_issue(member=member_a, acting_user=user("staff-a"))
    client = Client(HTTP_HOST="alpha.localhost")
    page = client.get(f"/accounts/handoff/?token={token}")
    assert page.status_code == 200
    assert "Continue as Staff Tester" in page.content.decode()
    assert client.get("/").status_code == 302  # still anonymous
    assert SignInHandoff.objects.filter(user=user("staff-a")).exists()


def test_handoff_post_needs_this_sites_csrf_token(user, member_a):
    """The Continue step is refused without the site's CSRF token: a form elsewhere cannot
    post it for the visitor."""
    token = services.handoff_issue(member=member_a, acting_user=user("staff-a"))
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    assert client.post("/accounts/handoff/", {"token": token}).status_code == 403
    assert client.get("/").status_code == 302


def test_handoff_signs_in_on_the_member_site_once(client_for, user):
    """The hand-over link signs the user in on the member's site, and works only once."""
    location = client_for(user("both-ab"), None).get("/go/beta/")["Location"]
    client, response = _follow_handoff(location)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    _again, second = _follow_handoff(location)
    assert second.status_code == 302
    assert second["Location"].startswith("/accounts/login/")


def test_handoff_for_one_member_does_not_work_on_another(user, member_a, member_b):
    """A ticket minted for member A's site is refused on member B's."""
    token = services.handoff_issue(member=member_a, acting_user=user("both-ab"))
    client = Client(HTTP_HOST="beta.localhost")
    response = client.get(f"/accounts/handoff/?token={token}")
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302  # still anonymous


def test_expired_handoff_is_refused(user, member_a):
    """A ticket past its short life is refused."""
    token = services.handoff_issue(member=member_a, acting_user=user("staff-a"))
    SignInHandoff.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client(HTTP_HOST="alpha.localhost").get(f"/accounts/handoff/?token={token}")
    assert response["Location"].startswith("/accounts/login/")


def test_go_to_a_member_one_does_not_work_at_is_404(client_for, user):
    """The consortium site never hands a user to a member they do not work at."""
    assert client_for(user("staff-a"), None).get("/go/beta/").status_code == 404


def test_switch_returns_to_the_consortium_picker_signed_in(client_for, user, member_a):
    """'Switch organisation' hands the sign-in back to the consortium site's picker."""
    location = client_for(user("both-ab"), member_a).get("/switch/")["Location"]
    assert location.startswith("http://localhost/accounts/handoff/?token=")
    client, response = _follow_handoff(location)
    assert response["Location"] == "/?pick=1"
    assert "Beta Community Network" in client.get("/?pick=1").content.decode()


def test_password_sign_in_on_a_member_site(member_a):
    """Staff can sign in with their password directly on their member's site."""
    client = Client(HTTP_HOST="alpha.localhost")
    response = client.post(
        "/accounts/login/", {"login": "staff-a", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_consortium_admin_sees_members_and_staff_do_not(client_for, user):
    """Only consortium admins see the member list and the add-member page."""
    admin = client_for(user("admin-c"), None)
    body = admin.get("/").content.decode()
    assert "Alpha Voluntary Action" in body
    assert "Beta Community Network" in body
    assert admin.get("/members/new/").status_code == 200
    staff = client_for(user("both-ab"), None)
    assert staff.get("/members/new/").status_code == 403
    assert staff.get("/members/alpha/").status_code == 403


def test_admin_adds_a_member_from_the_web_page(client_for, user):
    """The add-member form creates the member and its site; errors are shown on the form."""
    admin = client_for(user("admin-c"), None)
    response = admin.post(
        "/members/new/",
        {"name": "Kappa Forum", "slug": "kappa", "charity_number": "1099999",
         "company_number": "", "district": "Richmondshire"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Client(HTTP_HOST="kappa.localhost").get("/").status_code == 302  # exists: sign in
    duplicate = admin.post("/members/new/", {"name": "Kappa Two", "slug": "kappa"})
    assert duplicate.status_code == 200
    assert "already exists" in duplicate.content.decode()
    reserved = admin.post("/members/new/", {"name": "Admin", "slug": "admin"})
    assert "reserved" in reserved.content.decode()


def test_manager_invites_a_colleague_who_gets_an_email(client_for, user, member_a):
    """A manager's invitation creates the account and membership and e-mails its own expiring
    link to choose a password (tenants.invitation_services)."""
    client = client_for(user("manager-a"), member_a)
    response = client.post(
        "/team/",
        {"email": "new.person@example.org", "first_name": "New", "last_name": "Person",
         "role": "staff"},
    )  # fmt: skip
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.person@example.org")
    assert membership.member == member_a
    assert membership.role == Role.STAFF
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "http://alpha.localhost/accounts/invitation/?token=" in mail.outbox[0].body


def test_staff_cannot_invite_or_remove(client_for, user, member_a):
    """Plain staff may see their colleagues but not invite or remove them."""
    client = client_for(user("staff-a"), member_a)
    assert client.get("/team/").status_code == 200
    assert client.post("/team/", {"email": "x@example.org"}).status_code == 403
    target = Membership.objects.get(user__username="manager-a")
    assert client.post(f"/team/{target.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=target.pk).exists()


def test_manager_cannot_touch_another_members_people(client_for, user, member_a):
    """Guessing the id of member B's membership from member A's site is a 404."""
    client = client_for(user("manager-a"), member_a)
    target = Membership.objects.get(user__username="staff-b")
    assert client.post(f"/team/{target.pk}/remove/").status_code == 404
    assert client.post(f"/team/{target.pk}/role/", {"role": "manager"}).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.STAFF


def test_removing_someone_keeps_their_account(client_for, user, member_a):
    """Removal ends the membership only: the user account remains."""
    client = client_for(user("manager-a"), member_a)
    target = Membership.objects.get(user__username="staff-a", member=member_a)
    assert client.post(f"/team/{target.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert user("staff-a").is_active


def test_last_manager_cannot_be_removed_or_demoted(client_for, user, member_a):
    """A member always keeps at least one manager."""
    manager = Membership.objects.get(user__username="manager-a", member=member_a)
    client = client_for(user("manager-a"), member_a)
    client.post(f"/team/{manager.pk}/remove/")
    client.post(f"/team/{manager.pk}/role/", {"role": "staff"})
    manager.refresh_from_db()
    assert manager.role == Role.MANAGER


def test_user_erasure_anonymises_in_place(user, member_a):
    """Erasing an account blanks the person's details but keeps the row and its id."""
    person = user("staff-a")
    pk = person.pk
    services.user_erase(user=person, acting_user=user("admin-c"))
    person.refresh_from_db()
    assert person.pk == pk
    assert person.username == f"erased-{pk}"
    assert person.email == ""
    assert person.first_name == ""
    assert not person.is_active
    assert not person.has_usable_password()
    assert not Membership.objects.filter(user_id=pk).exists()


def test_api_token_page_makes_a_token_that_works_here_only(client_for, user, member_a):
    """The API page makes a personal token, shown once, that authenticates on this site."""
    client = client_for(user("staff-a"), member_a)
    page = client.post("/api-token/").content.decode()
    key = re.search(r'<code class="token">(\w+)</code>', page).group(1)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert Client(HTTP_HOST="alpha.localhost").get("/api/me/", **auth).status_code == 200
    assert Client(HTTP_HOST="beta.localhost").get("/api/me/", **auth).status_code == 403
    assert key not in client.get("/api-token/").content.decode()


def test_erase_user_command_anonymises_in_place(user, capsys):
    """`erase_user USERNAME --yes` anonymises the account and keeps its row."""
    from django.core.management import call_command

    pk = user("outsider").pk
    call_command("erase_user", "outsider", yes=True)
    assert f"erased-{pk}" in capsys.readouterr().out
    erased = type(user("staff-a")).objects.get(pk=pk)
    assert not erased.is_active
    assert erased.email == ""


def test_handoff_never_replaces_someone_elses_session(client_for, user, member_a):
    """A ticket for user X sent to a browser where Y is signed in does not sign Y out."""
    token = services.handoff_issue(member=member_a, acting_user=user("both-ab"))
    victim = client_for(user("manager-a"), member_a)
    victim.post("/accounts/handoff/", {"token": token})
    assert victim.get("/api/me/").json()["username"] == "manager-a"
    assert not SignInHandoff.objects.exists()  # the ticket is spent all the same


def test_handoff_redeem_refuses_to_swap_a_signed_in_person_for_another(user, member_a):
    """Redeeming a ticket for X while Y is signed in is refused by name, and spends it."""
    token = services.handoff_issue(member=member_a, acting_user=user("both-ab"))
    with pytest.raises(ValidationError) as refused:
        services.handoff_redeem(token=token, member=member_a, acting_user=user("manager-a"))
    assert refused.value.messages == [services.HANDOFF_SIGNED_IN_AS.format(username="manager-a")]
    assert services.handoff_redeem(token=token, member=member_a, acting_user=None) is None


def test_handoff_redeem_signs_in_the_ticket_holder(user, member_a):
    """With no one signed in, or the same person, the ticket names whom to sign in."""
    person = user("both-ab")
    for acting_user in (None, person):
        token = services.handoff_issue(member=member_a, acting_user=person, next_path="/x/")
        redeemed = services.handoff_redeem(token=token, member=member_a, acting_user=acting_user)
        assert redeemed == (person, "/x/", None)


def test_api_token_renew_is_audited_as_the_person_themselves(user):
    """Renewing one's API token replaces it, and the audit row names the person as actor."""
    person = user("staff-a")
    first = services.api_token_renew(acting_user=person)
    second = services.api_token_renew(acting_user=person)
    assert first.key != second.key
    entry = AuditEntry.objects.filter(action="api_token.renewed").latest("id")
    assert (entry.actor_id, entry.member_id, entry.target) == (person.pk, None, "staff-a")


def test_api_token_exists_answers_for_that_person_only(user):
    """Whether someone has a token says nothing about anyone else's."""
    services.api_token_renew(acting_user=user("staff-a"))
    assert selectors.api_token_exists(user=user("staff-a"))
    assert not selectors.api_token_exists(user=user("staff-b"))
