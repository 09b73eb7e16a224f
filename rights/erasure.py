"""Erasure (UK GDPR Art. 17) of a person held by one member, everywhere Commons reaches, in
one transaction; and the previews and task endings the lead's pages use.

What goes, in the member's schema: the contacts and everything of them (crm.services
``contacts_erase``: roles, consents, tag links, grants, merge snapshots, search words,
interactions where they were the only person; in interactions with others, the link and
their name in the free text). Through crm's ``deleted`` announcement, in the same
transaction: every shared projection of them and their person keys. In public: their
registration snapshots at every event ("Erased", counts kept). Survey answers are an
organisation's, so they stay, with the person's name taken out (their research rows are
pseudonymised already). The disclosure log keeps its plain ids. Every member that copied or
exported the record gets an Art. 19 notice (rights.notices).

Idempotent: a second erasure finds nothing and says so. Atomic: if anything fails, nothing
of the person is removed, and the task (when given) is marked failed with the error in
plain words, recorded after the rollback so that it stays.

Tenant assumptions: called on any schema; enters the member's schema at the task boundary
(``tenants.boundary.member_run``) and returns to the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from tenants.audit import audit_record
from tenants.boundary import member_run
from tenants.models import Member

from .models import MemberTask, TaskStatus
from .notice_models import CopyNotice, NoticeKind
from .notices import copy_notices_send
from .permissions import NOT_A_LEAD, can_act_for_people

logger = logging.getLogger(__name__)

FAILED_DATABASE = (
    "The erasure stopped part-way because the database refused a change, so nothing was "
    "removed and the person's record is as it was. Try again; if it fails again, give the "
    "consortium's support this detail: {detail}"
)
FAILED_OTHER = (
    "The erasure stopped part-way, so nothing was removed and the person's record is as it "
    "was. Try again; if it fails again, give the consortium's support this detail: {detail}"
)
TASK_NOT_OPEN = "This task is not open any more."


class ErasureFailed(ValidationError):
    """The erasure was rolled back; the message says so in plain words."""


@dataclass
class ErasureReport:
    """What one erasure did, as counts (no one's name)."""

    member_id: int
    asked: int
    contacts: int = 0
    roles: int = 0
    consents: int = 0
    interactions_deleted: int = 0
    interactions_kept: int = 0
    registrations_anonymised: int = 0
    survey_answers_redacted: int = 0
    projections_removed: int = 0
    notices: list[CopyNotice] = field(default_factory=list)

    @property
    def already_erased(self) -> bool:
        return self.contacts == 0

    @property
    def summary(self) -> str:
        if self.already_erased:
            line = (
                "Nothing of this person is held here any more: they were already erased, so "
                "nothing was changed."
            )
        else:
            line = (
                f"Erased {self.contacts} contact record{'s' if self.contacts != 1 else ''}, "
                f"with {self.interactions_deleted} interactions of theirs alone; "
                f"{self.interactions_kept} interactions with other people kept without them, "
                f"{self.registrations_anonymised} event registrations anonymised and "
                f"{self.projections_removed} shared copies in the directory removed."
            )
        if self.notices:
            members = len({n.member_id for n in self.notices})
            line += (
                f" {members} member{'s' if members != 1 else ''} that copied or exported the "
                "record were asked to erase their copy."
            )
        return line

    def counts(self) -> dict[str, int]:
        return {
            "asked": self.asked, "contacts": self.contacts, "roles": self.roles,
            "consents": self.consents, "interactions_deleted": self.interactions_deleted,
            "interactions_kept": self.interactions_kept,
            "registrations_anonymised": self.registrations_anonymised,
            "survey_answers_redacted": self.survey_answers_redacted,
            "projections_removed": self.projections_removed, "notices": len(self.notices),
        }  # fmt: skip


def _in_member_schema(ids: list[int], acting_user: Any) -> dict[str, Any]:
    """The member's own part, on its schema: the CRM and the survey answers."""
    from crm.services import contacts_erase
    from surveys.services import responses_redact

    erased = contacts_erase(contact_ids=ids, acting_user=acting_user)
    redacted = (
        responses_redact(acting_user=acting_user, terms=erased.terms) if erased.contacts else 0
    )
    return {**erased.counts(), "survey_answers_redacted": redacted}


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    template = FAILED_DATABASE if isinstance(exc, DatabaseError) else FAILED_OTHER
    return template.format(detail=detail)


def task_fail(task: MemberTask, message: str) -> None:
    """Record that the task's work failed (outside the work's rolled-back transaction)."""
    MemberTask.objects.filter(pk=task.pk).update(status=TaskStatus.FAILED, error=message)
    task.status, task.error = TaskStatus.FAILED, message


def task_finish(task: MemberTask, acting_user: Any) -> None:
    """Mark the task done by ``acting_user`` (inside the work's transaction)."""
    task.status, task.error = TaskStatus.DONE, ""
    task.done_at, task.done_by = timezone.now(), acting_user
    task.save(update_fields=["status", "error", "done_at", "done_by"])


def _contact_ids(contact_ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in contact_ids})


