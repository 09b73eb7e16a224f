"""What carrying out an erasure, correction, restriction or objection task means (registered
in ``RightsConfig.ready`` with rights.task_actions): each checks that the acting user is a
data protection lead of the task's member, does the work through the services (audited)
and marks the task done, returning a line for the lead.

Tenant assumptions: called on any schema (the task page's); the services enter the member's
schema themselves.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .erasure import TASK_NOT_OPEN, person_erase, task_finish
from .models import MemberTask, TaskStatus
from .notice_models import NoticeKind
from .notices import copy_notices_send
from .permissions import NOT_A_LEAD, can_act_for_people
from .restriction import person_object_to_marketing, person_restrict


def _ready(task: MemberTask, acting_user: Any, *, retry: bool = False) -> None:
    if not can_act_for_people(acting_user, task.member):
        raise PermissionDenied(NOT_A_LEAD.format(member=task.member))
    allowed = {TaskStatus.OPEN, TaskStatus.FAILED} if retry else {TaskStatus.OPEN}
    if task.status not in allowed:
        raise ValidationError(TASK_NOT_OPEN)


def erasure_act(task: MemberTask, acting_user: Any) -> str:
    """Erase the person at the task's member (after the confirmation page); a failed
    erasure may be tried again."""
    _ready(task, acting_user, retry=True)
    report = person_erase(member=task.member, contact_ids=task.contact_ids,
                          acting_user=acting_user, task=task)  # fmt: skip
    return report.summary


@transaction.atomic
def rectification_act(task: MemberTask, acting_user: Any) -> str:
    """The lead has corrected the record through its normal edit page (the shared directory
    follows as for any edit); this tells every member that copied or exported it."""
    _ready(task, acting_user)
    notices = copy_notices_send(member=task.member, contact_ids=task.contact_ids,
                                kind=NoticeKind.CORRECT, acting_user=acting_user,
                                request=task.request)  # fmt: skip
    task_finish(task, acting_user)
    members = len({n.member_id for n in notices})
    if not members:
        return (
            "Marked done. No other member copied or exported this record, so no one else "
            "needed telling."
        )
    return (
        f"Marked done. {members} member{'s' if members != 1 else ''} that copied or exported "
        "the record were asked to correct their copy."
    )


@transaction.atomic
def restriction_act(task: MemberTask, acting_user: Any) -> str:
    _ready(task, acting_user)
    person_restrict(member=task.member, contact_ids=task.contact_ids, acting_user=acting_user)
    task_finish(task, acting_user)
    return (
        "Processing restricted: the record is kept but left out of every list, export, share "
        "and mailing until a data protection lead lifts the restriction on its page."
    )


@transaction.atomic
def objection_act(task: MemberTask, acting_user: Any) -> str:
    _ready(task, acting_user)
    person_object_to_marketing(member=task.member, contact_ids=task.contact_ids,
                               acting_user=acting_user)  # fmt: skip
    task_finish(task, acting_user)
    return "Objection recorded: this person is left out of every mailing list from now on."
