"""Who may build and download a member's subject access pack: a predicate, no rules elsewhere."""

from __future__ import annotations

from tenants.permissions import AnyUser, is_data_protection_lead_of

from .models import MemberTask, RequestKind


def can_handle_pack(user: AnyUser | None, task: MemberTask) -> bool:
    """A data protection lead of the task's member, on a subject access task: not its staff
    or managers, not the consortium's staff, not another member's lead."""
    return task.request.kind == RequestKind.ACCESS and is_data_protection_lead_of(user, task.member)
