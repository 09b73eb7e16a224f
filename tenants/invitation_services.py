"""Writes for inviting colleagues: one or many at once (all or nothing), each new account with
its own link to choose a password that expires after ``COMMONS_INVITATION_DAYS``; accepting a
link; asking for a new one when it has expired.

Tenant assumptions: memberships, accounts and invitations live on the public schema.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .bulk_invitations import rows_check
from .invitation_selectors import member_emails
from .models import AccountInvitation, Member, Membership, Role
from .selectors import token_hash
from .services import membership_invite

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

INVITATION_SPENT = (
    "This invitation link has already been used, or was replaced by a newer one. "
    "Sign in, or ask a manager to send you a new link."
)
INVITATION_EXPIRED = (
    "This invitation link expired on {day}. Invitation links last {days} days, so that an old "
    "e-mail cannot be used to open an account."
)
BULK_CHANGED = "The list changed since it was checked: {problem}. Upload it again."


@dataclass(frozen=True)
class Invited:
    membership: Membership
    token: str | None  # the link's token for a new account; None for an existing one


def _link_issue(membership: Membership, acting_user: Account | None) -> str:
    """A new link for ``membership``; earlier unused links for it stop working."""
    AccountInvitation.objects.filter(membership=membership, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    AccountInvitation.objects.create(
        membership=membership, token_hash=token_hash(token), created_by=acting_user,
        expires_at=timezone.now() + timedelta(days=settings.COMMONS_INVITATION_DAYS),
    )  # fmt: skip
    return token


@transaction.atomic
def membership_invite_with_link(
    *, member: Member, email: str, first_name: str, last_name: str, role: str,
    acting_user: Account,
) -> Invited:  # fmt: skip
    """Add a colleague by e-mail (``tenants.services.membership_invite``) and, if their account
    is new, make the expiring link that lets them choose a password. The caller sends it."""
    membership, created = membership_invite(
        member=member, email=email, first_name=first_name, last_name=last_name, role=role,
        acting_user=acting_user,
    )  # fmt: skip
    token = _link_issue(membership, acting_user) if created else None
    audit_record(
        action="membership.invited", actor=acting_user, member=member,
        target=membership.user.get_username(), user_id=membership.user_id, role=role,
        new_account=created,
    )  # fmt: skip
    return Invited(membership=membership, token=token)


@transaction.atomic
def memberships_invite_bulk(
    *, member: Member, rows: Iterable[tuple[int, list[str]]], acting_user: Account
) -> list[Invited]:
    """Invite everyone in ``rows`` (row number and first name, last name, e-mail, role), all
    or nothing.

    The rows are checked again here, inside the transaction, as the preview checked them: a
    row that has gone wrong since (someone added by hand meanwhile) refuses the lot.
    """
    records = list(rows)
    if not records or len(records) > settings.COMMONS_BULK_INVITE_MAX_ROWS:
        raise ValidationError(BULK_CHANGED.format(problem="it has no rows, or too many"))
    parsed = rows_check(records, existing_emails=member_emails(member=member))
    for row in parsed.problem_rows:
        raise ValidationError(BULK_CHANGED.format(problem=f"row {row.number}: {row.problems[0]}"))
    return [
        membership_invite_with_link(member=member, acting_user=acting_user, **row.as_data())
        for row in parsed.rows
    ]


@transaction.atomic
def invitation_renew(*, membership: Membership, acting_user: Account) -> str:
    """A manager sends a new link to someone who has not chosen a password yet."""
    if membership.user.has_usable_password():
        raise ValidationError(
            f"{membership.user.get_full_name()} has already chosen a password; they sign in "
            "as usual."
        )
    token = _link_issue(membership, acting_user)
    audit_record(
        action="membership.invited", actor=acting_user, member=membership.member,
        target=membership.user.get_username(), user_id=membership.user_id, renewed=True,
    )  # fmt: skip
    return token


def _usable(invitation: AccountInvitation) -> AccountInvitation:
    locked = (
        AccountInvitation.objects.select_for_update()
        .select_related("membership__user", "membership__member")
        .filter(pk=invitation.pk, used_at__isnull=True)
        .first()
    )
    if locked is None or locked.membership.user.has_usable_password():
        raise ValidationError(INVITATION_SPENT)
    return locked


@transaction.atomic
def invitation_accept(
    *, invitation: AccountInvitation, password: str, acting_user: Account | None = None
) -> Account:
    """Set the invited person's password from their link, once, before it expires. The
    password has been checked by Django's validators (the form's). ``acting_user`` is
    whoever is signed in on this browser, usually no one."""
    invitation = _usable(invitation)
    if invitation.expires_at <= timezone.now():
        raise ValidationError(INVITATION_SPENT)
    user = invitation.membership.user
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(
        action="invitation.accepted", actor=acting_user or user,
        member=invitation.membership.member, target=user.get_username(), user_id=user.pk,
    )  # fmt: skip
    return user


@transaction.atomic
def invitation_renewal_ask(
    *, invitation: AccountInvitation, acting_user: Account | None = None
) -> list[str]:
    """The holder of an expired link asks the member's managers for a new one. Asked once per
    link; returns the managers' e-mail addresses to tell (empty if asked before)."""
    invitation = _usable(invitation)
    if invitation.renewal_asked_at is not None:
        return []
    invitation.renewal_asked_at = timezone.now()
    invitation.save(update_fields=["renewal_asked_at"])
    member = invitation.membership.member
    audit_record(
        action="invitation.renewal_asked", actor=acting_user, member=member,
        target=invitation.membership.user.get_username(),
        user_id=invitation.membership.user_id,
    )  # fmt: skip
    return list(
        Membership.objects.active()
        .filter(member=member, role=Role.MANAGER, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
