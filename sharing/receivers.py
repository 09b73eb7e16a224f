"""What sharing does when the foundation announces a new member: it joins the standing
agreements. Connected in ``SharingConfig.ready``; the receiver runs inside the onboarding's
transaction, so a member that is not made joins nothing.

Tenant assumptions: called on the public schema, where agreements live.
"""

from __future__ import annotations

from typing import Any

from tenants.models import Member

from .rule_services import standing_agreements_join_all


def on_member_created(sender: Any, *, member: Member, acting_user: Any = None, **_: Any) -> None:
    """tenants.onboarding listener: the new member joins the standing agreements."""
    standing_agreements_join_all(member=member, acting_user=acting_user)
