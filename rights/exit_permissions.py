"""Who may do what in a member's exit: small predicates, as tenants.permissions.

A member's managers start (and download, or decline) its complete export; only consortium
admins confirm its leaving, cancel it in the grace period, and read its certificate.
"""

from __future__ import annotations

from tenants.models import Member
from tenants.permissions import AnyUser, is_consortium_admin, is_manager_of

NOT_A_MANAGER = "Only {member}’s managers can export its data or say they do not need it."
NOT_AN_ADMIN = "Only a consortium admin can confirm or cancel a member’s leaving."


def can_export_member(user: AnyUser | None, member: Member | None) -> bool:
    """Start, follow, download or decline ``member``'s complete export: its managers."""
    return member is not None and is_manager_of(user, member)


def can_decide_member_exit(user: AnyUser | None) -> bool:
    """Confirm a member's leaving, cancel it within the grace period, read its certificate."""
    return is_consortium_admin(user)


def can_import_exit(user: AnyUser | None, member: Member | None) -> bool:
    """Import an exit ZIP as ``member``'s first import: its managers (as for the export)."""
    return can_export_member(user, member)
