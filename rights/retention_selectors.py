"""What each retention schedule would touch today, and the log of runs.

The rules, exactly (``cutoff`` is today minus the schedule's period in calendar months, a
month-end clamped: 31 March minus one month is 28 or 29 February; a timestamp counts by its
local date):

* **Interactions, after the interaction's date**: dated on or before the cutoff.
* **Interactions, after the last contact**: dated on or before the cutoff, and no one on it
  has an interaction dated after the cutoff.
* **Contacts, after no activity**: no activity after the cutoff, where activity is any of:
  the contact added or edited (``created_at``, ``updated_at``); an interaction they took part
  in dated after it; a consent decision recorded after it; a role at an organisation that
  started or ended after it (roles carry only those dates); a registration of them by this
  member made after it, or for an event starting after it.
* **Event registrations, after the event**: registrations at events this member hosts that
  ended on or before the cutoff (whoever registered them: the host keeps the list).
* **Import files, after the upload**: uploaded on or before the cutoff and not running.

Never touched, whatever a schedule says: a record on legal hold; an interaction with a
contact or an organisation on legal hold, or with a contact whose processing is restricted
(Art. 18: kept until the restriction is lifted); a contact on hold or restricted, one who
took part in an interaction on hold (or with an organisation on hold), and one named in an
open rights request's task at this member (the lead is still working on it); a registration
of such a contact by this member. Records already anonymised are not anonymised again.

Tenant assumptions: the connection is on the member's schema (its site, or a task that
entered it at its boundary); registrations and rights tasks are read from the public schema
by plain ids, and no query joins two members' schemas.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.models import Consent, Contact, ContactRole, ImportJob, ImportStatus, Interaction
from crm.selectors import contact_ids_hidden_from, contacts_visible_to, interactions_visible_to
from crm.services.anonymise import ANONYMISED_CONTACT, ANONYMISED_INTERACTION
from events.models import Registration
from events.services.anonymise import ANONYMISED_REGISTRATION
from tenants.models import Member

from .models import MemberTask, TaskStatus
from .retention_models import (
    RecordType,
    RetentionAction,
    RetentionRule,
    RetentionRun,
    RetentionSchedule,
)

# The rules each kind of record may use, the first being its default.
RULES_FOR: dict[str, tuple[str, ...]] = {
    RecordType.CONTACT: (RetentionRule.NO_ACTIVITY,),
    RecordType.INTERACTION: (RetentionRule.AFTER_INTERACTION, RetentionRule.AFTER_LAST_CONTACT),
    RecordType.REGISTRATION: (RetentionRule.AFTER_EVENT,),
    RecordType.IMPORT_FILE: (RetentionRule.AFTER_IMPORT,),
}
# What a member is offered before it sets its own: (months, action). Off until turned on.
DEFAULTS: dict[str, tuple[int, str]] = {
    RecordType.INTERACTION: (72, RetentionAction.ANONYMISE),
    RecordType.CONTACT: (36, RetentionAction.ANONYMISE),
    RecordType.REGISTRATION: (24, RetentionAction.ANONYMISE),
    RecordType.IMPORT_FILE: (1, RetentionAction.DELETE),
}
# The order a run works in (and the pages list them in).
RUN_ORDER = (
    RecordType.INTERACTION, RecordType.REGISTRATION, RecordType.IMPORT_FILE, RecordType.CONTACT,
)  # fmt: skip


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months, the day clamped to the month's length."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(*, schedule: RetentionSchedule, today: dt.date | None = None) -> dt.date:
    """The last day a record's date may fall on for ``schedule`` to touch it today."""
    return months_before(today or timezone.localdate(), schedule.period_months)


def _day_after_starts(cutoff: dt.date) -> dt.datetime:
    """The first moment (local time) after ``cutoff``: a timestamp is "after the cutoff" from
    here on."""
    return timezone.make_aware(dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time.min))


def retention_schedules_for(*, member: Member) -> list[RetentionSchedule]:
    """The member's schedule for each kind of record, in run order; a kind it has not set yet
    comes as the default, unsaved and off."""
    stored = {s.record_type: s for s in RetentionSchedule.objects.filter(member=member)}
    schedules = []
    for record_type in RUN_ORDER:
        if record_type in stored:
            schedules.append(stored[record_type])
            continue
        months, action = DEFAULTS[record_type]
        schedules.append(
            RetentionSchedule(
                member=member, record_type=record_type, rule=RULES_FOR[record_type][0],
                period_months=months, action=action, enabled=False,
            )
        )  # fmt: skip
    return schedules


