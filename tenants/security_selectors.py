"""Reads of security events (sign-ins, lockouts, second factors, access changes, tokens).

Who sees which: a member's managers see the events of their member (rows whose ``member_id``
is theirs); consortium admins see every member's and the consortium site's; anyone else sees
none. The views refuse others first (403); these selectors hold the same line themselves.

Tenant assumptions: the audit log and accounts live in the public schema, so these reads
work from any schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from .models import SECURITY_ACTIONS, AuditEntry, Member
from .permissions import AnyUser, can_view_security_events

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account


def account_for_attempt(attempted: str) -> Account | None:
    """The one account a typed sign-in name (a username or an e-mail address) names, or
    ``None`` when it names none, or more than one."""
    if not attempted:
        return None
    matches = list(
        get_user_model()
        .objects.filter(Q(username__iexact=attempted) | Q(email__iexact=attempted))
        .only("pk", "username")[:2]
    )
    return matches[0] if len(matches) == 1 else None


def security_events_visible_to(*, user: AnyUser | None, member: Member | None) -> QuerySet:
    """The security events ``user`` may see, newest first: on ``member``'s site its own
    events for its managers; on the consortium site (``member`` is ``None``) everything for
    consortium admins. Anyone else: nothing."""
    events = AuditEntry.objects.filter(action__in=SECURITY_ACTIONS).order_by("-at", "-id")
    if not can_view_security_events(user, member):
        return events.none()
    return events.filter(member_id=member.pk) if member is not None else events


def security_people_matching(*, text: str) -> list[int]:
    """Ids of the accounts whose username, e-mail or name holds ``text`` (for the "person"
    filter; the rows themselves are limited by :func:`security_events_visible_to`)."""
    words = text.split()
    accounts = get_user_model().objects.all()
    for word in words:
        accounts = accounts.filter(
            Q(username__icontains=word) | Q(email__icontains=word)
            | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )  # fmt: skip
    return list(accounts.values_list("pk", flat=True)[:500])


def security_names(*, entries: Iterable[AuditEntry]) -> dict[int, str]:
    """The display names of the people the ``entries`` name (actor or subject), by id."""
    ids: set[int] = set()
    for entry in entries:
        if entry.actor_id:
            ids.add(entry.actor_id)
        subject = entry.details.get("user_id") if isinstance(entry.details, dict) else None
        if isinstance(subject, int):
            ids.add(subject)
    people = get_user_model().objects.filter(pk__in=ids)
    return {person.pk: person.get_full_name() or person.get_username() for person in people}


def security_member_names(*, entries: Iterable[AuditEntry]) -> dict[int, str]:
    """The names of the members the ``entries`` happened at, by id."""
    ids = {entry.member_id for entry in entries if entry.member_id}
    return dict(Member.objects.filter(pk__in=ids).values_list("pk", "name"))


def security_events_per_day(
    *, events: QuerySet, first: dt.date, last: dt.date
) -> list[tuple[dt.date, int]]:
    """How many of ``events`` happened on each day from ``first`` to ``last`` (local days),
    days without any included as 0."""
    counts = dict(
        events.filter(at__date__gte=first, at__date__lte=last)
        .order_by()
        .annotate(day=TruncDate("at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = []
    day = first
    while day <= last:
        days.append((day, counts.get(day, 0)))
        if day == dt.date.max:
            break
        day += dt.timedelta(days=1)
    return days
