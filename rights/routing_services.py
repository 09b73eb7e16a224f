"""Finding a person across members and routing their request: every write, audited.

A lookup hashes what the lead typed (sharing.person_keys) and asks which members hold a
matching contact; the audit row says who looked, which kinds of identifier and how many
members matched, never the values. A request keeps the keys (not the values), its dates and
one task per member holding the person, with that member's contact ids.

Tenant assumptions: called on the public schema, or on a member's schema (a member's own
lead opening a request): every table written here is public.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from sharing.person_keys import person_keys_for
from sharing.selectors import members_holding
from tenants.audit import audit_record
from tenants.models import Member

from .clock import due_on_for, latest_extension_for
from .models import MemberTask, RequestStatus, RightsRequest, TaskStatus
from .routing_permissions import (
    can_look_up_people,
    can_open_request_for,
    can_work_rights_tasks,
)

LOCK_NAMESPACE = 1_919_252  # "rights": first key of the reference-number advisory lock
NOT_ALLOWED = "Only a data protection lead may do this."
NO_IDENTIFIER = "Give an e-mail address, a phone number, or a name with a postcode."
ALREADY_CLOSED = "This request is closed."
ALREADY_EXTENDED = "The deadline has been extended once already; it cannot be extended again."
EXTENSION_TOO_LATE = "An extension may add at most two further months: the latest is {latest}."
EXTENSION_TOO_EARLY = "Choose a date after the current deadline, {deadline}."
EXTENSION_REASON = "Say why the request needs longer (complex, or one of many from this person)."
TASKS_UNFINISHED = "Every member's task must be done or declined before the request is closed."
OUTCOME_NEEDED = "Say what the outcome was."
DECLINE_REASON = "Say why the task is not being done."
TASK_FINISHED = "This task is already finished."
RECEIVED_IN_FUTURE = "The date received cannot be in the future."


@dataclass
class Lookup:
    """A lookup's answer: the keys it used, and which members hold which contacts. Who may
    see ``holdings`` is the caller's rule (member names only for the consortium's lead)."""

    keys: list[str]
    kinds: list[str]
    holdings: dict[int, list[int]] = field(default_factory=dict)

    @property
    def members(self) -> list[Member]:
        return list(Member.objects.filter(pk__in=list(self.holdings)).order_by("name"))


def _kinds_given(email: str, phone: str, name: str, postcode: str) -> list[str]:
    kinds = []
    if email.strip():
        kinds.append("email")
    if phone.strip():
        kinds.append("phone")
    if name.strip() and postcode.strip():
        kinds.append("name_postcode")
    return kinds


def person_lookup(
    *,
    acting_user: Any,
    email: str = "",
    phone: str = "",
    name: str = "",
    postcode: str = "",
    member: Member | None = None,
) -> Lookup:
    """Which members hold someone with these identifiers. Logged (who, which kinds, how many
    members matched), never the values. ``member``: the member site it was asked from (its
    own lead opening a request it received), None on the consortium site."""
    allowed = (
        can_open_request_for(acting_user, member) if member else can_look_up_people(acting_user)
    )
    if not allowed:
        raise ValidationError(NOT_ALLOWED)
    keys = person_keys_for(email=email or None, phone=phone or None, name=name or None,
                           postcode=postcode or None)  # fmt: skip
    if not keys:
        raise ValidationError(NO_IDENTIFIER)
    kinds = _kinds_given(email, phone, name, postcode)
    holdings = members_holding(keys)
    audit_record(
        action="rights.person_looked_up", actor=acting_user, member=member,
        target=f"{len(holdings)} members", kinds=kinds, members_matched=len(holdings),
    )  # fmt: skip
    return Lookup(keys=keys, kinds=kinds, holdings=holdings)


def _reference_next(year: int) -> str:
    """DR-<year>-<n>: the next number of the year, under a lock so two leads never share one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, year])
    prefix = f"DR-{year}-"
    last = (
        RightsRequest.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _tasks_route(rights_request: RightsRequest, holdings: dict[int, list[int]]) -> int:
    """A task for each holding member that has none; an open task gains newly found contact
    ids. Returns how many tasks were added."""
    existing = {t.member_id: t for t in MemberTask.objects.select_for_update().filter(
        request=rights_request)}  # fmt: skip
    added = 0
    for member_id, contact_ids in holdings.items():
        task = existing.get(member_id)
        if task is None:
            MemberTask.objects.create(
                request=rights_request, member_id=member_id, contact_ids=sorted(contact_ids)
            )
            added += 1
        elif task.status == TaskStatus.OPEN and set(contact_ids) - set(task.contact_ids):
            task.contact_ids = sorted(set(task.contact_ids) | set(contact_ids))
            task.save(update_fields=["contact_ids"])
    return added


@transaction.atomic
def request_open(
    *,
    acting_user: Any,
    keys: Iterable[str],
    kind: str,
    received_on: datetime.date,
    identity_check: str,
    identity_checked_on: datetime.date,
    note: str = "",
    received_by_member: Member | None = None,
) -> RightsRequest:
    """Open a request from a lookup's keys: its reference, its deadline (one calendar month
    after receipt) and a task for every member holding the person. A person no member holds
    gives a request with no tasks, to be closed saying so."""
    allowed = (
        can_open_request_for(acting_user, received_by_member)
        if received_by_member is not None
        else can_look_up_people(acting_user)
    )
    if not allowed:
        raise ValidationError(NOT_ALLOWED)
    key_list = sorted(set(keys))
    if not key_list:
        raise ValidationError(NO_IDENTIFIER)
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": RECEIVED_IN_FUTURE})
    rights_request = RightsRequest(
        person_keys=key_list, reference=_reference_next(timezone.localdate().year), kind=kind,
        received_on=received_on, due_on=due_on_for(received_on), identity_check=identity_check,
        identity_checked_on=identity_checked_on, note=note.strip(),
        received_by_member=received_by_member, opened_by=acting_user,
    )  # fmt: skip
    rights_request.full_clean()
    rights_request.save()
    holdings = members_holding(key_list)
    _tasks_route(rights_request, holdings)
    audit_record(
        action="rights.request_opened", actor=acting_user, member=received_by_member,
        target=rights_request.reference, request_id=rights_request.pk, kind=kind,
        members_matched=len(holdings),
    )  # fmt: skip
    return rights_request


def _open_locked(rights_request: RightsRequest) -> RightsRequest:
    locked = RightsRequest.objects.select_for_update().get(pk=rights_request.pk)
    if locked.status != RequestStatus.OPEN:
        raise ValidationError(ALREADY_CLOSED)
    return locked


@transaction.atomic
def request_route(
    *, rights_request: RightsRequest, acting_user: Any, keys: Iterable[str] = ()
) -> int:
    """Look again for an open request (with more identifiers, or the ones it has, after
    members' records changed): tasks for newly found members, never a second one for a
    member; returns how many were added."""
    if not can_look_up_people(acting_user):
        raise ValidationError(NOT_ALLOWED)
    locked = _open_locked(rights_request)
    new_keys = sorted(set(keys) - set(locked.person_keys))
    if new_keys:
        locked.person_keys = sorted({*locked.person_keys, *new_keys})
        locked.save(update_fields=["person_keys"])
    holdings = members_holding(locked.person_keys)
    added = _tasks_route(locked, holdings)
    audit_record(
        action="rights.request_routed", actor=acting_user, target=locked.reference,
        request_id=locked.pk, keys_added=len(new_keys), members_matched=len(holdings),
        tasks_added=added,
    )  # fmt: skip
    rights_request.person_keys = locked.person_keys
    return added


@transaction.atomic
def request_extend(
    *, rights_request: RightsRequest, extended_to: datetime.date, reason: str, acting_user: Any
) -> RightsRequest:
    """Extend the deadline once, by up to two further months, with a recorded reason."""
    if not can_look_up_people(acting_user):
        raise ValidationError(NOT_ALLOWED)
    locked = _open_locked(rights_request)
    if locked.extended_to is not None:
        raise ValidationError(ALREADY_EXTENDED)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": EXTENSION_REASON})
    latest = latest_extension_for(locked.received_on)
    if extended_to > latest:
        raise ValidationError({"extended_to": EXTENSION_TOO_LATE.format(
            latest=date_format(latest, "j F Y"))})  # fmt: skip
    if extended_to <= locked.due_on:
        raise ValidationError({"extended_to": EXTENSION_TOO_EARLY.format(
            deadline=date_format(locked.due_on, "j F Y"))})  # fmt: skip
    locked.extended_to, locked.extension_reason = extended_to, reason
    locked.full_clean()
    locked.save(update_fields=["extended_to", "extension_reason"])
    audit_record(
        action="rights.request_extended", actor=acting_user, target=locked.reference,
        request_id=locked.pk, extended_to=extended_to.isoformat(), reason=reason,
    )  # fmt: skip
    return locked


@transaction.atomic
def request_close(
    *, rights_request: RightsRequest, outcome: str, acting_user: Any, refused: bool = False
) -> RightsRequest:
    """Close a request once every member's task is done or declined, with its outcome
    (``refused``: the request itself was refused, e.g. manifestly unfounded)."""
    if not can_look_up_people(acting_user):
        raise ValidationError(NOT_ALLOWED)
    locked = _open_locked(rights_request)
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": OUTCOME_NEEDED})
    finished = (TaskStatus.DONE, TaskStatus.DECLINED)
    if locked.tasks.exclude(status__in=finished).exists():
        raise ValidationError(TASKS_UNFINISHED)
    locked.status = RequestStatus.REFUSED if refused else RequestStatus.DONE
    locked.outcome, locked.closed_at = outcome, timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "outcome", "closed_at"])
    audit_record(
        action="rights.request_closed", actor=acting_user, target=locked.reference,
        request_id=locked.pk, status=locked.status,
    )  # fmt: skip
    return locked


