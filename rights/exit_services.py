"""A member's exit, step by step: its managers' complete export (built on the queue), the
consortium's confirmation of its leaving, the grace period, and the drop of its schema with a
certificate of what was deleted when.

Tenant assumptions: the services are called on the public schema (where exits, members,
memberships and agreements live). The export itself runs on the member's schema, entered at
the queue's boundary (tenants.queue); the drop names the member's schema in its DDL.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from tenants.audit import audit_record
from tenants.models import DROPPED_SCHEMA_PREFIX, Domain, Member, Membership
from tenants.permissions import permission_require
from tenants.queue import member_task_defer
from tenants.session_services import user_member_access_end

from .exit_export import quote_ident, schema_row_counts
from .exit_models import CONFIRMABLE, ExitState, MemberExit
from .exit_permissions import (
    NOT_A_MANAGER,
    NOT_AN_ADMIN,
    can_decide_member_exit,
    can_export_member,
)
from .exit_selectors import exit_copiers, member_exit_open

ALREADY_LEAVING = "{member} has already left: its data is kept until {until}, then deleted."
NOT_CONFIRMABLE = (
    "{member}’s leaving cannot be confirmed yet: its managers must first download the "
    "complete export, or say they do not need it."
)
NOT_CANCELLABLE = "This exit cannot be cancelled: {why}."
NO_EXPORT = "There is no export to download yet."
NOT_A_MEMBER = "Only a member organisation can leave."


def _locked(exit_: MemberExit) -> MemberExit:
    return MemberExit.objects.select_for_update().select_related("member").get(pk=exit_.pk)


def _member_check(member: Member) -> None:
    if member.kind != "member":
        raise ValidationError(NOT_A_MEMBER)


@transaction.atomic
def member_exit_export_start(*, member: Member, acting_user: Any) -> MemberExit:
    """A manager starts (or starts again) the member's complete export, built on the queue;
    the exit's row and its job commit together. A member that has left cannot start one:
    its managers are gone, and its export was made before."""
    permission_require(can_export_member(acting_user, member), NOT_A_MANAGER.format(member=member))
    _member_check(member)
    Member.objects.select_for_update().filter(pk=member.pk).first()
    exit_ = member_exit_open(member)
    if exit_ is not None and exit_.state == ExitState.LEAVING:
        raise ValidationError(ALREADY_LEAVING.format(member=member, until=exit_.grace_until))
    if exit_ is not None and exit_.is_exporting:
        return exit_
    if exit_ is None:
        exit_ = MemberExit(member=member, requested_by=acting_user)
    _file_remove(exit_)
    exit_.requested_by = acting_user
    exit_.state = ExitState.EXPORT_QUEUED
    exit_.progress, exit_.phase, exit_.error, exit_.sha256 = 0, "Waiting to start", "", ""
    exit_.downloaded_at = exit_.downloaded_by = exit_.declined_at = exit_.declined_by = None
    exit_.save()
    member_task_defer(schema_name=member.schema_name,
                      dotted_path="rights.exit_jobs.member_exit_export_task",
                      args=(exit_.pk,))  # fmt: skip
    audit_record(action="member_exit.export_started", actor=acting_user, member=member,
                 target=member.name, exit_id=exit_.pk)  # fmt: skip
    return exit_


def _file_remove(exit_: MemberExit) -> None:
    if exit_.file_path:
        Path(exit_.file_path).unlink(missing_ok=True)
    exit_.file_path, exit_.file_size = "", None


@transaction.atomic
def member_exit_download(*, exit_: MemberExit, acting_user: Any) -> Path:
    """A manager downloads the export: logged, and the leaving may then be confirmed."""
    exit_ = _locked(exit_)
    member = exit_.member
    permission_require(can_export_member(acting_user, member), NOT_A_MANAGER.format(member=member))
    path = Path(exit_.file_path) if exit_.file_path else None
    if not exit_.has_export or path is None or not path.exists():
        raise ValidationError(NO_EXPORT)
    exit_.downloaded_at, exit_.downloaded_by = timezone.now(), acting_user
    if exit_.state == ExitState.EXPORT_READY:
        exit_.state = ExitState.DOWNLOADED
    exit_.save(update_fields=["downloaded_at", "downloaded_by", "state"])
    audit_record(action="member_exit.export_downloaded", actor=acting_user, member=member,
                 target=member.name, exit_id=exit_.pk, sha256=exit_.sha256)  # fmt: skip
    return path


@transaction.atomic
def member_exit_export_decline(*, member: Member, acting_user: Any) -> MemberExit:
    """A manager says the member needs no export: the leaving may be confirmed without one."""
    permission_require(can_export_member(acting_user, member), NOT_A_MANAGER.format(member=member))
    _member_check(member)
    exit_ = member_exit_open(member)
    if exit_ is not None and exit_.state == ExitState.LEAVING:
        raise ValidationError(ALREADY_LEAVING.format(member=member, until=exit_.grace_until))
    if exit_ is None:
        exit_ = MemberExit(member=member, requested_by=acting_user)
    exit_.state = ExitState.DECLINED
    exit_.declined_at, exit_.declined_by = timezone.now(), acting_user
    exit_.save()
    audit_record(action="member_exit.export_declined", actor=acting_user, member=member,
                 target=member.name, exit_id=exit_.pk)  # fmt: skip
    return exit_


def _copiers_notify(*, member: Member, acting_user: Any) -> dict[str, Any]:
    """Tell every member that copied or exported the leaving member's contacts (Art. 19's
    spirit: their copies are now theirs alone to keep or erase), through the Art. 19
    notices (rights.notices); the certificate records who was told."""
    from .notices import copy_notices_send

    copiers = exit_copiers(member)
    contact_ids = sorted({i for ids in copiers.values() for i in ids})
    sent = []
    if contact_ids:
        sent = copy_notices_send(member=member, contact_ids=contact_ids, kind="member_exit",
                                 acting_user=acting_user, request=None)  # fmt: skip
    return {"members": sorted(copiers), "contacts": len(contact_ids),
            "notices_sent": len(sent)}  # fmt: skip


def _memberships_end(member: Member, acting_user: Any) -> list[dict[str, Any]]:
    """End everyone's work at ``member``: memberships, their sessions on its site, and API
    tokens that no other membership needs (tenants.session_services, as for a removal).
    Returns who worked there and as what, so a cancelled exit can give it back."""
    ended = []
    for membership in (
        Membership.objects.select_for_update().filter(member=member).select_related("user")
    ):
        user = membership.user
        ended.append({
            "user_id": user.pk, "role": membership.role,
            "is_data_protection_lead": membership.is_data_protection_lead,
            "suspended": membership.suspended_at is not None,
        })  # fmt: skip
        membership.delete()
        token_deleted = user_member_access_end(user=user, member=member, acting_user=acting_user)
        audit_record(
            action="membership.removed", actor=acting_user, member=member,
            target=user.get_username(), user_id=user.pk, api_token_deleted=token_deleted,
            reason="the member left the consortium",
        )  # fmt: skip
    return ended


@transaction.atomic
def member_exit_confirm(*, exit_: MemberExit, acting_user: Any) -> MemberExit:
    """A consortium admin confirms the member's leaving, once its managers have downloaded
    the export or declined it. In this one transaction: every agreement it is party to ends
    (recipients' shared records go at once), members that copied its records are told, its
    staff's memberships, sessions and API tokens end, and its site closes. Its schema is kept
    for ``EXIT_GRACE_DAYS``, then dropped by the scheduled job."""
    from sharing.services import agreements_terminate_for_exit

    permission_require(can_decide_member_exit(acting_user), NOT_AN_ADMIN)
    exit_ = _locked(exit_)
    member = Member.organisations.select_for_update().get(pk=exit_.member_id)
    if exit_.state == ExitState.LEAVING:
        raise ValidationError(ALREADY_LEAVING.format(member=member, until=exit_.grace_until))
    if exit_.state not in CONFIRMABLE:
        raise ValidationError(NOT_CONFIRMABLE.format(member=member))
    ended_agreements = agreements_terminate_for_exit(member=member, acting_user=acting_user)
    copiers = _copiers_notify(member=member, acting_user=acting_user)
    exit_.memberships_ended = _memberships_end(member, acting_user)
    member.is_active = False
    member.save(update_fields=["is_active"])
    now = timezone.now()
    exit_.state = ExitState.LEAVING
    exit_.confirmed_at, exit_.confirmed_by = now, acting_user
    exit_.grace_until = now + datetime.timedelta(days=settings.EXIT_GRACE_DAYS)
    exit_.certificate = {
        "agreements_terminated": [{"id": a.pk, "title": a.title} for a in ended_agreements],
        "copiers": copiers,
    }
    exit_.save()
    audit_record(
        action="member_exit.confirmed", actor=acting_user, member=member, target=member.name,
        exit_id=exit_.pk, agreements=len(ended_agreements),
        memberships=len(exit_.memberships_ended), grace_until=exit_.grace_until.isoformat(),
    )  # fmt: skip
    return exit_


@transaction.atomic
def member_exit_cancel(*, exit_: MemberExit, acting_user: Any) -> MemberExit:
    """A consortium admin cancels the exit within the grace period: the site reopens and
    everyone who worked there works there again, as before. Ended agreements stay ended
    (the confirmation page says so): they are made again if the member wants them."""
    permission_require(can_decide_member_exit(acting_user), NOT_AN_ADMIN)
    exit_ = _locked(exit_)
    member = Member.organisations.select_for_update().get(pk=exit_.member_id)
    if exit_.state != ExitState.LEAVING:
        raise ValidationError(NOT_CANCELLABLE.format(why="the member has not left"))
    if exit_.grace_until is not None and exit_.grace_until <= timezone.now():
        raise ValidationError(NOT_CANCELLABLE.format(why="its grace period has ended"))
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([e["user_id"] for e in exit_.memberships_ended])
    restored = 0
    for entry in exit_.memberships_ended:
        user = users.get(entry["user_id"])
        if user is None or not user.is_active:
            continue
        Membership.objects.get_or_create(
            user=user, member=member,
            defaults={"role": entry["role"], "created_by": acting_user,
                      "is_data_protection_lead": entry.get("is_data_protection_lead", False),
                      "suspended_at": timezone.now() if entry.get("suspended") else None},
        )  # fmt: skip
        restored += 1
    member.is_active = True
    member.save(update_fields=["is_active"])
    exit_.state = ExitState.CANCELLED
    exit_.cancelled_at, exit_.cancelled_by = timezone.now(), acting_user
    exit_.save(update_fields=["state", "cancelled_at", "cancelled_by"])
    audit_record(action="member_exit.cancelled", actor=acting_user, member=member,
                 target=member.name, exit_id=exit_.pk, memberships=restored)  # fmt: skip
    return exit_


def _who(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@transaction.atomic
def member_exit_drop(*, exit_: MemberExit, acting_user: Any = None) -> MemberExit:
    """Drop the member's schema once its grace period is over, and write the certificate:
    every table and how many rows it held, the export's checksum, who confirmed the leaving,
    and the dates. The export file goes too (nothing of the member's data is left with the
    consortium); the member's row stays, closed, because agreements and events name it."""
    exit_ = _locked(exit_)
    member = Member.organisations.select_for_update().get(pk=exit_.member_id)
    if exit_.state != ExitState.LEAVING or exit_.grace_until is None:
        raise ValidationError(NOT_CANCELLABLE.format(why="the member has not left"))
    if exit_.grace_until > timezone.now():
        raise ValidationError(f"{member} is in its grace period until {exit_.grace_until}.")
    schema = member.schema_name
    tables = schema_row_counts(schema)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still pending in this transaction would block the drop.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP SCHEMA {quote_ident(schema)} CASCADE")
    export_removed = bool(exit_.file_path)
    _file_remove(exit_)
    Domain.objects.filter(tenant=member).delete()
    member.schema_name = f"{DROPPED_SCHEMA_PREFIX}{member.pk}"
    member.is_active = False
    member.save(update_fields=["schema_name", "is_active"])
    now = timezone.now()
    earlier = exit_.certificate or {}
    exit_.certificate = {
        "member": {"id": member.pk, "name": member.name, "slug": member.slug},
        "schema": schema,
        "dropped_at": now.isoformat(timespec="seconds"),
        "tables": tables,
        "table_count": len(tables),
        "row_count": sum(t["rows"] for t in tables),
        "export": {
            "sha256": exit_.sha256,
            "finished_at": exit_.export_finished_at.isoformat(timespec="seconds")
            if exit_.export_finished_at else None,
            "downloaded_at": exit_.downloaded_at.isoformat(timespec="seconds")
            if exit_.downloaded_at else None,
            "downloaded_by": _who(exit_.downloaded_by),
            "declined_by": _who(exit_.declined_by),
            "file_removed": export_removed,
        },
        "requested_at": exit_.requested_at.isoformat(timespec="seconds"),
        "requested_by": _who(exit_.requested_by),
        "confirmed_at": exit_.confirmed_at.isoformat(timespec="seconds")
        if exit_.confirmed_at else None,
        "confirmed_by": _who(exit_.confirmed_by),
        "grace_until": exit_.grace_until.isoformat(timespec="seconds"),
        "agreements_terminated": earlier.get("agreements_terminated", []),
        "copiers": earlier.get("copiers", {}),
    }  # fmt: skip
    exit_.state = ExitState.DROPPED
    exit_.dropped_at = now
    exit_.save(update_fields=["certificate", "state", "dropped_at", "file_path", "file_size"])
    audit_record(action="member_exit.dropped", actor=acting_user, member=member,
                 target=member.name, exit_id=exit_.pk, tables=len(tables),
                 rows=exit_.certificate["row_count"])  # fmt: skip
    return exit_


def member_exits_drop_due(*, acting_user: Any = None) -> list[MemberExit]:
    """The scheduled job: drop every leaving member's schema whose grace period is over,
    each in its own transaction (one failure leaves the others done). Safe to run twice."""
    due = MemberExit.objects.filter(state=ExitState.LEAVING, grace_until__lte=timezone.now())
    return [member_exit_drop(exit_=exit_, acting_user=acting_user) for exit_ in due.order_by("pk")]
