"""Invitations: each new account gets its own link that expires after 7 days; a manager
invites many colleagues from a CSV, sees each row's problems first, and sends all or none."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tenants.bulk_invitations import rows_parse
from tenants.models import AccountInvitation, AuditEntry, Membership

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough pass-phrase 42"


def _upload(client, content: bytes, name: str = "people.csv"):
    return client.post("/team/invite/", {"file": SimpleUploadedFile(name, content, "text/csv")})


def _link_token(body: str) -> str:
    match = re.search(r"/accounts/invitation/\?token=([\w-]+)", body)
    assert match, body
    return match.group(1)


def _invite_one(client_for, user, member_a, email="new.person@example.org"):
    client = client_for(user("manager-a"), member_a)
    client.post("/team/", {"email": email, "first_name": "New", "last_name": "Person",
                           "role": "staff"})  # fmt: skip
    return _link_token(mail.outbox[-1].body)


def test_an_invitation_link_sets_the_password_once(client_for, user, member_a):
    """The e-mailed link lets the new person choose a password, once; it is audited."""
    token = _invite_one(client_for, user, member_a)
    visitor = client_for(None, member_a)
    page = visitor.get(f"/accounts/invitation/?token={token}")
    assert page.status_code == 200
    assert "Choose a password" in page.content.decode()
    done = visitor.post("/accounts/invitation/", {"token": token, "new_password1": PASSWORD,
                                                  "new_password2": PASSWORD})  # fmt: skip
    assert done.status_code == 302
    person = Membership.objects.get(user__email="new.person@example.org").user
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="invitation.accepted", member_id=member_a.pk).exists()
    again = visitor.post("/accounts/invitation/", {"token": token, "new_password1": "x" * 20,
                                                   "new_password2": "x" * 20})  # fmt: skip
    assert "already been used" in again.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_weak_password_is_refused_and_the_link_still_works(client_for, user, member_a):
    token = _invite_one(client_for, user, member_a)
    visitor = client_for(None, member_a)
    weak = visitor.post("/accounts/invitation/", {"token": token, "new_password1": "password",
                                                  "new_password2": "password"})  # fmt: skip
    assert weak.status_code == 200
    assert "There is a problem" in weak.content.decode()
    assert AccountInvitation.objects.get().used_at is None


def test_an_expired_link_says_so_and_offers_to_ask_for_a_new_one(client_for, user, member_a):
    """After 7 days the link sets nothing; the page says it expired and lets the person ask
    the managers, once, for a new link; a manager's new link then works."""
    token = _invite_one(client_for, user, member_a)
    invitation = AccountInvitation.objects.get()
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(minutes=1)
    )
    AccountInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    visitor = client_for(None, member_a)
    page = visitor.get(f"/accounts/invitation/?token={token}").content.decode()
    assert "This invitation link expired on" in page
    assert "Ask for a new link" in page
    refused = visitor.post("/accounts/invitation/", {"token": token, "new_password1": PASSWORD,
                                                     "new_password2": PASSWORD})  # fmt: skip
    assert "expired" in refused.content.decode()
    membership = Membership.objects.get(user__email="new.person@example.org")
    assert not membership.user.has_usable_password()
    mail.outbox.clear()
    asked = visitor.post("/accounts/invitation/", {"token": token, "action": "renew"})
    assert "have been asked to send you a new link" in asked.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user("manager-a").email]
    visitor.post("/accounts/invitation/", {"token": token, "action": "renew"})
    assert len(mail.outbox) == 1  # asked once per link
    manager = client_for(user("manager-a"), member_a)
    assert manager.post(f"/team/access/{membership.pk}/reinvite/").status_code == 302
    fresh = _link_token(mail.outbox[-1].body)
    assert fresh != token
    old_link = visitor.get(f"/accounts/invitation/?token={token}").content.decode()
    assert "cannot be used" in old_link  # the new link replaced it
    visitor.post("/accounts/invitation/", {"token": fresh, "new_password1": PASSWORD,
                                           "new_password2": PASSWORD})  # fmt: skip
    membership.user.refresh_from_db()
    assert membership.user.check_password(PASSWORD)


def test_a_link_only_works_on_its_own_members_site(client_for, user, member_a, member_b):
    token = _invite_one(client_for, user, member_a)
    page = client_for(None, member_b).get(f"/accounts/invitation/?token={token}")
    assert "cannot be used" in page.content.decode()
    assert "made-up" not in page.content.decode()
    bogus = client_for(None, member_a).get("/accounts/invitation/?token=nonsense")
    assert "cannot be used" in bogus.content.decode()


def test_bulk_invitation_previews_then_invites_everyone(client_for, user, member_a):
    """A clean CSV shows a preview naming each person; confirming invites them all, each with
    an e-mail, each audited; nobody is invited by the preview."""
    client = client_for(user("manager-a"), member_a)
    csv_bytes = (
        "First name,Last name,E-mail,Role\n"
        "Ann,Able,ann@example.org,\n"
        "Bob,Baker,bob@example.org,manager\n"
        "Zoë,Ødegård,zoe@example.org,Staff\n"
    ).encode()
    preview = _upload(client, csv_bytes)
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Ready to invite 3 people" in body
    assert "Zoë Ødegård" in body
    assert not Membership.objects.filter(user__email="ann@example.org").exists()
    rows = re.search(r'name="rows" value="([^"]+)"', body).group(1).replace("&quot;", '"')
    done = client.post("/team/invite/", {"confirm": "yes", "rows": rows})
    assert done.status_code == 302
    invited = Membership.objects.filter(member=member_a, user__email__in=[
        "ann@example.org", "bob@example.org", "zoe@example.org"])  # fmt: skip
    assert {m.user.email: m.role for m in invited} == {
        "ann@example.org": "staff", "bob@example.org": "manager", "zoe@example.org": "staff",
    }  # fmt: skip
    assert len(mail.outbox) == 3
    assert all("/accounts/invitation/?token=" in m.body for m in mail.outbox)
    assert (
        AuditEntry.objects.filter(action="membership.invited", member_id=member_a.pk).count() == 3
    )


