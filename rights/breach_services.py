"""Writes to the breach log: recording a breach, changing its details and assessment, the
dated decisions (append-only), the report to the ICO, affected members' notes, closing.

Every write is atomic, checks who may make it, and writes an audit row. ``member`` is the
site the person acts on (None: the consortium site). Tenant assumptions: none; everything is
in the public schema, and a breach holds counts, never a member's records.
"""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from tenants.audit import audit_record
from tenants.models import Member
from tenants.permissions import permission_require

from . import breach_mail
from .breach_models import (
    RECORD_COUNTS,
    Breach,
    BreachEntry,
    BreachStatus,
    Decision,
    EntryKind,
)
from .permissions import can_manage_breach, can_note_breach, can_record_breach

NO_MEMBERS = "Choose at least one member the breach affects."
FOUND_IN_FUTURE = "When it was found cannot be in the future."
HAPPENED_AFTER_FOUND = "It cannot have happened after it was found."
UNDECIDED_CLOSE = "Decide whether it must be reported to the ICO before closing it."
UNREPORTED_CLOSE = "Record the report to the ICO before closing it (it was decided to report)."
REPORTED_IN_FUTURE = "The date of the report cannot be in the future."
REPORTED_BEFORE_FOUND = "The report cannot be before the breach was found."
ALREADY_CLOSED = "This breach is closed."
EMPTY_TEXT = "Write what was decided and why."
EMPTY_NOTE = "Write the note."

DETAIL_FIELDS = ("title", "what_happened", "occurred_at", "found_at", "found_by",
                 "special_category", "likelihood", "severity",
                 *(name for name, _label in RECORD_COUNTS))  # fmt: skip


def _actor_name(user: Any) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return (name or getattr(user, "username", "") or "Commons")[:150]


def _entry(*, breach: Breach, kind: str, acting_user: Any, member: Member | None,
           text: str) -> BreachEntry:  # fmt: skip
    return BreachEntry.objects.create(
        breach_id=breach.pk, kind=kind, actor_id=getattr(acting_user, "pk", None),
        actor_name=_actor_name(acting_user), member_id=getattr(member, "pk", None), text=text,
    )  # fmt: skip


def _reference(year: int) -> str:
    with connection.cursor() as cursor:  # one number per breach, in order, under concurrency
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('rights.breach_reference'))")
    count = Breach.objects.filter(reference__startswith=f"BR-{year}-").count()
    return f"BR-{year}-{count + 1:03d}"


def _check_dates(breach: Breach) -> None:
    errors: dict[str, str] = {}
    if breach.found_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["found_at"] = FOUND_IN_FUTURE
    if breach.occurred_at is not None and breach.occurred_at > breach.found_at:
        errors["occurred_at"] = HAPPENED_AFTER_FOUND
    if errors:
        raise ValidationError(errors)


def _open(breach: Breach) -> None:
    if breach.status == BreachStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED)


def _tell(breach: Breach, members: list[Member]) -> None:
    if members:
        transaction.on_commit(partial(breach_mail.breach_email_send, breach_id=breach.pk,
                                      member_ids=[m.pk for m in members]))  # fmt: skip


@transaction.atomic
def breach_record(*, acting_user: Any, member: Member | None, members: list[Member],
                  **details: Any) -> Breach:  # fmt: skip
    """Record a breach found at ``details['found_at']``; its 72 hours start then.

    On a member's site the breach is that member's and affects it (``members`` may add
    others only on the consortium site). The affected members' data protection leads are
    e-mailed once the breach is saved."""
    permission_require(can_record_breach(acting_user, member))
    affected = [member] if member is not None else list(dict.fromkeys(members))
    if not affected:
        raise ValidationError({"members": NO_MEMBERS})
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown breach fields: {sorted(unknown)}")
    breach = Breach(recorded_for=member, recorded_by=acting_user, **details)
    _check_dates(breach)
    breach.reference = _reference(breach.found_at.year)
    breach.full_clean()
    breach.save()
    breach.members.set(affected)
    _entry(breach=breach, kind=EntryKind.DECISION, acting_user=acting_user, member=member,
           text=f"Recorded. Risk assessed as: {breach.risk_label}.")  # fmt: skip
    audit_record(action="breach.recorded", actor=acting_user, member=member,
                 target=breach.reference, members=[m.pk for m in affected],
                 risk=breach.risk)  # fmt: skip
    _tell(breach, affected)
    return breach


