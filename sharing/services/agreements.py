"""Agreements' lifecycle as members' managers (and, for approval, consortium admins) drive
it: draft -> awaiting signatures -> active -> suspended / terminated. Every transition is
atomic, logged, and changes the projection in the same transaction, under the provider's
exclusive lock.

Tenant assumptions: none; agreements live in the public schema and the projection names the
provider's schema itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sharing.models import (
    SHAREABLE_FIELDS,
    Agreement,
    AgreementEvent,
    AgreementParty,
    PartyRole,
    RecordType,
    Status,
)
from sharing.permissions import agreements_manager_require, can_approve_agreements
from sharing.projection import agreement_backfill, agreement_unproject, lock_provider
from sharing.rules import agreement_breaches, approval_needed, rules_current
from sharing.signals import agreement_amended, agreement_state_changed
from tenants.models import Member
from tenants.permissions import permission_require

NOT_AN_APPROVER = "Only a consortium admin can approve agreements."
WRONG_STATE = "This agreement is {state}: it cannot be {verb}."
NO_RECIPIENTS = "Name at least one recipient, or share with all members."
NO_RECORD_TYPES = "Choose what is shared: contacts, organisations or both."
NO_FIELDS = "Choose at least one field of {what} to share."
UNKNOWN_FIELDS = "These cannot be shared: {fields}."
PROVIDER_AS_RECIPIENT = "A member cannot share with itself."
NOT_SIGNED = "Every party must have signed (and the consortium approved, where required)."
NOT_AMENDABLE = (
    "Only a draft, an active or a suspended agreement can be changed; this one is {state}."
)
RULES_SUSPENDED = "suspended by the consortium's rules"
UNTICKED_FIELDS = "{what} are not shared by this agreement: it cannot list their fields."

EDITABLE = {
    "title", "purpose", "expected_benefit", "record_types", "contact_fields",
    "organisation_fields", "criteria_tags", "criteria_org_types", "criteria_districts",
    "requires_consent", "access_mode", "start_date", "review_date", "end_date", "retention",
    "security_notes", "all_members", "lawful_basis", "dpia_reference",
}  # fmt: skip


def _event(agreement: Agreement, action: str, actor: Any, member: Member | None = None,
           detail: str = "") -> None:  # fmt: skip
    AgreementEvent.objects.create(
        agreement_id=agreement.pk, action=action, actor_id=getattr(actor, "pk", None),
        member_id=getattr(member, "pk", None), detail=detail,
    )  # fmt: skip


def _clear_unticked(agreement: Agreement) -> None:
    """Fields of a record type the agreement does not share are dropped: the consortium's
    rules are checked against the ticked record types only, so a field kept under an
    unticked one would reach nobody's checks (and must reach no reader either)."""
    if RecordType.CONTACT not in agreement.record_types:
        agreement.contact_fields = []
    if RecordType.ORGANISATION not in agreement.record_types:
        agreement.organisation_fields = []


def _validate(agreement: Agreement, recipient_ids: list[int]) -> None:
    errors: dict[str, list[str]] = {}
    rules = rules_current()
    if not agreement.record_types:
        errors.setdefault("record_types", []).append(NO_RECORD_TYPES)
    for record_type in RecordType.values:
        if record_type not in agreement.record_types and agreement.fields_for(record_type):
            errors.setdefault(f"{record_type}_fields", []).append(
                UNTICKED_FIELDS.format(what=RecordType(record_type).label)
            )
    for record_type in agreement.record_types:
        fields = agreement.fields_for(record_type)
        field_name = f"{record_type}_fields"
        # Fields no agreement can offer at all are reported by the rule that names them.
        ruled = {name for (kind, name) in rules.fields if kind == record_type}
        unknown = sorted(set(fields) - set(SHAREABLE_FIELDS[record_type]) - ruled)
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
    breaches = agreement_breaches(agreement, recipient_ids=recipient_ids, rules=rules)
    for name, messages in breaches.items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _keep_rules(agreement: Agreement) -> None:
    """Refuse to sign, activate or resume an agreement that breaks a consortium rule."""
    breaches = agreement_breaches(agreement, recipient_ids=_recipient_ids(agreement),
                                  rules=rules_current())  # fmt: skip
    if breaches:
        raise ValidationError(breaches)


