"""Restriction of processing (UK GDPR Art. 18) and objection to marketing (Art. 21(3)) for a
person held by one member, carried out by its data protection lead.

A restricted contact stays, but crm's selectors, exports and sharing's criteria leave it out
of every list, search, export, share, mailing and booking list until it is lifted; its own
page shows why. An objection to marketing is the CRM's existing suppression: an "objected"
marketing decision recorded through crm's consent service (the mailing export already leaves
out everyone whose newest marketing decision is an objection or a withdrawal).

Tenant assumptions: called on any schema; enters the member's schema at the task boundary
and returns to the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from tenants.boundary import member_run
from tenants.models import Member

from .permissions import NOT_A_LEAD, can_act_for_people

OBJECTION_METHOD = "data-rights request: objection to marketing"


def _each_contact(ids: list[int], step: Any, **kwargs: Any) -> int:
    from crm.models import Contact

    return sum(
        1 for contact in Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        if step(contact=contact, **kwargs) is not False
    )  # fmt: skip


def _lead_require(acting_user: Any, member: Member) -> None:
    if not can_act_for_people(acting_user, member):
        raise PermissionDenied(NOT_A_LEAD.format(member=member))


@transaction.atomic
def person_restrict(*, member: Member, contact_ids: Iterable[int], acting_user: Any,
                    reason: str = "a data-rights request") -> int:  # fmt: skip
    """Restrict processing of these contacts of ``member``'s (audited per contact); the
    announcement removes their shared projections in this transaction. Returns how many
    were newly restricted (0 when all already were)."""
    from crm.services import contact_processing_restrict

    _lead_require(acting_user, member)
    ids = sorted({int(i) for i in contact_ids})
    return member_run(member, _each_contact, ids, contact_processing_restrict,
                      acting_user=acting_user, reason=reason)  # fmt: skip


@transaction.atomic
def person_restriction_lift(*, member: Member, contact_ids: Iterable[int], acting_user: Any,
                            reason: str = "") -> int:  # fmt: skip
    """Lift the restriction: the contacts are back in lists, exports, shares and mailings
    (projected again where an agreement picks them). Returns how many were lifted."""
    from crm.services import contact_processing_restriction_lift

    _lead_require(acting_user, member)
    ids = sorted({int(i) for i in contact_ids})
    return member_run(member, _each_contact, ids, contact_processing_restriction_lift,
                      acting_user=acting_user, reason=reason)  # fmt: skip


def _objection_record(*, contact: Any, acting_user: Any) -> bool:
    from crm.models import ConsentPurpose, ConsentStatus
    from crm.services import consent_record

    consent_record(contact=contact, purpose=ConsentPurpose.MARKETING,
                   status=ConsentStatus.OBJECTED, acting_user=acting_user,
                   method=OBJECTION_METHOD)  # fmt: skip
    return True


@transaction.atomic
def person_object_to_marketing(*, member: Member, contact_ids: Iterable[int],
                               acting_user: Any) -> int:  # fmt: skip
    """Record the person's objection to marketing on each of these contacts: from now on no
    mailing list of ``member``'s holds them (nor another record with their e-mail)."""
    _lead_require(acting_user, member)
    ids = sorted({int(i) for i in contact_ids})
    return member_run(member, _each_contact, ids, _objection_record, acting_user=acting_user)
