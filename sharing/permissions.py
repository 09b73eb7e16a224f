"""Who may do what with data sharing: small predicates, the refusal the services make with
them, and the view decorators built on them.

Every predicate refuses ``None``: a service called with no acting user is refused, never
taken for the system. (Who may *see* which shared records is decided in sharing.selectors.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenants.permissions import (
    AnyUser,
    is_consortium_admin,
    is_manager_of,
    permission_require,
    request_passes,
)

from .models import AccessMode

if TYPE_CHECKING:
    from tenants.models import Member

    from .models import SharedRecord

NOT_A_MANAGER = "Only a manager of {member} can do this."


def can_manage_agreements(user: AnyUser | None, member: Member | None) -> bool:
    """Make, propose, sign, suspend, terminate, resume or amend ``member``'s agreements: its
    managers."""
    return is_manager_of(user, member)


def can_approve_agreements(user: AnyUser | None) -> bool:
    """Approve an agreement where the consortium's rules ask for approval."""
    return is_consortium_admin(user)


def can_oversee_sharing(user: AnyUser | None) -> bool:
    """The consortium's register of agreements, the sharing map and the agreement templates."""
    return is_consortium_admin(user)


def can_change_rules(user: AnyUser | None) -> bool:
    """Change the consortium's sharing rules and standing agreements."""
    return is_consortium_admin(user)


def can_export_shared_record(user: AnyUser | None, record: SharedRecord) -> bool:
    """Export a record shared with the user's member: where its agreement allows export."""
    return record.agreement.access_mode in (AccessMode.EXPORT, AccessMode.COPY)


def can_copy_shared_record(user: AnyUser | None, record: SharedRecord) -> bool:
    """Copy a shared record into the user's own CRM: where its agreement allows copying."""
    return record.agreement.access_mode == AccessMode.COPY


def agreements_manager_require(user: AnyUser | None, member: Member) -> None:
    """Refuse (403, naming ``member``) unless ``user`` may manage ``member``'s agreements:
    the check each manager's step in sharing.services makes. No user is no manager:
    scheduled work (expiry) takes no step a manager must take."""
    permission_require(can_manage_agreements(user, member), NOT_A_MANAGER.format(member=member))


agreements_manager_required = request_passes(
    lambda request: can_manage_agreements(request.user, getattr(request, "tenant", None))
)
sharing_overseer_required = request_passes(lambda request: can_oversee_sharing(request.user))
rules_changer_required = request_passes(lambda request: can_change_rules(request.user))
