"""Agreements' lifecycle: draft -> awaiting signatures -> active -> suspended / terminated /
expired. Every transition is atomic, logged, and changes the projection in the same
transaction, under the provider's exclusive lock.

Tenant assumptions: none; agreements live in the public schema and the projection names the
provider's schema itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.models import Member, Membership, Role

from .models import (
    SHAREABLE_FIELDS,
    Agreement,
    AgreementEvent,
    AgreementParty,
    Disclosure,
    PartyRole,
    RecordType,
    Status,
)
from .projection import agreement_backfill, agreement_unproject, lock_provider
from .signals import agreement_state_changed

NOT_A_MANAGER = "Only a manager of {member} can do this."
WRONG_STATE = "This agreement is {state}: it cannot be {verb}."
NO_RECIPIENTS = "Name at least one recipient, or share with all members."
NO_RECORD_TYPES = "Choose what is shared: contacts, organisations or both."
NO_FIELDS = "Choose at least one field of {what} to share."
UNKNOWN_FIELDS = "These cannot be shared: {fields}."
PROVIDER_AS_RECIPIENT = "A member cannot share with itself."
NOT_SIGNED = "Every party must have signed (and the consortium approved, where required)."
NOT_AMENDABLE = "Only a draft or an active agreement can be changed; this one is {state}."

EDITABLE = {
    "title", "purpose", "expected_benefit", "record_types", "contact_fields",
    "organisation_fields", "criteria_tags", "criteria_org_types", "criteria_districts",
    "requires_consent", "access_mode", "start_date", "review_date", "end_date", "retention",
    "security_notes", "all_members",
}  # fmt: skip


def _event(agreement: Agreement, action: str, actor: Any, member: Member | None = None,
           detail: str = "") -> None:  # fmt: skip
    AgreementEvent.objects.create(
        agreement_id=agreement.pk, action=action, actor_id=getattr(actor, "pk", None),
        member_id=getattr(member, "pk", None), detail=detail,
    )  # fmt: skip


def _require_manager(user: Any, member: Member) -> None:
    if user is None:
        return  # system actions (scheduled expiry, tests of the projection)
    if not Membership.objects.filter(user=user, member=member, role=Role.MANAGER).exists():
        raise PermissionDenied(NOT_A_MANAGER.format(member=member))


def _validate(agreement: Agreement, recipient_ids: list[int]) -> None:
    errors: dict[str, list[str]] = {}
    if not agreement.record_types:
        errors.setdefault("record_types", []).append(NO_RECORD_TYPES)
    for record_type in agreement.record_types:
        fields = agreement.fields_for(record_type)
        field_name = f"{record_type}_fields"
        unknown = sorted(set(fields) - set(SHAREABLE_FIELDS[record_type]))
        if unknown:
            errors.setdefault(field_name, []).append(
                UNKNOWN_FIELDS.format(fields=", ".join(unknown))
            )
        if not fields:
            label = RecordType(record_type).label.lower()
            errors.setdefault(field_name, []).append(NO_FIELDS.format(what=label))
    if not agreement.all_members and not recipient_ids:
        errors.setdefault("recipients", []).append(NO_RECIPIENTS)
    if agreement.provider_id in recipient_ids:
        errors.setdefault("recipients", []).append(PROVIDER_AS_RECIPIENT)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def agreement_create(
    *, provider: Member, acting_user: Any, recipient_ids: list[int], **fields: Any
) -> Agreement:
    """A draft agreement from ``provider`` to the named recipients (or all members)."""
    _require_manager(acting_user, provider)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown agreement fields: {sorted(unknown)}")
    agreement = Agreement(provider=provider, created_by=acting_user, **fields)
    agreement.full_clean()
    _validate(agreement, recipient_ids)
    agreement.save()
    AgreementParty.objects.create(agreement=agreement, member=provider, role=PartyRole.PROVIDER)
    for member in Member.organisations.filter(pk__in=recipient_ids, is_active=True):
        AgreementParty.objects.create(agreement=agreement, member=member, role=PartyRole.RECIPIENT)
    _event(agreement, "created", acting_user, provider)
    return agreement


def _lock(agreement: Agreement) -> Agreement:
    """Serialise with the provider's record writes, then lock the agreement's row.

    The advisory lock comes first: a record write holding the shared lock may still need a
    key-share lock on this row (its projection's foreign key is checked at commit), so
    taking the row first could deadlock. FOR NO KEY UPDATE leaves key-share locks free.
    """
    lock_provider(agreement.provider_id, exclusive=True)
    return Agreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)


def _signatories(agreement: Agreement) -> list[AgreementParty]:
    return list(agreement.parties.select_related("member"))


@transaction.atomic
def agreement_propose(*, agreement: Agreement, acting_user: Any) -> Agreement:
    """Send a draft for signature by every party."""
    agreement = _lock(agreement)
    _require_manager(acting_user, agreement.provider)
    if agreement.status != Status.DRAFT:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="proposed"))  # fmt: skip
    recipients = [p.member_id for p in _signatories(agreement) if p.role == PartyRole.RECIPIENT]
    _validate(agreement, recipients)
    agreement.status = Status.AWAITING
    agreement.save(update_fields=["status"])
    _event(agreement, "proposed", acting_user, agreement.provider)
    return agreement


@transaction.atomic
def agreement_sign(
    *, agreement: Agreement, member: Member, acting_user: Any, signed_role: str = "Manager"
) -> Agreement:
    """``member`` signs; when every party has, the agreement becomes active and back-fills."""
    agreement = _lock(agreement)
    _require_manager(acting_user, member)
    if agreement.status != Status.AWAITING:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="signed"))  # fmt: skip
    party = agreement.parties.filter(member=member).first()
    if party is None:
        raise PermissionDenied(f"{member} is not a party to this agreement.")
    party.signed_by = acting_user
    party.signed_role = signed_role
    party.signed_at = timezone.now()
    party.save()
    _event(agreement, "signed", acting_user, member, f"as {signed_role}")
    _activate_when_complete(agreement, acting_user)
    return agreement


def _approval_needed(agreement: Agreement) -> bool:
    return settings.COMMONS_SHARING_ADMIN_APPROVAL and agreement.admin_approved_at is None


def _activate_when_complete(agreement: Agreement, acting_user: Any) -> None:
    if all(p.signed_at for p in _signatories(agreement)) and not _approval_needed(agreement):
        _activate(agreement, acting_user)


@transaction.atomic
def agreement_approve(*, agreement: Agreement, acting_user: Any) -> Agreement:
    """A consortium admin's approval, where the consortium requires one."""
    from tenants.permissions import is_consortium_admin

    if not is_consortium_admin(acting_user):
        raise PermissionDenied("Only a consortium admin can approve agreements.")
    agreement = _lock(agreement)
    if agreement.status != Status.AWAITING:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="approved"))  # fmt: skip
    agreement.admin_approved_by = acting_user
    agreement.admin_approved_at = timezone.now()
    agreement.save(update_fields=["admin_approved_by", "admin_approved_at"])
    _event(agreement, "approved by the consortium", acting_user)
    _activate_when_complete(agreement, acting_user)
    return agreement


