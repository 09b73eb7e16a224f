"""Reads of requests and members' tasks, with their rules.

Tenant assumptions: requests and tasks are public; :func:`task_contacts` reads the member's
own contacts and runs on that member's schema (its site), through crm's visibility door.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import Contact
from crm.selectors import contacts_visible_to
from tenants.models import Member

from .clock import SOON_DAYS
from .models import MemberTask, RequestStatus, RightsRequest

STATUS_FILTERS = ("open", "done", "refused", "all")


def rights_requests(*, status: str = "open", due_soon: bool = False,
                    today: datetime.date | None = None) -> QuerySet[RightsRequest]:  # fmt: skip
    """The consortium lead's list: by status ("all" for every one), optionally only those
    due within seven days (overdue ones included: they are the most urgent)."""
    requests = RightsRequest.objects.select_related("received_by_member").prefetch_related("tasks")
    if status in (RequestStatus.OPEN, RequestStatus.DONE, RequestStatus.REFUSED):
        requests = requests.filter(status=status)
    if due_soon:
        soon = (today or timezone.localdate()) + datetime.timedelta(days=SOON_DAYS)
        requests = (
            requests.filter(status=RequestStatus.OPEN)
            .annotate(deadline_on=Coalesce("extended_to", "due_on"))
            .filter(deadline_on__lte=soon)
        )
    return requests.order_by("due_on", "id")


def rights_request_get(*, request_id: int) -> RightsRequest:
    """One request (RightsRequest.DoesNotExist when there is none)."""
    return RightsRequest.objects.select_related("received_by_member", "opened_by").get(
        pk=request_id
    )


def request_tasks(*, rights_request: RightsRequest) -> list[MemberTask]:
    return list(rights_request.tasks.select_related("member", "done_by").order_by("member__name"))


def member_tasks(*, member: Member, status: str = "") -> QuerySet[MemberTask]:
    """A member's tasks, soonest deadline first (open ones before finished ones)."""
    tasks = MemberTask.objects.filter(member=member).select_related("request")
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("request__status", "request__due_on", "id")


def member_task_get(*, member: Member, task_id: int) -> MemberTask:
    """A task of this member; another member's task is as missing as none
    (MemberTask.DoesNotExist)."""
    return MemberTask.objects.select_related("request", "member", "done_by").get(
        pk=task_id, member=member
    )


def task_contacts(*, task: MemberTask, user: Any) -> tuple[list[Contact], int]:
    """The member's contacts the task names that ``user`` may see, and how many more it
    names that they may not (restricted contacts; a colleague granted them must see to it).
    Contacts since deleted count in neither."""
    ids = list(task.contact_ids)
    visible = list(contacts_visible_to(user=user).filter(pk__in=ids).order_by("last_name", "pk"))
    held = Contact.objects.filter(pk__in=ids).count()
    return visible, held - len(visible)
