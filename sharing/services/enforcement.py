"""Agreements changed by the consortium rather than by a member's managers: suspended when a
rule changes, made when a member joins a standing agreement, expired after their end date.
Each change is atomic, logged, and changes the projection in the same transaction, under the
provider's exclusive lock.

Tenant assumptions: none; agreements live in the public schema and the projection names the
provider's schema itself.
"""

from __future__ import annotations

import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from sharing.models import Agreement, AgreementParty, PartyRole, Status
from sharing.models.agreements import STOPPABLE_FROM
from sharing.projection import agreement_unproject, lock_provider, lock_providers
from sharing.rules import agreements_breaking, breaches_text, rules_current, standing_dates
from sharing.signals import agreement_state_changed
from tenants.models import Member, Membership, Role

from .agreements import RULES_SUSPENDED, _activate, _clear_unticked, _event, _lock, _validate

if TYPE_CHECKING:
    from tenants.permissions import AnyUser


@transaction.atomic
def agreements_suspend_breaking(*, acting_user: Any, because: str) -> list[Agreement]:
    """After a rule changes: suspend every active agreement the rules now break, removing its
    projections in this transaction, and tell its parties why (log, agreement page, e-mail).

    Every provider's lock is taken first, exclusively and in ascending id order (one order
    for every caller that takes several, so two rule changes cannot deadlock), then each
    agreement's row, as _lock does; the rules are read only once the locks are held, so an
    activation that committed meanwhile is seen and judged by the new rules. A loosened rule
    breaks nothing: nothing is resumed or widened by itself.
    """
    lock_providers(list(Member.objects.order_by("pk").values_list("pk", flat=True)))
    rules = rules_current()
    suspended = []
    for candidate, breaches in agreements_breaking(rules):
        agreement = Agreement.objects.select_for_update(no_key=True).get(pk=candidate.pk)
        agreement_unproject(agreement)
        agreement.status = Status.SUSPENDED
        agreement.save(update_fields=["status"])
        agreement_state_changed.send(sender=Agreement, agreement=agreement, active=False)
        _event(agreement, RULES_SUSPENDED, acting_user,
               detail=f"{because} {breaches_text(breaches)}".strip())  # fmt: skip
        suspended.append(agreement)
        transaction.on_commit(
            partial(_tell_parties, agreement=agreement, because=because, breaches=breaches)
        )
    return suspended