def _activate(agreement: Agreement, acting_user: Any) -> None:
    # The caller holds the provider's exclusive lock (see _lock).
    earlier_id = agreement.previous_id
    while earlier_id:
        previous = Agreement.objects.select_for_update(no_key=True).get(pk=earlier_id)
        if previous.status in (Status.ACTIVE, Status.SUSPENDED, Status.AWAITING, Status.DRAFT):
            agreement_unproject(previous)
            previous.status = Status.SUPERSEDED
            previous.save(update_fields=["status"])
            agreement_state_changed.send(sender=Agreement, agreement=previous, active=False)
            _event(previous, "superseded", acting_user, detail=f"by version {agreement.version}")
        earlier_id = previous.previous_id
    agreement.status = Status.ACTIVE
    agreement.save(update_fields=["status"])
    count = agreement_backfill(agreement)
    agreement_state_changed.send(sender=Agreement, agreement=agreement, active=True)
    _event(agreement, "activated", acting_user, detail=f"{count} records shared")


def _party_member_check(agreement: Agreement, member: Member) -> None:
    """Named parties may stop an agreement. For an all-members agreement that is the
    provider alone: one recipient cannot end it for everybody."""
    if not agreement.parties.filter(member=member).exists():
        raise PermissionDenied(f"{member} is not a party to this agreement.")


def _stop(agreement: Agreement, *, member: Member, acting_user: Any, to: str, verb: str,
          reason: str) -> Agreement:  # fmt: skip
    agreement = _lock(agreement)
    _require_manager(acting_user, member)
    _party_member_check(agreement, member)
    allowed = {Status.ACTIVE}
    if to == Status.TERMINATED:
        allowed |= {Status.SUSPENDED, Status.AWAITING, Status.DRAFT}
    if agreement.status not in allowed:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb=verb))  # fmt: skip
    agreement_unproject(agreement)
    agreement.status = to
    agreement.save(update_fields=["status"])
    agreement_state_changed.send(sender=Agreement, agreement=agreement, active=False)
    _event(agreement, to, acting_user, member, reason)
    return agreement


def agreement_suspend(*, agreement: Agreement, member: Member, acting_user: Any,
                      reason: str = "") -> Agreement:  # fmt: skip
    """Any party may pause sharing at once; nothing stays visible."""
    with transaction.atomic():
        return _stop(agreement, member=member, acting_user=acting_user,
                     to=Status.SUSPENDED, verb="suspended", reason=reason)  # fmt: skip


