"""Changing the consortium's sharing rules (consortium admins only: no acting user is no
admin; the default rules come from a migration, not from here). Every change is logged
with who, when, old and new (RuleChange, append-only), and, in the same transaction,
suspends every active agreement the rules now break (sharing.services).

Tenant assumptions: none — the rules live in the public schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.models import Member
from tenants.permissions import permission_require

from . import services
from .models import (
    SHAREABLE_FIELDS,
    Agreement,
    FieldRule,
    FieldRuleMode,
    Purpose,
    PurposePolicy,
    RecordType,
    RuleChange,
    StandingAgreement,
    Status,
)
from .permissions import can_change_rules
from .rules import (
    POLICY_SETTINGS,
    agreement_breaches,
    field_limit_proposed,
    policy_of,
    policy_proposed,
    policy_sentences,
    rules_current,
    standing_dates,
)

NOT_ADMIN = "Only a consortium admin can change the consortium's rules."
NO_RECORD_TYPES = "Choose what is shared: contacts, organisations or both."
NO_FIELDS = "Choose at least one field of {what} to share."
UNKNOWN_FIELDS = "These cannot be shared: {fields}."


def _log(*, acting_user: Any, rule: str, summary: str, old: Any, new: Any,
         suspended: list[Agreement]) -> RuleChange:  # fmt: skip
    from tenants.audit import audit_record

    audit_record(action="sharing.rule_changed", actor=acting_user, target=summary[:200],
                 rule=rule, suspended=[a.pk for a in suspended])  # fmt: skip
    return RuleChange.objects.create(
        actor_id=getattr(acting_user, "pk", None), rule=rule, summary=summary[:300], old=old,
        new=new, suspended=[a.pk for a in suspended],
    )  # fmt: skip


@transaction.atomic
def field_rule_set(*, record_type: str, field: str, mode: str, purposes: list[str],
                   acting_user: Any) -> tuple[FieldRule | None, list[Agreement]]:  # fmt: skip
    """Set what may happen to one field; returns the rule (none when a field with no rule is
    set to "any purpose", which it already was) and the agreements it suspended."""
    permission_require(can_change_rules(acting_user), NOT_ADMIN)
    limit = field_limit_proposed(record_type=record_type, field=field, mode=mode,
                                 purposes=purposes)  # fmt: skip
    rule = FieldRule.objects.select_for_update().filter(record_type=record_type,
                                                        field=field).first()  # fmt: skip
    old = ({"mode": rule.mode, "purposes": list(rule.purposes)} if rule
           else {"mode": FieldRuleMode.ANY.value, "purposes": []})  # fmt: skip
    new = {"mode": limit.mode, "purposes": list(limit.purposes)}
    if old == new:
        return rule, []
    if rule is None:
        rule = FieldRule(record_type=record_type, field=field)
    rule.mode, rule.purposes = limit.mode, list(limit.purposes)
    rule.set_at, rule.set_by = timezone.now(), acting_user
    rule.save()
    summary = limit.sentence()
    suspended = services.agreements_suspend_breaking(
        acting_user=acting_user, because=f"The rule changed: {summary}"
    )
    _log(acting_user=acting_user, rule=f"field:{record_type}:{field}", summary=summary, old=old,
         new=new, suspended=suspended)  # fmt: skip
    return rule, suspended


@transaction.atomic
def purpose_policy_set(*, purpose: str, acting_user: Any,
                       **changes: Any) -> tuple[PurposePolicy, list[Agreement]]:  # fmt: skip
    """Change a purpose's policy; each changed setting is logged as its own rule."""
    permission_require(can_change_rules(acting_user), NOT_ADMIN)
    proposed = policy_proposed(purpose=purpose, **changes)
    row, _ = PurposePolicy.objects.select_for_update().get_or_create(purpose=purpose)
    old_values = policy_of(row).values()
    new_values = proposed.values()
    changed = [name for name in POLICY_SETTINGS if old_values[name] != new_values[name]]
    if not changed:
        return row, []
    for name in POLICY_SETTINGS:
        if name != "eligible_members":
            setattr(row, name, new_values[name])
    row.set_at, row.set_by = timezone.now(), acting_user
    row.full_clean()
    row.save()
    row.eligible_members.set(Member.objects.filter(pk__in=new_values["eligible_members"]))
    label = Purpose(purpose).label
    suspended = services.agreements_suspend_breaking(
        acting_user=acting_user, because=f"The rules for {label.lower()} changed."
    )
    names = dict(Member.objects.values_list("pk", "name"))
    sentences = dict(policy_sentences(proposed, names))
    for name in changed:
        sentence = sentences.get(name) or sentences["parties_restricted"]
        _log(acting_user=acting_user, rule=f"purpose:{purpose}:{name}",
             summary=f"{label}: {sentence}", old=old_values[name], new=new_values[name],
             suspended=suspended)  # fmt: skip
    return row, suspended


