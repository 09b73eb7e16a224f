"""What the data protection hub pages count: open tasks, tasks due soon, copies waiting, open
breaches, open requests and members leaving. Counts only, never anyone's details.

Tenant assumptions: every table read here is public (requests, tasks, notices, breaches,
exits); callable on any schema.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models.functions import Coalesce
from django.utils import timezone

from tenants.models import Member
from tenants.permissions import AnyUser

from .breach_selectors import breaches_for
from .clock import SOON_DAYS
from .exit_models import OPEN_STATES, MemberExit
from .models import MemberTask, RequestStatus, RightsRequest, TaskStatus
from .notices import copy_notices_open_count

OPEN_TASK = (TaskStatus.OPEN, TaskStatus.FAILED)


@dataclass
class HubCounts:
    open_tasks: int = 0
    due_soon: int = 0
    overdue: int = 0
    open_notices: int = 0
    open_breaches: int = 0
    open_requests: int = 0
    members_leaving: int = 0

    @property
    def waiting(self) -> int:
        """Everything that waits for someone: nothing at all gives the empty state."""
        return (self.open_tasks + self.open_notices + self.open_breaches + self.open_requests
                + self.members_leaving)  # fmt: skip


def _soon(today: datetime.date | None) -> tuple[datetime.date, datetime.date]:
    day = today or timezone.localdate()
    return day, day + datetime.timedelta(days=SOON_DAYS)


def member_hub_counts(*, member: Member, user: AnyUser, show_breaches: bool,
                      today: datetime.date | None = None) -> HubCounts:  # fmt: skip
    """A member's hub: its open tasks (due within seven days, and overdue, among them), the
    copy notices it has to deal with and, for its leads, the open breaches it can see."""
    day, soon = _soon(today)
    tasks = (
        MemberTask.objects.filter(member=member, status__in=OPEN_TASK,
                                  request__status=RequestStatus.OPEN)
        .annotate(deadline_on=Coalesce("request__extended_to", "request__due_on"))
    )  # fmt: skip
    counts = HubCounts(
        open_tasks=tasks.count(),
        due_soon=tasks.filter(deadline_on__lte=soon).count(),
        overdue=tasks.filter(deadline_on__lt=day).count(),
        open_notices=copy_notices_open_count(member=member),
    )
    if show_breaches:
        counts.open_breaches = sum(
            b.status == "open" for b in breaches_for(user=user, member=member)
        )
    return counts


def consortium_hub_counts(*, user: AnyUser, show_requests: bool, show_exits: bool,
                          today: datetime.date | None = None) -> HubCounts:  # fmt: skip
    """The consortium's hub: open requests (due soon, overdue), open breaches (for its data
    protection leads) and members in the middle of leaving (for its admins)."""
    day, soon = _soon(today)
    counts = HubCounts()
    if show_requests:
        requests = RightsRequest.objects.filter(status=RequestStatus.OPEN).annotate(
            deadline_on=Coalesce("extended_to", "due_on")
        )
        counts.open_requests = requests.count()
        counts.due_soon = requests.filter(deadline_on__lte=soon).count()
        counts.overdue = requests.filter(deadline_on__lt=day).count()
        counts.open_breaches = sum(b.status == "open" for b in breaches_for(user=user, member=None))
    if show_exits:
        counts.members_leaving = MemberExit.objects.filter(state__in=OPEN_STATES).count()
    return counts