# --- what is held back ---------------------------------------------------------------------


def _open_task_contact_ids(member: Member) -> set[int]:
    ids: set[int] = set()
    for contact_ids in MemberTask.objects.filter(member=member, status=TaskStatus.OPEN).values_list(
        "contact_ids", flat=True
    ):
        ids.update(contact_ids)
    return ids


def _kept_contact_ids() -> list[int]:
    """Contacts whose registrations stay: on hold or with processing restricted."""
    return list(
        Contact.objects.filter(Q(legal_hold=True) | Q(processing_restricted_at__isnull=False))
        .values_list("pk", flat=True)
    )  # fmt: skip


def _held_interactions() -> QuerySet[Interaction]:
    """Interactions kept as they are: on hold themselves, or with someone or some
    organisation on hold, or someone whose processing is restricted."""
    links = Interaction.contacts.through.objects.filter(interaction_id=OuterRef("pk"))
    org_links = Interaction.organisations.through.objects.filter(interaction_id=OuterRef("pk"))
    return Interaction.objects.filter(
        Q(legal_hold=True)
        | Exists(links.filter(Q(contact__legal_hold=True)
                              | Q(contact__processing_restricted_at__isnull=False)))
        | Exists(org_links.filter(organisation__legal_hold=True))
    )  # fmt: skip


# --- what each schedule would touch ------------------------------------------------------------


def _interactions_due(schedule: RetentionSchedule, cutoff: dt.date) -> QuerySet[Interaction]:
    due = Interaction.objects.filter(date__lte=cutoff).exclude(pk__in=_held_interactions())
    if schedule.rule == RetentionRule.AFTER_LAST_CONTACT:
        someone_seen_since = Interaction.contacts.through.objects.filter(
            interaction_id=OuterRef("pk"), contact__interactions__date__gt=cutoff
        )
        due = due.exclude(Exists(someone_seen_since))
    if schedule.action == RetentionAction.ANONYMISE:
        has_people = Interaction.contacts.through.objects.filter(interaction_id=OuterRef("pk"))
        due = due.exclude(Q(summary=ANONYMISED_INTERACTION) & ~Exists(has_people))
    return due


def _contacts_due(schedule: RetentionSchedule, cutoff: dt.date) -> QuerySet[Contact]:
    since = _day_after_starts(cutoff)
    member = schedule.member
    links = Interaction.contacts.through.objects.filter(contact_id=OuterRef("pk"))
    recent_registrations = (
        Registration.objects.filter(member=member, contact_id__isnull=False)
        .filter(Q(created_at__gte=since) | Q(event__starts_at__gte=since))
        .values_list("contact_id", flat=True)
    )  # fmt: skip
    held_back = {int(i) for i in recent_registrations if i is not None}
    held_back |= _open_task_contact_ids(member)
    due = (
        Contact.objects.filter(created_at__lt=since, updated_at__lt=since, legal_hold=False,
                               processing_restricted_at__isnull=True)
        .exclude(Exists(links.filter(interaction__date__gt=cutoff)))
        .exclude(Exists(links.filter(Q(interaction__legal_hold=True)
                                     | Q(interaction__organisations__legal_hold=True))))
        .exclude(Exists(Consent.objects.filter(contact_id=OuterRef("pk"), recorded_at__gte=since)))
        .exclude(Exists(ContactRole.objects.filter(contact_id=OuterRef("pk")).filter(
            Q(start_date__gt=cutoff) | Q(end_date__gt=cutoff))))
        .exclude(pk__in=held_back)
    )  # fmt: skip
    if schedule.action == RetentionAction.ANONYMISE:
        due = due.exclude(last_name=ANONYMISED_CONTACT, first_name="", email="")
    return due


def _registrations_due(schedule: RetentionSchedule, cutoff: dt.date) -> QuerySet[Registration]:
    due = Registration.objects.filter(
        event__host=schedule.member, event__ends_at__lt=_day_after_starts(cutoff)
    ).exclude(member=schedule.member, contact_id__in=_kept_contact_ids())
    if schedule.action == RetentionAction.ANONYMISE:
        due = due.exclude(name=ANONYMISED_REGISTRATION, email="", contact_id__isnull=True)
    return due


