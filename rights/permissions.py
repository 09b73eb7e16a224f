"""Who may act on people's rights at a member: small predicates (tenants/permissions.py
style). Every predicate refuses ``None`` and anyone not signed in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenants.permissions import AnyUser, is_data_protection_lead_of, is_manager_of

if TYPE_CHECKING:
    from tenants.models import Member

NOT_A_LEAD = "Only a data protection lead of {member} can do this."
NOT_LEAD_OR_MANAGER = "Only {member}'s data protection leads and managers can do this."


def can_act_for_people(user: AnyUser | None, member: Member | None) -> bool:
    """Erase, correct, restrict or lift a restriction, or record an objection, for people
    held by ``member``: its data protection leads only (not its staff, not its managers who
    are not leads, not another member's leads, not the consortium's)."""
    return member is not None and is_data_protection_lead_of(user, member)


def can_handle_copy_notices(user: AnyUser | None, member: Member | None) -> bool:
    """See and close the Art. 19 notices ``member`` received about its copies: its data
    protection leads and its managers."""
    return member is not None and (
        is_data_protection_lead_of(user, member) or is_manager_of(user, member)
    )