# --- standing agreements -----------------------------------------------------------------

STANDING_FIELDS = (
    "name", "description", "purpose", "lawful_basis", "record_types", "contact_fields",
    "organisation_fields", "criteria_tags", "requires_consent", "access_mode",
    "expected_benefit", "retention", "is_active",
)  # fmt: skip


def _standing_check(standing: StandingAgreement) -> None:
    errors: dict[str, list[str]] = {}
    if not standing.record_types:
        errors.setdefault("record_types", []).append(NO_RECORD_TYPES)
    for record_type in standing.record_types:
        fields = standing.fields_for(record_type)
        unknown = sorted(set(fields) - set(SHAREABLE_FIELDS[record_type]))
        if unknown:
            errors.setdefault(f"{record_type}_fields", []).append(
                UNKNOWN_FIELDS.format(fields=", ".join(unknown)))  # fmt: skip
        if not fields:
            what = RecordType(record_type).label.lower()
            errors.setdefault(f"{record_type}_fields", []).append(NO_FIELDS.format(what=what))
    dates = standing_dates(standing.purpose, start=timezone.localdate())
    terms = Agreement(provider_id=0, **(standing.agreement_terms() | dates))
    for name, messages in agreement_breaches(terms, recipient_ids=[],
                                             rules=rules_current()).items():  # fmt: skip
        if name != "purpose":  # "the provider is not eligible" is judged per member
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def standing_agreement_save(*, acting_user: Any, standing: StandingAgreement | None = None,
                            **fields: Any) -> StandingAgreement:  # fmt: skip
    """Make or change a standing agreement. A change applies to members who join from now;
    agreements members already made are theirs to amend."""
    permission_require(can_change_rules(acting_user), NOT_ADMIN)
    unknown = set(fields) - set(STANDING_FIELDS)
    if unknown:
        raise ValueError(f"Unknown standing agreement fields: {sorted(unknown)}")
    old = None
    if standing is None:
        standing = StandingAgreement()
    else:
        standing = StandingAgreement.objects.select_for_update().get(pk=standing.pk)
        old = {name: getattr(standing, name) for name in STANDING_FIELDS}
    for name, value in fields.items():
        setattr(standing, name, value)
    if old != {name: getattr(standing, name) for name in STANDING_FIELDS}:
        # "Set on" tells members when it last changed: a save that changes nothing keeps it.
        standing.set_at, standing.set_by = timezone.now(), acting_user
    standing.full_clean()
    if standing.is_active:
        _standing_check(standing)
    standing.save()
    new = {name: getattr(standing, name) for name in STANDING_FIELDS}
    if old != new:
        verb = "added" if old is None else "changed"
        _log(acting_user=acting_user, rule=f"standing:{standing.pk}",
             summary=f"Standing agreement “{standing.name}” {verb}.", old=old, new=new,
             suspended=[])  # fmt: skip
    return standing


def standing_agreements_join_all(*, member: Member, acting_user: Any) -> list[Agreement]:
    """A new member joins every standing agreement new members join (the onboarding hook).
    One that breaks a rule for this member is left out, and the audit log says why."""
    from tenants.audit import audit_record

    joined = []
    for standing in StandingAgreement.objects.filter(is_active=True):
        try:
            with transaction.atomic():
                joined.append(services.agreement_join_standing(
                    member=member, standing=standing, acting_user=acting_user))  # fmt: skip
        except ValidationError as exc:
            audit_record(action="sharing.standing_not_joined", actor=acting_user, member=member,
                         target=standing.name, reasons=exc.messages)  # fmt: skip
    return joined


def standing_agreement_offer(*, standing: StandingAgreement, acting_user: Any) -> int:
    """Ask every member already in the consortium, and not yet in this standing agreement, to
    join it: each gets the agreement awaiting its manager's signature. Returns how many."""
    from tenants.audit import audit_record

    permission_require(can_change_rules(acting_user), NOT_ADMIN)
    offered = 0
    live = Agreement.objects.filter(standing=standing).exclude(
        status__in=[Status.TERMINATED, Status.SUPERSEDED, Status.EXPIRED]
    )  # fmt: skip
    members = Member.organisations.active().exclude(pk__in=live.values("provider_id"))
    for member in members.order_by("pk"):
        try:
            with transaction.atomic():
                services.agreement_join_standing(member=member, standing=standing,
                                                 acting_user=acting_user, offer=True)  # fmt: skip
        except ValidationError as exc:
            audit_record(action="sharing.standing_not_offered", actor=acting_user,
                         member=member, target=standing.name, reasons=exc.messages)  # fmt: skip
        else:
            offered += 1
    return offered
