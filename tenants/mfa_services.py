"""Writes about second factors that Commons makes itself (allauth makes the rest: adding and
removing one's own). Each is atomic and audited.

Tenant assumptions: called with the connection on any schema; members, accounts and
authenticators live on the public schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .audit import audit_record
from .models import Member
from .permissions import is_consortium_admin

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

NOTHING_TO_RESET = "{name} has no second factor to reset."
ONLY_ADMINS_RESET = "Only a consortium admin can reset someone's second factor."


@transaction.atomic
def member_mfa_require(*, member: Member, required: bool, acting_user: Any) -> Member:
    """Ask (or stop asking) ``member``'s staff for a second factor. Their managers always need
    one. Staff without one are guided to set it up at their next page on the member's site.
    Saying what is already so changes nothing and records nothing."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.staff_second_factor_required == required:
        return member
    member.staff_second_factor_required = required
    member.full_clean()
    member.save(update_fields=["staff_second_factor_required"])
    audit_record(
        action="member.mfa_required_changed", actor=acting_user, member=member,
        target=member.name, required=required,
    )  # fmt: skip
    return member


@transaction.atomic
def mfa_reset(*, user: Account, acting_user: Any) -> list[str]:
    """Remove all of ``user``'s second factors (apps, passkeys, recovery codes) for someone
    who has lost their device; a consortium admin only. If they must have a second factor,
    they are asked to set one up again at their next sign-in. Returns the kinds removed."""
    if not is_consortium_admin(acting_user):
        raise PermissionDenied(ONLY_ADMINS_RESET)
    authenticators = Authenticator.objects.select_for_update().filter(user_id=user.pk)
    kinds = sorted({a.type for a in authenticators})
    if not kinds:
        name = user.get_full_name() or user.get_username()
        raise ValidationError(NOTHING_TO_RESET.format(name=name))
    authenticators.delete()
    audit_record(
        action="mfa.reset", actor=acting_user, target=user.get_username(),
        user_id=user.pk, kinds=kinds,
    )  # fmt: skip
    return kinds