@transaction.atomic
def breach_update(*, acting_user: Any, member: Member | None, breach: Breach,
                  members: list[Member] | None = None, **changes: Any) -> Breach:  # fmt: skip
    """Change what is known of a breach or its assessment; a changed risk is recorded as a
    decision. Members newly named as affected (consortium site only) are told."""
    permission_require(can_manage_breach(acting_user, member, breach))
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    _open(breach)
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown breach fields: {sorted(unknown)}")
    risk_before = breach.risk
    changed = [f for f, v in changes.items() if getattr(breach, f) != v]
    for field, value in changes.items():
        setattr(breach, field, value)
    _check_dates(breach)
    breach.full_clean()
    breach.save()
    added: list[Member] = []
    if members is not None and member is None:
        if not members:
            raise ValidationError({"members": NO_MEMBERS})
        before = set(breach.members.values_list("pk", flat=True))
        added = [m for m in members if m.pk not in before]
        if {m.pk for m in members} != before:
            changed.append("members")
        breach.members.set(members)
    if breach.risk != risk_before:
        _entry(breach=breach, kind=EntryKind.DECISION, acting_user=acting_user, member=member,
               text=f"Risk reassessed as: {breach.risk_label}.")  # fmt: skip
    if changed:
        audit_record(action="breach.changed", actor=acting_user, member=member,
                     target=breach.reference, fields=sorted(changed))  # fmt: skip
    _tell(breach, added)
    return breach


@transaction.atomic
def breach_decide(*, acting_user: Any, member: Member | None, breach: Breach,
                  report_to_ico: str, tell_people: str, text: str) -> BreachEntry:  # fmt: skip
    """Record a dated decision: whether to report to the ICO and tell the people affected,
    and why. Earlier decisions stay as they were; this one is added after them."""
    permission_require(can_manage_breach(acting_user, member, breach))
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    _open(breach)
    if not text.strip():
        raise ValidationError({"text": EMPTY_TEXT})
    breach.report_to_ico = report_to_ico
    breach.tell_people = tell_people
    breach.full_clean()
    breach.save(update_fields=["report_to_ico", "tell_people"])
    entry = _entry(
        breach=breach, kind=EntryKind.DECISION, acting_user=acting_user, member=member,
        text=(f"Report to the ICO: {breach.get_report_to_ico_display()}. Tell the people "
              f"affected: {breach.get_tell_people_display()}. {text.strip()}"),
    )  # fmt: skip
    audit_record(action="breach.decided", actor=acting_user, member=member,
                 target=breach.reference, report_to_ico=report_to_ico,
                 tell_people=tell_people)  # fmt: skip
    return entry


@transaction.atomic
def breach_report(*, acting_user: Any, member: Member | None, breach: Breach,
                  reported_at: datetime.datetime, ico_reference: str) -> Breach:  # fmt: skip
    """Record that the breach was reported to the ICO, when, and the ICO's reference."""
    permission_require(can_manage_breach(acting_user, member, breach))
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    _open(breach)
    if reported_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"reported_at": REPORTED_IN_FUTURE})
    if reported_at < breach.found_at:
        raise ValidationError({"reported_at": REPORTED_BEFORE_FOUND})
    breach.reported_at = reported_at
    breach.ico_reference = ico_reference.strip()
    breach.report_to_ico = Decision.YES
    breach.full_clean()
    breach.save(update_fields=["reported_at", "ico_reference", "report_to_ico"])
    local = timezone.localtime(reported_at)
    _entry(breach=breach, kind=EntryKind.DECISION, acting_user=acting_user, member=member,
           text=(f"Reported to the ICO on {local:%d %B %Y at %H:%M}"
                 + (f", reference {breach.ico_reference}." if breach.ico_reference
                    else ".")))  # fmt: skip
    audit_record(action="breach.reported", actor=acting_user, member=member,
                 target=breach.reference, ico_reference=breach.ico_reference)  # fmt: skip
    return breach


@transaction.atomic
def breach_note(*, acting_user: Any, member: Member | None, breach: Breach,
                text: str) -> BreachEntry:  # fmt: skip
    """An affected member's (or the consortium's) note on a breach: what it found, what it
    did. Notes are added, never edited."""
    permission_require(can_note_breach(acting_user, member, breach))
    if not text.strip():
        raise ValidationError({"text": EMPTY_NOTE})
    entry = _entry(breach=breach, kind=EntryKind.NOTE, acting_user=acting_user, member=member,
                   text=text.strip())  # fmt: skip
    audit_record(action="breach.noted", actor=acting_user, member=member,
                 target=breach.reference)  # fmt: skip
    return entry


@transaction.atomic
def breach_close(*, acting_user: Any, member: Member | None, breach: Breach,
                 text: str) -> Breach:  # fmt: skip
    """Close a breach once the report decision is made (and, if reportable, the report is
    recorded). The closing note is a decision like any other."""
    permission_require(can_manage_breach(acting_user, member, breach))
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    _open(breach)
    if breach.report_to_ico == Decision.UNDECIDED:
        raise ValidationError(UNDECIDED_CLOSE)
    if breach.report_to_ico == Decision.YES and breach.reported_at is None:
        raise ValidationError(UNREPORTED_CLOSE)
    if not text.strip():
        raise ValidationError({"text": EMPTY_TEXT})
    breach.status = BreachStatus.CLOSED
    breach.closed_at = timezone.now()
    breach.save(update_fields=["status", "closed_at"])
    _entry(breach=breach, kind=EntryKind.DECISION, acting_user=acting_user, member=member,
           text=f"Closed. {text.strip()}")  # fmt: skip
    audit_record(action="breach.closed", actor=acting_user, member=member,
                 target=breach.reference)  # fmt: skip
    return breach