def test_each_row_problem_is_named_by_row_number_and_nothing_is_sent(client_for, user, member_a):
    """Bad e-mail, duplicate, already a member, missing name, wrong role, wrong columns: each
    named with its row; there is no button to send, and nobody is invited."""
    client = client_for(user("manager-a"), member_a)
    csv_bytes = (
        b"first name,last name,email\n"
        b"Ann,Able,ann@example.org\n"  # row 2: fine
        b"Bad,Mail,not-an-address\n"  # row 3
        b"Ann,Again,ANN@example.org\n"  # row 4: duplicate of row 2
        b"Staff,Tester,staff-a@example.org\n"  # row 5: already works here
        b",Nameless,nameless@example.org\n"  # row 6
        b"Rolf,Role,rolf@example.org,boss\n"  # row 7
        b"Two,columns\n"  # row 8
    )
    body = _upload(client, csv_bytes).content.decode()
    assert "There is a problem with 6 rows" in body
    assert "Row 3: the e-mail address “not-an-address” is not a valid address" in body
    assert "Row 4: the e-mail address ANN@example.org is also on row 2" in body
    assert "Row 5: staff-a@example.org already works here" in body
    assert "Row 6: the first name is missing" in body
    assert "Row 7: the role “boss” is not one of: staff, manager" in body
    assert "Row 8: has 2 columns" in body
    assert 'name="confirm"' not in body
    assert not Membership.objects.filter(user__email="ann@example.org").exists()
    assert len(mail.outbox) == 0


def test_a_file_in_the_wrong_encoding_names_the_rows(client_for, user, member_a):
    """A Windows-1252 file: the rows with characters that cannot be read are named, with a
    hint of how to save the file."""
    client = client_for(user("manager-a"), member_a)
    csv_bytes = "Ann,Able,ann@example.org\nZoë,Ødegård,zoe@example.org\n".encode("cp1252")
    body = _upload(client, csv_bytes).content.decode()
    assert "Row 2: some characters could not be read" in body
    assert "CSV UTF-8" in body
    assert "Row 1" not in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.xlsx", b"PK\x03\x04binary", "not a CSV file"),
        ("people.csv", b"PK\x03\x04binary", "not a CSV file"),
        ("people.csv", b"", "The file is empty"),
        ("people.csv", b"\n\n  \n", "The file is empty"),
        ("people.csv", b"First name,Last name,E-mail\n", "nobody to invite"),
    ],
)
def test_a_wrong_file_is_refused_plainly(client_for, user, member_a, name, content, message):
    client = client_for(user("manager-a"), member_a)
    response = _upload(client, content, name)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "There is a problem" in body


def test_ten_thousand_rows_are_refused_whole(client_for, user, member_a):
    client = client_for(user("manager-a"), member_a)
    content = "".join(f"P{i},Q,p{i}@example.org\n" for i in range(10_000)).encode()
    body = _upload(client, content).content.decode()
    assert "The file has 10,000 people; at most 500" in body
    assert not Membership.objects.filter(user__email="p1@example.org").exists()


def test_confirming_is_all_or_nothing(client_for, user, member_a):
    """If one row has gone wrong since the preview (someone added by hand meanwhile), nobody
    is invited and the reason is named."""
    client = client_for(user("manager-a"), member_a)
    rows = (
        '[[1, "Ann", "Able", "ann@example.org", "staff"],'
        ' [2, "Bob", "B", "bob@example.org", "staff"]]'
    )
    client.post("/team/", {"email": "bob@example.org", "first_name": "Bob", "last_name": "B",
                           "role": "staff"})  # fmt: skip
    mail.outbox.clear()
    response = client.post("/team/invite/", {"confirm": "yes", "rows": rows}, follow=True)
    assert "row 2: bob@example.org already works here" in response.content.decode()
    assert not Membership.objects.filter(user__email="ann@example.org").exists()
    assert len(mail.outbox) == 0


@pytest.mark.parametrize(
    "rows", ["", "nonsense", "{}", "[]", "[[1, 2]]", '[["a","b","c","d","e"]]']
)
def test_tampered_rows_are_refused(client_for, user, member_a, rows):
    client = client_for(user("manager-a"), member_a)
    response = client.post("/team/invite/", {"confirm": "yes", "rows": rows}, follow=True)
    assert "The checked list could not be read. Upload the file again." in (
        response.content.decode()
    )
    assert Membership.objects.filter(member=member_a).count() == 3


def test_staff_cannot_bulk_invite(client_for, user, member_a):
    client = client_for(user("staff-a"), member_a)
    assert client.get("/team/invite/").status_code == 403
    rows = '[[1, "Ann", "Able", "ann@example.org", "manager"]]'
    assert client.post("/team/invite/", {"confirm": "yes", "rows": rows}).status_code == 403
    assert not Membership.objects.filter(user__email="ann@example.org").exists()


def test_the_parser_reads_a_byte_order_mark_and_crlf():
    parsed = rows_parse(
        "\ufeffFirst name,Last name,Email\r\nAnn,Able,ann@example.org\r\n".encode(),
        existing_emails=set(), max_rows=10,
    )  # fmt: skip
    assert parsed.ok
    assert [(r.number, r.first_name, r.email) for r in parsed.rows] == [
        (2, "Ann", "ann@example.org")
    ]