def _tell_parties(*, agreement: Agreement, because: str, breaches: dict[str, list[str]]) -> None:
    """E-mail the managers of every named party (the provider's, for all-members ones)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    members = list(Member.objects.filter(pk__in=agreement.parties.values("member_id")))
    emails = sorted(set(
        Membership.objects.filter(member__in=members, role=Role.MANAGER, user__is_active=True)
        .exclude(user__email="").values_list("user__email", flat=True)
    ))  # fmt: skip
    if not emails:
        return
    body = render_to_string("sharing/email/suspended_by_rules.txt", {
        "agreement": agreement, "because": because,
        "breaches": [m for messages in breaches.values() for m in messages],
        "path": agreement.get_absolute_url(), "members": members,
    })  # fmt: skip
    send_mail(f"Sharing suspended: “{agreement.title}” breaks a consortium rule", body, None,
              emails)  # fmt: skip


@transaction.atomic
def agreement_join_standing(*, member: Member, standing: Any, acting_user: Any,
                            offer: bool = False) -> Agreement:  # fmt: skip
    """``member`` joins one of the consortium's standing agreements: an all-members
    agreement of its own on the standing terms, in force at once (joining the consortium is
    its signature; the consortium set the terms, so no further approval is asked).

    ``offer``: for a member already in the consortium, the agreement awaits its manager's
    signature instead (nothing is shared until they sign)."""
    existing = Agreement.objects.filter(provider=member, standing=standing).exclude(
        status__in=[Status.TERMINATED, Status.SUPERSEDED, Status.EXPIRED]
    ).first()  # fmt: skip
    if existing is not None:
        return existing
    terms = standing.agreement_terms() | standing_dates(standing.purpose,
                                                        start=timezone.localdate())  # fmt: skip
    agreement = Agreement(provider=member, created_by=acting_user, standing=standing, **terms)
    _clear_unticked(agreement)
    agreement.full_clean()
    _validate(agreement, [])
    lock_provider(member.pk, exclusive=True)
    agreement.status = Status.AWAITING
    agreement.admin_approved_by = acting_user
    agreement.admin_approved_at = timezone.now()
    agreement.save()
    if offer:
        AgreementParty.objects.create(agreement=agreement, member=member,
                                      role=PartyRole.PROVIDER)  # fmt: skip
        _event(agreement, "offered by the consortium", acting_user, member,
               f"the standing agreement “{standing}”, to sign")  # fmt: skip
        return agreement
    AgreementParty.objects.create(
        agreement=agreement, member=member, role=PartyRole.PROVIDER, signed_at=timezone.now(),
        signed_role="Joined the consortium's standing agreement",
    )  # fmt: skip
    _event(agreement, "created", acting_user, member, f"joined the standing agreement “{standing}”")
    _activate(agreement, acting_user)
    return agreement


@transaction.atomic
def agreements_expire(*, acting_user: AnyUser | None, today: datetime.date | None = None) -> int:
    """Mark agreements past their end date as expired and remove their projections (they
    are already invisible from the end date on: the selectors check the date).

    A scheduled job: ``acting_user`` is ``None`` for the system (the daily
    ``expire_agreements`` command passes it), and each agreement's log then names no one.
    No permission is asked: an end date passing is nobody's decision."""
    today = today or timezone.localdate()
    count = 0
    # Provider by provider, in ascending order: the order of every transaction that takes
    # several providers' locks (see agreements_suspend_breaking).
    candidates = Agreement.objects.filter(status=Status.ACTIVE, end_date__lt=today)
    for candidate in candidates.order_by("provider_id", "pk"):
        agreement = _lock(candidate)
        agreement_unproject(agreement)
        agreement.status = Status.EXPIRED
        agreement.save(update_fields=["status"])
        agreement_state_changed.send(sender=Agreement, agreement=agreement, active=False)
        _event(agreement, "expired", acting_user)
        count += 1
    return count


EXIT_REASON = "{member} left the consortium"


@transaction.atomic
def agreements_terminate_for_exit(*, member: Member, acting_user: Any) -> list[Agreement]:
    """``member`` leaves the consortium: end every agreement it provides or is a named party
    to (draft, awaiting signatures, active or suspended), removing their projections in this
    transaction, so recipients stop seeing its records at once and it stops seeing theirs.

    The consortium ends them (a consortium admin confirmed the leaving), not a party's
    manager: the member's own managers may already be gone. Providers' locks are taken
    first, in ascending id order (as ``agreements_suspend_breaking`` does), then each row.
    """
    from django.db.models import Q

    stoppable = {Status.DRAFT} | set(STOPPABLE_FROM[Status.TERMINATED])
    ids = list(
        Agreement.objects.filter(Q(provider=member) | Q(parties__member=member))
        .filter(status__in=stoppable).values_list("pk", flat=True).distinct()
    )  # fmt: skip
    providers = Agreement.objects.filter(pk__in=ids).values_list("provider_id", flat=True)
    lock_providers(sorted(set(providers)))
    ended = []
    rows = Agreement.objects.select_for_update(no_key=True).filter(pk__in=ids, status__in=stoppable)
    for agreement in rows.order_by("pk"):
        agreement_unproject(agreement)
        agreement.status = Status.TERMINATED
        agreement.save(update_fields=["status"])
        agreement_state_changed.send(sender=Agreement, agreement=agreement, active=False)
        _event(agreement, Status.TERMINATED, acting_user, member, EXIT_REASON.format(member=member))
        ended.append(agreement)
    return ended
