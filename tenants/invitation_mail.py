"""The e-mails of inviting: the invitation itself (with its expiring link for a new account),
and the note to a member's managers when someone asks for a new link."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from .models import AccountInvitation
from .sites import site_url

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

    from .invitation_services import Invited


def invitation_link(request: HttpRequest, invited: Invited) -> str:
    """Where the e-mail sends the person: their link to choose a password, or (an existing
    account) the member's site."""
    member = invited.membership.member
    if invited.token is None:
        return site_url(request, member, "/")
    query = urlencode({"token": invited.token})
    return site_url(request, member, f"{reverse('invitation_accept')}?{query}")


def invitation_email_send(
    *, request: HttpRequest, invited: Invited, inviter: Account, connection: Any = None
) -> None:
    """``connection``: an open mail connection to reuse (a bulk invitation sends its e-mails
    over one, not one per person)."""
    membership = invited.membership
    body = render_to_string(
        "tenants/email/invitation.txt",
        {
            "membership": membership, "link": invitation_link(request, invited),
            "created": invited.token is not None, "inviter": inviter,
            "days": settings.COMMONS_INVITATION_DAYS,
        },
    )  # fmt: skip
    send_mail(
        f"You have been added to {membership.member.name} on Commons", body, None,
        [membership.user.email], connection=connection,
    )  # fmt: skip


def renewal_asked_email_send(
    *, request: HttpRequest, invitation: AccountInvitation, recipients: list[str]
) -> None:
    if not recipients:
        return
    membership = invitation.membership
    body = render_to_string(
        "tenants/email/invitation_renewal_asked.txt",
        {"membership": membership, "link": site_url(request, membership.member,
                                                    reverse("access_review"))},
    )  # fmt: skip
    send_mail(
        f"{membership.user.get_full_name()} asks for a new Commons invitation link", body, None,
        recipients,
    )  # fmt: skip