def _imports_due(schedule: RetentionSchedule, cutoff: dt.date) -> QuerySet[ImportJob]:
    due = ImportJob.objects.filter(created_at__lt=_day_after_starts(cutoff)).exclude(
        status__in=[ImportStatus.CHECKING, ImportStatus.IMPORTING]
    )
    if schedule.action == RetentionAction.ANONYMISE:
        due = due.exclude(file="")
    return due


_DUE: dict[str, Callable[[RetentionSchedule, dt.date], QuerySet]] = {
    RecordType.INTERACTION: _interactions_due,
    RecordType.CONTACT: _contacts_due,
    RecordType.REGISTRATION: _registrations_due,
    RecordType.IMPORT_FILE: _imports_due,
}


def retention_due(*, schedule: RetentionSchedule, today: dt.date | None = None) -> QuerySet:
    """The records ``schedule`` would anonymise or delete today (on or off: the caller
    decides whether it runs), ordered by id: the order a run works in."""
    cutoff = retention_cutoff(schedule=schedule, today=today)
    return _DUE[schedule.record_type](schedule, cutoff).order_by("pk")


# --- the preview ---------------------------------------------------------------------------


@dataclass
class PreviewLine:
    schedule: RetentionSchedule
    cutoff: dt.date
    count: int
    sample: list[str] = field(default_factory=list)
    hidden_in_sample: int = 0

    @property
    def record_type_label(self) -> str:
        return RecordType(self.schedule.record_type).label.lower()

    @property
    def verb(self) -> str:
        return "anonymise" if self.schedule.action == RetentionAction.ANONYMISE else "delete"


def _sample(schedule: RetentionSchedule, due: QuerySet, user: Any, size: int) -> list[str]:
    """A few of the records due, as the user may see them: restricted contacts (and their
    interactions and registrations) only for those granted them."""
    if schedule.record_type == RecordType.CONTACT:
        visible = contacts_visible_to(user=user).filter(pk__in=due.values("pk"))
        return [c.display_name or "(no name)" for c in visible.order_by("pk")[:size]]
    if schedule.record_type == RecordType.INTERACTION:
        seen = interactions_visible_to(user=user).filter(pk__in=due.values("pk"))
        return [f"{i.get_kind_display()} on {i.date:%-d %b %Y}: {i.summary}"
                for i in seen.order_by("pk")[:size]]  # fmt: skip
    if schedule.record_type == RecordType.REGISTRATION:
        hidden = contact_ids_hidden_from(user=user)
        shown = due.exclude(member=schedule.member, contact_id__in=hidden).select_related("event")
        return [f"{r.name} at {r.event.title} ({timezone.localdate(r.event.starts_at):%-d %b %Y})"
                for r in shown[:size]]  # fmt: skip
    return [
        f"{j.original_name or 'An import'}, uploaded {timezone.localdate(j.created_at):%-d %b %Y}"
        for j in due[:size]
    ]


def retention_preview(
    *, member: Member, user: Any, today: dt.date | None = None, sample_size: int = 5
) -> list[PreviewLine]:
    """For each of the member's schedules (on or off), how many records it would touch today
    and a short sample of which, shown only as ``user`` may see them."""
    lines = []
    for schedule in retention_schedules_for(member=member):
        due = retention_due(schedule=schedule, today=today)
        count = due.count()
        sample = _sample(schedule, due, user, sample_size) if count else []
        lines.append(
            PreviewLine(
                schedule=schedule, cutoff=retention_cutoff(schedule=schedule, today=today),
                count=count, sample=sample,
                hidden_in_sample=max(0, min(count, sample_size) - len(sample)),
            )
        )  # fmt: skip
    return lines


# --- the log -----------------------------------------------------------------------------------


def retention_runs_for(*, member: Member, limit: int = 20) -> list[RetentionRun]:
    """The member's latest runs, newest first."""
    return list(RetentionRun.objects.filter(member=member).select_related("requested_by")[:limit])


def retention_run_going(*, member: Member) -> RetentionRun | None:
    """The member's run that is queued or running, if any."""
    return (
        RetentionRun.objects.filter(member=member, status__in=["queued", "running"])
        .order_by("-created_at").first()
    )  # fmt: skip
