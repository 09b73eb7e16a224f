"""A request's clock: the deadline the law sets and how it reads on a page.

Art. 12(3): one month from receipt, extendable by two further months where requests are
complex or numerous. A calendar month: 31 January is due on 28 (or 29) February, 15 March
on 15 April (dateutil's ``relativedelta`` clamps to the month's last day).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.formats import date_format

from .models import RequestStatus, RightsRequest

DUE_MONTHS = 1
EXTENSION_MONTHS = 2  # further months, beyond the first
SOON_DAYS = 7


def due_on_for(received_on: datetime.date) -> datetime.date:
    """One calendar month after receipt."""
    return received_on + relativedelta(months=DUE_MONTHS)


def latest_extension_for(received_on: datetime.date) -> datetime.date:
    """The furthest a deadline may be extended: two further months, three from receipt."""
    return received_on + relativedelta(months=DUE_MONTHS + EXTENSION_MONTHS)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class Clock:
    deadline: datetime.date
    days_left: int
    overdue: bool
    soon: bool
    closed: bool
    text: str  # "12 days left", "Due today", "Overdue by 3 days", "Closed on 4 March 2027"
    extension: str  # "Extended to 5 May 2027 because …", or ""


def request_clock(request: RightsRequest, today: datetime.date | None = None) -> Clock:
    today = today or timezone.localdate()
    deadline = request.deadline
    days_left = (deadline - today).days
    closed = request.status != RequestStatus.OPEN
    if closed:
        when = request.closed_at and timezone.localtime(request.closed_at).date()
        text = f"Closed on {date_format(when, 'j F Y')}" if when else "Closed"
    elif days_left > 0:
        text = f"{_days(days_left)} left (due {date_format(deadline, 'j F Y')})"
    elif days_left == 0:
        text = "Due today"
    else:
        text = f"Overdue by {_days(-days_left)}"
    extension = ""
    if request.extended_to:
        extension = (
            f"Extended to {date_format(request.extended_to, 'j F Y')} "
            f"because {request.extension_reason}"
        )
    return Clock(
        deadline=deadline, days_left=days_left, overdue=not closed and days_left < 0,
        soon=not closed and 0 <= days_left <= SOON_DAYS, closed=closed, text=text,
        extension=extension,
    )  # fmt: skip
