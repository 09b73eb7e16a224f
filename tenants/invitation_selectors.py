"""Reads for invitations: who already works at a member, and which invitation a link names.

Tenant assumptions: memberships, accounts and invitations live on the public schema.
"""

from __future__ import annotations

from .models import AccountInvitation, Member, Membership
from .selectors import token_hash


def member_emails(*, member: Member) -> set[str]:
    """Lower-case e-mail addresses of everyone who already works at ``member``."""
    emails = Membership.objects.filter(member=member).values_list("user__email", flat=True)
    return {email.lower() for email in emails if email}


def invitation_for_link(*, token: str, member: Member | None) -> AccountInvitation | None:
    """The unused invitation a link's token names, on ``member``'s own site only (a link
    opened on another member's site is as unknown as a made-up one). Expired ones are
    returned: the page says so and offers to ask for a new one."""
    if not token or member is None:
        return None
    return (
        AccountInvitation.objects.filter(
            token_hash=token_hash(token), used_at__isnull=True, membership__member=member
        )
        .select_related("membership__user", "membership__member")
        .first()
    )
