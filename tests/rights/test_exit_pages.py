"""The exit's pages: the export page with its progress, the download, the consortium's
confirmation page that says what will happen, and the certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rights.exit_models import ExitState, MemberExit
from rights.exit_services import member_exits_drop_due
from tenants.models import AuditEntry, Role
from tests.factories.people import UserFactory
from tests.rights.test_exit import export_built, leaving_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXIT_EXPORT_ROOT = tmp_path / "exits"


def test_managers_start_the_export_and_see_its_progress(client_for):
    """The manager's POST starts the export; the page then polls its progress; staff are
    refused the page."""
    member, manager = leaving_member()
    staff = UserFactory(member=member, role=Role.STAFF)
    assert client_for(staff, member).get("/exit/").status_code == 403
    browser = client_for(manager, member)
    assert browser.post("/exit/", {"action": "start"}).status_code == 302
    exit_ = MemberExit.objects.get(member=member)
    page = browser.get("/exit/").content.decode()
    assert "<progress" in page
    assert f"/exit/{exit_.pk}/status/" in page


def test_download_is_logged_and_the_admin_confirms_on_a_page_that_says_what_happens(
    client_for, user
):
    """The manager downloads the ZIP (logged); the admin's confirmation page lists what
    leaving does before the confirming POST does it."""
    member, manager = leaving_member()
    exit_ = export_built(member, manager)
    download = client_for(manager, member).get(f"/exit/{exit_.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert AuditEntry.objects.filter(action="member_exit.export_downloaded").exists()

    admin = client_for(user("admin-c"), None)
    ask = admin.post(f"/exits/{exit_.pk}/confirm/")
    assert ask.status_code == 200
    text = ask.content.decode()
    assert "agreements it is party to end now" in text
    assert "lose access to its site" in text
    assert "deleted for good" in text
    exit_.refresh_from_db()
    assert exit_.state == ExitState.DOWNLOADED  # only asked, nothing done
    done = admin.post(f"/exits/{exit_.pk}/confirm/", {"confirm": "yes"})
    assert done.status_code == 302
    exit_.refresh_from_db()
    assert exit_.state == ExitState.LEAVING
    assert client_for(manager, None).get(f"/exits/{exit_.pk}/confirm/").status_code == 403


def test_certificate_is_for_consortium_admins(client_for, user):
    """After the drop, admins read the certificate and download it as JSON; others cannot."""
    member, manager = leaving_member()
    exit_ = export_built(member, manager)
    client_for(manager, member).get(f"/exit/{exit_.pk}/download/")
    admin = client_for(user("admin-c"), None)
    admin.post(f"/exits/{exit_.pk}/confirm/", {"confirm": "yes"})
    MemberExit.objects.filter(pk=exit_.pk).update(grace_until=timezone.now() - timedelta(1))
    member_exits_drop_due()
    page = admin.get(f"/exits/{exit_.pk}/certificate/")
    assert page.status_code == 200
    assert exit_.sha256 in page.content.decode()
    as_json = admin.get(f"/exits/{exit_.pk}/certificate/?download=json")
    assert as_json.json()["export"]["sha256"] == exit_.sha256
    assert (
        client_for(user("manager-a"), None).get(f"/exits/{exit_.pk}/certificate/").status_code
        == 403
    )