def _recipient_ids(agreement: Agreement) -> list[int]:
    return list(
        agreement.parties.filter(role=PartyRole.RECIPIENT).values_list("member_id", flat=True)
    )


@transaction.atomic
def agreement_create(
    *, provider: Member, acting_user: Any, recipient_ids: list[int], **fields: Any
) -> Agreement:
    """A draft agreement from ``provider`` to the named recipients (or all members)."""
    agreements_manager_require(acting_user, provider)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown agreement fields: {sorted(unknown)}")
    agreement = Agreement(provider=provider, created_by=acting_user, **fields)
    _clear_unticked(agreement)
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
    agreements_manager_require(acting_user, agreement.provider)
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
    agreements_manager_require(acting_user, member)
    if agreement.status != Status.AWAITING:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="signed"))  # fmt: skip
    party = agreement.parties.filter(member=member).first()
    if party is None:
        raise PermissionDenied(f"{member} is not a party to this agreement.")
    _keep_rules(agreement)
    party.signed_by = acting_user
    party.signed_role = signed_role
    party.signed_at = timezone.now()
    party.save()
    _event(agreement, "signed", acting_user, member, f"as {signed_role}")
    _activate_when_complete(agreement, acting_user)
    return agreement


def _approval_needed(agreement: Agreement) -> bool:
    """Per purpose, by the consortium's rules (COMMONS_SHARING_ADMIN_APPROVAL is the default)."""
    return agreement.admin_approved_at is None and approval_needed(agreement.purpose)


def _activate_when_complete(agreement: Agreement, acting_user: Any) -> None:
    if all(p.signed_at for p in _signatories(agreement)) and not _approval_needed(agreement):
        _activate(agreement, acting_user)


@transaction.atomic
def agreement_approve(*, agreement: Agreement, acting_user: Any) -> Agreement:
    """A consortium admin's approval, where the consortium requires one."""
    permission_require(can_approve_agreements(acting_user), NOT_AN_APPROVER)
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
    _keep_rules(agreement)
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
    agreements_manager_require(acting_user, member)
    _party_member_check(agreement, member)
    if not agreement.may_stop(to):
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
    agreements_manager_require(acting_user, agreement.provider)
    if agreement.status != Status.SUSPENDED:
        raise ValidationError(WRONG_STATE.format(state=agreement.get_status_display().lower(),
                                                 verb="resumed"))  # fmt: skip
    if not all(p.signed_at for p in _signatories(agreement)) or _approval_needed(agreement):
        raise ValidationError(NOT_SIGNED)
    _keep_rules(agreement)
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
    agreements_manager_require(acting_user, agreement.provider)
    agreement = _lock(agreement)
    if agreement.status not in (Status.ACTIVE, Status.DRAFT, Status.SUSPENDED):
        raise ValidationError(NOT_AMENDABLE.format(state=agreement.get_status_display().lower()))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown agreement fields: {sorted(unknown)}")
    recipients = [p.member_id for p in agreement.parties.filter(role=PartyRole.RECIPIENT)]
    fields = {name: getattr(agreement, name) for name in EDITABLE}
    fields.update(changes)
    new = Agreement(provider=agreement.provider, created_by=acting_user, previous=agreement,
                    version=agreement.version + 1, standing=agreement.standing,
                    **fields)  # fmt: skip
    _clear_unticked(new)
    new.full_clean()
    _validate(new, recipients)
    new.save()
    AgreementParty.objects.create(agreement=new, member=agreement.provider,
                                  role=PartyRole.PROVIDER)  # fmt: skip
    for member_id in recipients:
        AgreementParty.objects.create(agreement=new, member_id=member_id,
                                      role=PartyRole.RECIPIENT)  # fmt: skip
    _event(new, "created", acting_user, agreement.provider, f"version {new.version}")
    agreement_amended.send(sender=Agreement, agreement=new, previous=agreement)
    return new
