"""Art. 19 notices: when a member erases or corrects a person's record (or leaves the
consortium), every other member that copied that record into its own CRM or received it in
an export gets a notice, a task "erase or correct your copy", naming its copy where Commons
made it (every copy carries the provider's member and record id).

Who received what comes from the disclosure log (plain ids); each recipient's copy is found
in the recipient's own schema, entered at the task boundary (``tenants.boundary``). A notice
holds plain ids only; the recipient's page reads its copy's name from its own schema.

Tenant assumptions: the services are called on any schema and return on it; the notices
live in the public schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sharing.models import Disclosure, DisclosureAction, RecordType
from tenants.audit import audit_record
from tenants.boundary import member_run
from tenants.models import Member, MemberKind

from .models import RightsRequest
from .notice_models import CopyNotice, NoticeKind, NoticeStatus, ReceivedBy
from .permissions import NOT_LEAD_OR_MANAGER, can_handle_copy_notices

REASON_NEEDED = "Say why the copy is kept (for example, a legal reason to keep it)."
ALREADY_CLOSED = "This notice has already been dealt with."
UNKNOWN_KIND = "Unknown kind of notice."
RECEIVED = {DisclosureAction.COPY: ReceivedBy.COPY, DisclosureAction.EXPORT: ReceivedBy.EXPORT}


def _copies_in_recipient(record_type: str, provider_id: int, record_ids: list[int]) -> dict:
    """On the recipient's schema: its copies of the provider's records, by record id."""
    from crm.selectors import contacts_copied_from, organisations_copied_from

    finder = (
        contacts_copied_from if record_type == RecordType.CONTACT else organisations_copied_from
    )
    found = finder(member_id=provider_id, record_ids=record_ids)
    return {rid: [c.pk for c in copies] for rid, copies in found.items()}


def recipients_of(
    *, member: Member, record_ids: Iterable[int], record_type: str = RecordType.CONTACT
) -> dict[int, dict[str, set[int]]]:
    """Which members copied or exported which of ``member``'s records, from the disclosure
    log: {recipient id: {"copy" | "export": record ids}}. The member itself is left out."""
    ids = sorted({int(i) for i in record_ids})
    received: dict[int, dict[str, set[int]]] = {}
    if not ids:
        return received
    rows = (
        Disclosure.objects.filter(
            provider_id=member.pk, record_type=record_type, record_ids__overlap=ids,
            action__in=list(RECEIVED),
        )
        .exclude(member_id=member.pk)
        .values_list("member_id", "action", "record_ids")
    )  # fmt: skip
    wanted = set(ids)
    for member_id, action, record_ids_seen in rows:
        got = received.setdefault(member_id, {}).setdefault(str(RECEIVED[action]), set())
        got.update(wanted.intersection(record_ids_seen))
    return received


@transaction.atomic
def copy_notices_send(*, member: Member, contact_ids: Iterable[int], kind: str, acting_user: Any,
                      request: RightsRequest | None = None,
                      record_type: str = RecordType.CONTACT) -> list[CopyNotice]:  # fmt: skip
    """Tell every member that copied or exported these records of ``member``'s that it
    erased them (``erase``), corrected them (``correct``) or is leaving (``member_exit``).

    One notice per recipient, record and way received (and per copy, where it made more than
    one); a notice still open for the same thing is not sent twice, so a second erasure
    sends nothing new. Returns the notices made."""
    if kind not in NoticeKind.values:
        raise ValidationError(UNKNOWN_KIND)
    received = recipients_of(member=member, record_ids=contact_ids, record_type=record_type)
    recipients = Member.objects.filter(pk__in=received, kind=MemberKind.MEMBER).order_by("pk")
    made: list[CopyNotice] = []
    for recipient in recipients:
        ways = received[recipient.pk]
        copied = sorted(ways.get(ReceivedBy.COPY, set()) | ways.get(ReceivedBy.EXPORT, set()))
        copies = member_run(recipient, _copies_in_recipient, record_type, member.pk, copied)
        wanted: list[tuple[int, str, int | None]] = []
        for record_id in sorted(ways.get(ReceivedBy.COPY, set())):
            wanted += [(record_id, ReceivedBy.COPY, c) for c in copies.get(record_id, [None])]
        for record_id in sorted(ways.get(ReceivedBy.EXPORT, set())):
            wanted.append((record_id, ReceivedBy.EXPORT, None))
        for record_id, way, copy_id in wanted:
            same = CopyNotice.objects.filter(
                member=recipient, provider_id=member.pk, kind=kind, record_type=record_type,
                record_id=record_id, received_by=way, copy_id=copy_id,
            )  # fmt: skip
            # An erasure or an exit is told once; each new correction is told again.
            if (
                same.filter(status=NoticeStatus.OPEN) if kind == NoticeKind.CORRECT else same
            ).exists():
                continue
            made.append(CopyNotice.objects.create(
                member=recipient, provider_id=member.pk, provider_name=member.name, kind=kind,
                record_type=record_type, record_id=record_id, received_by=way, copy_id=copy_id,
                request=request, sent_by=acting_user if getattr(acting_user, "pk", None) else None,
            ))  # fmt: skip
    if made:
        audit_record(action="copy_notice.sent", actor=acting_user, member=member,
                     target=f"{len(made)} notices", notices=len(made), kind=kind,
                     recipients=len({n.member_id for n in made}),
                     request=getattr(request, "pk", None))  # fmt: skip
    return made


def copy_notices_for(*, member: Member, open_only: bool = False) -> QuerySet[CopyNotice]:
    """The notices ``member`` received, open ones first. Tenant assumptions: none (public)."""
    notices = CopyNotice.objects.filter(member=member)
    if open_only:
        notices = notices.filter(status=NoticeStatus.OPEN)
    return notices.order_by("-status", "-sent_at", "-id")  # "open" sorts after "done"


def copy_notices_open_count(*, member: Member | None) -> int:
    if member is None:
        return 0
    return CopyNotice.objects.filter(member=member, status=NoticeStatus.OPEN).count()


def copy_notice_get_for(*, member: Member, notice_id: int) -> CopyNotice:
    """One of ``member``'s notices; another member's and a missing one raise the same
    DoesNotExist."""
    return CopyNotice.objects.get(pk=notice_id, member=member)


@transaction.atomic
def copy_notice_close(*, notice: CopyNotice, acting_user: Any, done: bool,
                      reason: str = "") -> CopyNotice:  # fmt: skip
    """The recipient's lead or manager records what happened to its copy: done (erased or
    corrected), or not done with a recorded reason."""
    if not can_handle_copy_notices(acting_user, notice.member):
        raise PermissionDenied(NOT_LEAD_OR_MANAGER.format(member=notice.member))
    notice = CopyNotice.objects.select_for_update().get(pk=notice.pk)
    if not notice.is_open:
        raise ValidationError(ALREADY_CLOSED)
    reason = " ".join(reason.split())[:300]
    if not done and not reason:
        raise ValidationError({"reason": REASON_NEEDED})
    notice.status = NoticeStatus.DONE if done else NoticeStatus.DECLINED
    notice.reason = reason
    notice.done_at = timezone.now()
    notice.done_by = acting_user
    notice.full_clean()
    notice.save()
    audit_record(action="copy_notice.closed", actor=acting_user, member=notice.member,
                 target=f"notice {notice.pk}", done=done)  # fmt: skip
    return notice