def agreement_terminate(*, agreement: Agreement, member: Member, acting_user: Any,
                        reason: str = "") -> Agreement:  # fmt: skip
    """Any party may end an agreement; its projections go in the same transaction."""
    with transaction.atomic():
        return _stop(agreement, member=member, acting_user=acting_user,
                     to=Status.TERMINATED, verb="terminated", reason=reason)  # fmt: skip


@transaction.atomic
def agreement_resume(*, agreement: Agreement, acting_user: Any) -> Agreement:
    """The provider restarts a suspended agreement (its terms are unchanged)."""
    agreement = _lock(agreement)
    _require_manager(acting_user, agreement.provider)
    if agreement.status != Status.SUSPENDED:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="resumed"))  # fmt: skip
    if not all(p.signed_at for p in _signatories(agreement)) or _approval_needed(agreement):
        raise ValidationError(NOT_SIGNED)
    agreement.status = Status.ACTIVE
    agreement.save(update_fields=["status"])
    count = agreement_backfill(agreement)
    agreement_state_changed.send(sender=Agreement, agreement=agreement, active=True)
    _event(agreement, "resumed", acting_user, agreement.provider, f"{count} records shared")
    return agreement


@transaction.atomic
def agreement_amend(*, agreement: Agreement, acting_user: Any, **changes: Any) -> Agreement:
    """A new version (a draft) of an agreement; the old one stays in force, and readable,
    until the new one is signed by every party."""
    _require_manager(acting_user, agreement.provider)
    agreement = _lock(agreement)
    if agreement.status not in (Status.ACTIVE, Status.DRAFT):
        raise ValidationError(NOT_AMENDABLE.format(state=agreement.get_status_display().lower()))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown agreement fields: {sorted(unknown)}")
    recipients = [p.member_id for p in agreement.parties.filter(role=PartyRole.RECIPIENT)]
    fields = {name: getattr(agreement, name) for name in EDITABLE}
    fields.update(changes)
    new = Agreement(provider=agreement.provider, created_by=acting_user, previous=agreement,
                    version=agreement.version + 1, **fields)  # fmt: skip
    new.full_clean()
    _validate(new, recipients)
    new.save()
    AgreementParty.objects.create(agreement=new, member=agreement.provider,
                                  role=PartyRole.PROVIDER)  # fmt: skip
    for member_id in recipients:
        AgreementParty.objects.create(agreement=new, member_id=member_id,
                                      role=PartyRole.RECIPIENT)  # fmt: skip
    _event(new, "created", acting_user, agreement.provider, f"version {new.version}")
    return new


@transaction.atomic
def agreements_expire(*, today=None) -> int:
    """Mark agreements past their end date as expired and remove their projections (they
    are already invisible from the end date on: the selectors check the date)."""
    today = today or timezone.localdate()
    count = 0
    for candidate in Agreement.objects.filter(status=Status.ACTIVE, end_date__lt=today):
        agreement = _lock(candidate)
        agreement_unproject(agreement)
        agreement.status = Status.EXPIRED
        agreement.save(update_fields=["status"])
        agreement_state_changed.send(sender=Agreement, agreement=agreement, active=False)
        _event(agreement, "expired", None)
        count += 1
    return count


def disclosure_record(*, actor: Any, member: Member, records: list[Any], action: str,
                      reason: str = "") -> None:  # fmt: skip
    """Log a view, export or copy of shared records, per provider and agreement."""
    groups: dict[tuple[int, int, str], list[int]] = {}
    for record in records:
        key = (record.provider_id, record.agreement_id, record.record_type)
        groups.setdefault(key, []).append(record.record_id)
    Disclosure.objects.bulk_create([
        Disclosure(actor_id=getattr(actor, "pk", None), member_id=member.pk,
                   provider_id=provider_id, agreement_id=agreement_id, action=action,
                   record_type=record_type, record_ids=ids, reason=reason[:200])
        for (provider_id, agreement_id, record_type), ids in groups.items()
    ])  # fmt: skip


@transaction.atomic
def disclosures_purge(*, before: Any, acting_user: Any, reason: str) -> int:
    """Remove disclosure-log entries older than ``before`` under the retention policy.

    The only way entries leave: the append-only triggers are bypassed for this one
    transaction (session_replication_role, which needs a superuser connection), and the
    purge itself is written to the consortium audit log with who, when, how many and why.
    """
    from django.db import connection

    from tenants.services import audit_record

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM public.sharing_disclosure WHERE at < %s", [before])
        removed = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
    audit_record(action="disclosures.purged", actor=acting_user, target=f"before {before}",
                 removed=removed, reason=reason)  # fmt: skip
    return removed