def _task_open_locked(task: MemberTask, acting_user: Any) -> MemberTask:
    if not can_work_rights_tasks(acting_user, task.member):
        raise ValidationError(NOT_ALLOWED)
    locked = (
        MemberTask.objects.select_for_update().select_related("request", "member").get(pk=task.pk)
    )
    if locked.status in (TaskStatus.DONE, TaskStatus.DECLINED):
        raise ValidationError(TASK_FINISHED)
    if locked.request.status != RequestStatus.OPEN:
        raise ValidationError(ALREADY_CLOSED)
    return locked


@transaction.atomic
def task_mark_done(*, task: MemberTask, acting_user: Any) -> MemberTask:
    """The member's lead says its part of the request is done."""
    locked = _task_open_locked(task, acting_user)
    locked.status, locked.error = TaskStatus.DONE, ""
    locked.done_at, locked.done_by = timezone.now(), acting_user
    locked.save(update_fields=["status", "error", "done_at", "done_by"])
    audit_record(
        action="rights.task_done", actor=acting_user, member=locked.member,
        target=locked.request.reference, task_id=locked.pk, request_id=locked.request_id,
    )  # fmt: skip
    return locked


@transaction.atomic
def task_decline(*, task: MemberTask, reason: str, acting_user: Any) -> MemberTask:
    """The member's lead declines its part, with a reason (an exemption, a legal hold...)."""
    locked = _task_open_locked(task, acting_user)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": DECLINE_REASON})
    locked.status, locked.reason = TaskStatus.DECLINED, reason
    locked.done_at, locked.done_by = timezone.now(), acting_user
    locked.full_clean()
    locked.save(update_fields=["status", "reason", "done_at", "done_by"])
    audit_record(
        action="rights.task_declined", actor=acting_user, member=locked.member,
        target=locked.request.reference, task_id=locked.pk, request_id=locked.request_id,
        reason=reason,
    )  # fmt: skip
    return locked
