"""Reads of a member's exit: the exit under way, where its export lives, and what confirming
the leaving would do (counted for the confirmation page).

Tenant assumptions: the public schema (exits, agreements, memberships and the disclosure log
live there); nothing here reads a member's schema.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from tenants.models import Member, Membership

from .exit_models import MemberExit


def member_exit_open(member: Member) -> MemberExit | None:
    """The member's exit still under way (exporting, exported, declined or leaving)."""
    from .exit_models import OPEN_STATES

    return MemberExit.objects.filter(member=member, state__in=OPEN_STATES).first()


def export_path_for(exit_: MemberExit) -> Path:
    return Path(settings.EXIT_EXPORT_ROOT) / exit_.member.schema_name / f"exit-{exit_.pk}.zip"


def member_exit_consequences(member: Member) -> dict[str, Any]:
    """What confirming the leaving will do, counted now (the confirmation page says it)."""
    from django.db.models import Q

    from sharing.models import Agreement, Status

    stoppable = [Status.DRAFT, Status.AWAITING, Status.ACTIVE, Status.SUSPENDED]
    agreements = list(
        Agreement.objects.filter(Q(provider=member) | Q(parties__member=member))
        .filter(status__in=stoppable).distinct().order_by("title")
    )  # fmt: skip
    copiers = exit_copiers(member)
    return {
        "agreements": agreements,
        "memberships": Membership.objects.filter(member=member).count(),
        "copier_count": len(copiers),
        "copied_contacts": len({i for ids in copiers.values() for i in ids}),
        "grace_days": settings.EXIT_GRACE_DAYS,
        "grace_until": timezone.now() + datetime.timedelta(days=settings.EXIT_GRACE_DAYS),
    }


def exit_copiers(member: Member) -> dict[int, list[int]]:
    """Members that copied ``member``'s contacts into their own CRM or exported them, and the
    ids of those contacts (the provider's ids), from the disclosure log."""
    from sharing.models import Disclosure, DisclosureAction

    found: dict[int, set[int]] = {}
    rows = Disclosure.objects.filter(
        provider_id=member.pk, record_type="contact",
        action__in=[DisclosureAction.COPY, DisclosureAction.EXPORT],
    ).exclude(member_id=member.pk).values_list("member_id", "record_ids")  # fmt: skip
    for member_id, ids in rows.iterator():
        found.setdefault(member_id, set()).update(ids)
    return {member_id: sorted(ids) for member_id, ids in found.items()}
