"""Who may do what with breaches, a member's record of processing and its retention
settings: small predicates.

``member`` is the site the person is on: a member (its data protection leads act for it) or
``None`` for the consortium site (the consortium's data protection leads act there).
"""

from __future__ import annotations

from typing import Any

from tenants.models import Member, Membership
from tenants.permissions import (
    AnyUser,
    is_consortium_admin,
    is_consortium_data_protection_lead,
    is_data_protection_lead_of,
    is_manager_or_lead_of,
)


def acts_for_breaches(user: AnyUser | None, member: Member | None) -> bool:
    """The consortium's leads on the consortium site; a member's leads on its own site."""
    if member is None:
        return is_consortium_data_protection_lead(user)
    return is_data_protection_lead_of(user, member)


def can_record_breach(user: AnyUser | None, member: Member | None) -> bool:
    return acts_for_breaches(user, member)


def can_manage_breach(user: AnyUser | None, member: Member | None, breach: Any) -> bool:
    """Assessing, deciding, reporting and closing: the consortium's leads, or the leads of
    the member that recorded it. Other affected members add notes."""
    if not acts_for_breaches(user, member):
        return False
    return member is None or breach.recorded_for_id == member.pk


def can_note_breach(user: AnyUser | None, member: Member | None, breach: Any) -> bool:
    """Adding a note: the leads acting here, on a breach they were shown (which breaches a
    member's leads see is the one rule of ``rights.breach_selectors``)."""
    return acts_for_breaches(user, member)


def can_view_processing(user: AnyUser | None, member: Member | None) -> bool:
    """A member's register: its managers and leads on its site; on the consortium site
    (``member`` is the member asked about) consortium admins and leads."""
    return is_manager_or_lead_of(user, member)


def can_view_processing_of_any(user: AnyUser | None) -> bool:
    return is_consortium_admin(user) or is_consortium_data_protection_lead(user)


def can_edit_processing(user: AnyUser | None, member: Member | None) -> bool:
    """The member's own purposes and lawful bases: its data protection leads."""
    return is_data_protection_lead_of(user, member)


def can_manage_retention(user: AnyUser | None, member: Member | None) -> bool:
    """A member's managers and data protection leads see its retention preview, change its
    schedules and start a run."""
    return is_manager_or_lead_of(user, member)


NOT_A_LEAD = "Only a data protection lead of {member} can do this."
NOT_LEAD_OR_MANAGER = "Only {member}'s data protection leads and managers can do this."


def can_act_for_people(user: AnyUser | None, member: Member | None) -> bool:
    """Erase, correct, restrict or lift a restriction, or record an objection, for people
    held by ``member``: its data protection leads only (not its staff, not its managers who
    are not leads, not another member's leads, not the consortium's)."""
    return member is not None and is_data_protection_lead_of(user, member)


def can_handle_copy_notices(
    user: AnyUser | None, member: Member | None, *, membership: Membership | None = None
) -> bool:
    """See and close the Art. 19 notices ``member`` received about its copies: its data
    protection leads and its managers."""
    return member is not None and is_manager_or_lead_of(user, member, membership=membership)
