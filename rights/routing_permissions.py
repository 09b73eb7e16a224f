"""Who may find people across members, route their requests and work a member's tasks.

Small predicates on tenants' roles (tenants/permissions.py): the consortium's data protection
leads look people up and own the requests; a member's data protection leads work its tasks
and open requests it received; its managers may read its tasks.
"""

from __future__ import annotations

from tenants.models import Member
from tenants.permissions import (
    AnyUser,
    is_consortium_data_protection_lead,
    is_data_protection_lead_of,
    is_manager_of,
)


def can_look_up_people(user: AnyUser | None) -> bool:
    """The consortium-wide lookup and every request's page: consortium data protection leads."""
    return is_consortium_data_protection_lead(user)


def can_open_request_for(user: AnyUser | None, member: Member | None) -> bool:
    """Opening a request that ``member`` received: that member's data protection leads."""
    return member is not None and is_data_protection_lead_of(user, member)


def can_work_rights_tasks(user: AnyUser | None, member: Member | None) -> bool:
    """Marking a member's tasks done or declined, and carrying them out: its leads."""
    return can_open_request_for(user, member)


def can_view_rights_tasks(user: AnyUser | None, member: Member | None) -> bool:
    """Reading a member's tasks: its data protection leads, and its managers (read-only)."""
    return can_work_rights_tasks(user, member) or is_manager_of(user, member)
