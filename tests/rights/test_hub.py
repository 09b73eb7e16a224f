"""The "Data protection" hub pages (issue 14): every part of people's rights reachable from
the header, with what is waiting, and only the parts each person may use."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from rights import breach_services
from rights.models import MemberTask
from tests.rights.conftest import task_for

LINK = re.compile(r'<h2><a href="([^"]+)">')


def hub_links(page: str) -> list[str]:
    return LINK.findall(page)


@pytest.mark.parametrize(
    ("who", "links"),
    [
        ("lead", ["/data-rights/", "/data-rights/requests/new/", "/data-rights/copies/",
                  "/breaches/", "/rights/retention/", "/processing/"]),
        ("manager-a", ["/data-rights/", "/data-rights/copies/", "/rights/retention/",
                       "/processing/", "/exit/"]),
    ],
)  # fmt: skip
def test_member_hub_links_each_part_its_visitor_may_use(who, links, lead_a, user, member_a,
                                                        client_for):  # fmt: skip
    person = lead_a if who == "lead" else user(who)
    client = client_for(person, member_a)
    home = client.get("/").content.decode()
    assert 'href="/data-protection/"' in home  # from the header on every page
    page = client.get("/data-protection/").content.decode()
    assert hub_links(page) == links
    for url in links:
        assert client.get(url).status_code == 200, url
    assert "Nothing is waiting" in page


def test_member_hub_is_refused_to_staff(user, member_a, client_for):
    assert client_for(user("staff-a"), member_a).get("/data-protection/").status_code == 403
    home = client_for(user("staff-a"), member_a).get("/").content.decode()
    assert 'href="/data-protection/"' not in home


def test_member_hub_counts_open_and_due_soon_tasks_and_breaches(
    lead_a, user, member_a, member_b, client_for, breach_details
):
    due = task_for(member_a, [1], "access", opened_by=user("admin-c"))
    later = task_for(member_a, [2], "erasure", opened_by=user("admin-c"))
    later.request.due_on = timezone.localdate() + datetime.timedelta(days=30)
    later.request.save(update_fields=["due_on"])
    task_for(member_b, [3], "access", opened_by=user("admin-c"))  # another member's
    done = task_for(member_a, [4], "objection", opened_by=user("admin-c"))
    MemberTask.objects.filter(pk=done.pk).update(status="done")
    breach_services.breach_record(acting_user=lead_a, member=member_a, members=[],
                                  **breach_details())  # fmt: skip
    page = client_for(lead_a, member_a).get("/data-protection/").content.decode()
    assert "<strong>2</strong> open tasks" in page
    assert "<strong>1</strong> due within 7 days" in page
    assert "<strong>1</strong> open breach<" in page
    assert "Nothing is waiting" not in page
    assert due.request.due_on == timezone.localdate()


def test_consortium_hub_for_its_lead_and_its_admin(user, client_for, member_a, breach_details,
                                                   consortium_lead):  # fmt: skip
    lead = client_for(user("dpo-c"), None)
    assert 'href="/data-protection/"' in lead.get("/").content.decode()
    page = lead.get("/data-protection/").content.decode()
    assert hub_links(page) == ["/data-rights/lookup/", "/data-rights/requests/",
                               "/breaches/", "/processing/"]  # fmt: skip
    assert "Nothing is waiting" in page
    task_for(member_a, [1], "access", opened_by=user("admin-c"))
    breach_services.breach_record(acting_user=consortium_lead, member=None, members=[member_a],
                                  **breach_details())  # fmt: skip
    page = lead.get("/data-protection/").content.decode()
    assert "<strong>1</strong> open request<" in page
    assert "<strong>1</strong> open breach<" in page
    admin = client_for(user("admin-c"), None)
    page = admin.get("/data-protection/").content.decode()
    assert hub_links(page) == ["/processing/", "/exits/", "/people/data-protection-leads/"]
    for url in hub_links(page):
        assert admin.get(url).status_code == 200, url
    assert client_for(user("staff-a"), None).get("/data-protection/").status_code == 403
