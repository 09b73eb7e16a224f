"""Art. 19 notices: the members that copied or exported a record are told, see their own
copy's name from their own schema, and record what they did."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rights.erasure import person_erase
from rights.models import CopyNotice, RequestKind, TaskStatus
from rights.notices import copy_notice_close, copy_notices_send
from rights.task_actions import task_action_for

from .conftest import task_for


@pytest.fixture
def erased(person, member_a):
    person_erase(member=member_a, contact_ids=[person["ada"].pk], acting_user=person["lead_a"])
    return person


def test_the_recipients_lead_sees_its_copy_named_and_linked(erased, member_b, client_for):
    page = client_for(erased["lead_b"], member_b).get("/data-rights/copies/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f'href="/contacts/{erased["copy"].pk}/"' in text
    assert "Ada Lovelace" in text
    assert "Alpha Voluntary Action" in text
    assert "Copies to erase or correct" in text  # the header's count


def test_the_header_counts_open_notices_for_leads_and_managers_only(
    erased, member_b, client_for, user
):
    for who in (erased["lead_b"], user("manager-b")):
        home = client_for(who, member_b).get("/").content.decode()
        assert "Copies to erase or correct" in home
    assert (
        "Copies to erase or correct"
        not in client_for(user("staff-b"), member_b).get("/").content.decode()
    )


@pytest.mark.parametrize("who", ["staff-b", "staff-a", "outsider"])
def test_others_may_not_see_or_close_the_notices(erased, member_b, client_for, user, who):
    notice = CopyNotice.objects.filter(member=member_b).first()
    client = client_for(user(who), member_b)
    assert client.get("/data-rights/copies/").status_code in (403, 302)
    assert client.post(f"/data-rights/copies/{notice.pk}/close/", {"outcome": "done"}
                       ).status_code in (403, 302)  # fmt: skip
    with pytest.raises(PermissionDenied):
        copy_notice_close(notice=notice, acting_user=user(who), done=True)
    notice.refresh_from_db()
    assert notice.status == TaskStatus.OPEN


def test_another_members_notice_is_not_found(erased, member_a, member_b, client_for):
    notice = CopyNotice.objects.filter(member=member_b).first()
    lead_a = client_for(erased["lead_a"], member_a)
    assert lead_a.post(f"/data-rights/copies/{notice.pk}/close/", {"outcome": "done"}
                       ).status_code == 404  # fmt: skip
    assert "Ada Lovelace" not in lead_a.get("/data-rights/copies/").content.decode()


def test_a_notice_is_closed_as_done_or_kept_with_a_reason(erased, member_b, client_for):
    notices = list(CopyNotice.objects.filter(member=member_b).order_by("pk"))
    lead = client_for(erased["lead_b"], member_b)
    lead.post(f"/data-rights/copies/{notices[0].pk}/close/", {"outcome": "done"})
    notices[0].refresh_from_db()
    assert notices[0].status == TaskStatus.DONE
    assert notices[0].done_by == erased["lead_b"]
    with pytest.raises(ValidationError):
        copy_notice_close(notice=notices[1], acting_user=erased["lead_b"], done=False)
    lead.post(f"/data-rights/copies/{notices[1].pk}/close/",
              {"outcome": "declined", "reason": "Held for a tribunal case"})  # fmt: skip
    notices[1].refresh_from_db()
    assert notices[1].status == TaskStatus.DECLINED
    assert notices[1].reason == "Held for a tribunal case"
    assert "Held for a tribunal case" in lead.get("/data-rights/copies/").content.decode()


def test_rectification_tells_the_copies_and_marks_the_task_done(person, member_a, member_b,
                                                                user):  # fmt: skip
    task = task_for(member_a, [person["ada"].pk], RequestKind.RECTIFICATION,
                    opened_by=user("admin-c"))  # fmt: skip
    with pytest.raises(PermissionDenied):
        task_action_for(RequestKind.RECTIFICATION)(task, user("manager-a"))
    message = task_action_for(RequestKind.RECTIFICATION)(task, person["lead_a"])
    assert "1 member" in message
    notice = CopyNotice.objects.get(member=member_b, kind="correct", received_by="copy")
    assert notice.copy_id == person["copy"].pk
    assert notice.request == task.request
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_a_leaving_member_notifies_the_members_that_copied_its_records(person, member_a,
                                                                       member_b, user):  # fmt: skip
    made = copy_notices_send(member=member_a, contact_ids=[person["ada"].pk, person["bob"].pk],
                             kind="member_exit", acting_user=user("admin-c"))  # fmt: skip
    assert {n.member_id for n in made} == {member_b.pk}
    assert {n.record_id for n in made if n.received_by == "copy"} == {person["ada"].pk}
    again = copy_notices_send(member=member_a, contact_ids=[person["ada"].pk],
                              kind="member_exit", acting_user=user("admin-c"))  # fmt: skip
    assert again == []


def test_a_notice_holds_plain_ids_and_no_personal_data(erased):
    for notice in CopyNotice.objects.all():
        text = " ".join(str(v) for v in vars(notice).values())
        assert "Lovelace" not in text
        assert "ada@example.org" not in text


def test_the_erasure_confirmation_lists_what_will_go(person, member_a, client_for, user):
    lead = client_for(person["lead_a"], member_a)
    url = f"/data-rights/tasks/{person['task'].pk}/erase/"
    page = lead.get(url).content.decode()
    assert "cannot be undone" in page
    assert "1 event registrations" in page
    assert "1 member that copied or exported" in page
    assert client_for(user("manager-a"), member_a).get(url).status_code == 403
    assert lead.post(url, {"confirm": "yes"}).status_code == 302
    person["task"].refresh_from_db()
    assert person["task"].status == TaskStatus.DONE
