"""Who may do what with a member's people's-rights settings: small predicates.

Tenant assumptions: none (memberships live in the public schema).
"""

from __future__ import annotations

from tenants.models import Member
from tenants.permissions import AnyUser, is_data_protection_lead_of, is_manager_of


def can_manage_retention(user: AnyUser | None, member: Member | None) -> bool:
    """A member's managers and data protection leads see its retention preview, change its
    schedules and start a run."""
    return is_manager_of(user, member) or is_data_protection_lead_of(user, member)