def person_erase(*, member: Member, contact_ids: Iterable[int], acting_user: Any,
                 task: MemberTask | None = None) -> ErasureReport:  # fmt: skip
    """Erase the person (these contacts of ``member``) everywhere Commons reaches, in one
    transaction (see the module's docstring). Only ``member``'s data protection leads may.
    With ``task``, the task is done when the erasure is, or failed with the error."""
    if not can_act_for_people(acting_user, member):
        raise PermissionDenied(NOT_A_LEAD.format(member=member))
    if task is not None and task.member_id != member.pk:
        raise PermissionDenied(NOT_A_LEAD.format(member=task.member))
    ids = _contact_ids(contact_ids)
    try:
        with transaction.atomic():
            report = _erase(member=member, ids=ids, acting_user=acting_user, task=task)
    except Exception as exc:
        message = _failure_message(exc)
        logger.warning("Erasure at member %s failed: %s", member.pk, type(exc).__name__)
        if task is not None:
            task_fail(task, message)
        raise ErasureFailed(message) from exc
    return report


def _erase(*, member: Member, ids: list[int], acting_user: Any,
           task: MemberTask | None) -> ErasureReport:  # fmt: skip
    from events.services import registrations_anonymise
    from sharing.models import RecordType, SharedRecord

    if task is not None:
        task = MemberTask.objects.select_for_update().get(pk=task.pk)
    report = ErasureReport(member_id=member.pk, asked=len(ids))
    report.projections_removed = SharedRecord.objects.filter(
        provider_id=member.pk, record_type=RecordType.CONTACT, record_id__in=ids
    ).count()
    crm_counts = member_run(member, _in_member_schema, ids, acting_user)
    for name in ("contacts", "roles", "consents", "interactions_deleted", "interactions_kept",
                 "survey_answers_redacted"):  # fmt: skip
        setattr(report, name, crm_counts[name])
    if not report.contacts:
        report.projections_removed = 0
    report.registrations_anonymised = registrations_anonymise(
        acting_user=acting_user, member=member, contact_ids=ids
    )
    report.notices = copy_notices_send(
        member=member, contact_ids=ids, kind=NoticeKind.ERASE, acting_user=acting_user,
        request=task.request if task is not None else None,
    )  # fmt: skip
    audit_record(action="person.erased", actor=acting_user, member=member,
                 target=f"task {task.pk}" if task is not None else f"{len(ids)} contacts",
                 **report.counts())  # fmt: skip
    if task is not None:
        task_finish(task, acting_user)
    return report


@dataclass
class ErasurePreview:
    """What an erasure would remove, as counts, for the confirmation page."""

    contacts: int
    interactions_alone: int
    interactions_with_others: int
    roles: int
    consents: int
    registrations: int
    projections: int
    copiers: int
    on_legal_hold: bool

    @property
    def lines(self) -> list[str]:
        out = [
            f"{self.contacts} contact record{'s' if self.contacts != 1 else ''}, with "
            f"{self.roles} roles at organisations, {self.consents} consent decisions and "
            "their tags",
            f"{self.interactions_alone} interactions with only this person (deleted)",
            f"{self.interactions_with_others} interactions with other people (kept, without "
            "this person, their name taken out of the notes)",
            f"{self.registrations} event registrations (the host keeps a place marked "
            "“Erased”, so counts stay)",
            f"{self.projections} shared copies in the consortium's directory",
        ]
        if self.copiers:
            out.append(
                f"{self.copiers} member{'s' if self.copiers != 1 else ''} that copied or "
                "exported the record will be asked to erase their copy"
            )
        return out


def _preview_here(ids: list[int]) -> dict[str, Any]:
    from crm.models import Consent, Contact, ContactRole, Interaction

    links = Interaction.contacts.through.objects
    theirs = set(links.filter(contact_id__in=ids).values_list("interaction_id", flat=True))
    others = set(
        links.filter(interaction_id__in=theirs).exclude(contact_id__in=ids)
        .values_list("interaction_id", flat=True)
    )  # fmt: skip
    contacts = Contact.objects.filter(pk__in=ids)
    return {
        "contacts": contacts.count(),
        "on_legal_hold": contacts.filter(legal_hold=True).exists()
        or Interaction.objects.filter(pk__in=theirs - others, legal_hold=True).exists(),
        "interactions_alone": len(theirs - others),
        "interactions_with_others": len(others),
        "roles": ContactRole.objects.filter(contact_id__in=ids).count(),
        "consents": Consent.objects.filter(contact_id__in=ids).count(),
    }


def person_erasure_preview(*, member: Member, contact_ids: Iterable[int]) -> ErasurePreview:
    """Counts of what ``person_erase`` would remove (a read; no one's name)."""
    from events.models import Registration
    from sharing.models import RecordType, SharedRecord

    from .notices import recipients_of

    ids = _contact_ids(contact_ids)
    here = member_run(member, _preview_here, ids)
    return ErasurePreview(
        **here,
        registrations=Registration.objects.filter(member=member, contact_id__in=ids).count(),
        projections=SharedRecord.objects.filter(
            provider_id=member.pk, record_type=RecordType.CONTACT, record_id__in=ids
        ).count(),
        copiers=len(recipients_of(member=member, record_ids=ids)),
    )
