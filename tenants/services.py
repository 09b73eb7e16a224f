"""Every write about members, memberships and accounts. Each is atomic and audited, except
the sign-in tickets (``handoff_*``), which sign a person in and act on no record.

Tenant assumptions: called with the connection on the public schema, where these tables live.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from .audit import audit_record
from .mfa import has_second_factor
from .models import Domain, Member, MemberKind, Membership, Role, SignInHandoff
from .naming import member_domain_for, schema_name_for
from .provisioning import schema_clone
from .selectors import other_active_managers, token_hash
from .session_services import REASON_ERASED, user_member_access_end, user_sessions_end

if TYPE_CHECKING:
    # The project's account model (settings.AUTH_USER_MODEL), for type checking only.
    from django.contrib.auth.models import User as Account

User = get_user_model()

RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "auth", "accounts", "consortium", "default", "ftp", "help",
        "imap", "information-schema", "localhost", "mail", "media", "pop", "postgres",
        "public", "root", "smtp", "static", "status", "support", "system", "template",
        "test", "www",
    }
)  # fmt: skip

SLUG_TAKEN = "A member with the web address “{slug}” already exists."
SLUG_RESERVED = "“{slug}” is reserved for the system. Choose another web address."
SLUG_TOO_LONG = "Use at most 40 characters for the web address."
ALREADY_MEMBER = "{name} already works at {member}."
LAST_MANAGER = "{member} must keep at least one manager. Make someone else a manager first."
NOT_THIS_MEMBER = "That person does not work at {member}."

ProgressCallback = Callable[[int, int, str], None]


def _slug_check(slug: str) -> None:
    if slug in RESERVED_SLUGS or slug.startswith("pg-"):
        raise ValidationError({"slug": SLUG_RESERVED.format(slug=slug)})
    if len(slug) > 40:
        raise ValidationError({"slug": SLUG_TOO_LONG})
    if (
        Member.objects.filter(slug=slug).exists()
        or Member.objects.filter(schema_name=schema_name_for(slug)).exists()
    ):
        raise ValidationError({"slug": SLUG_TAKEN.format(slug=slug)})


@transaction.atomic
def member_create(
    *,
    name: str,
    slug: str,
    acting_user: Any = None,
    charity_number: str = "",
    company_number: str = "",
    district: str = "",
    progress: ProgressCallback | None = None,
) -> Member:
    """Onboard a member: its row, its domain and its schema, cloned from the template.

    All in one transaction, DDL included: a failure at any step leaves nothing behind.
    """
    steps = 4

    def report(step: int, label: str) -> None:
        if progress:
            progress(step, steps, label)

    slug = slug.strip().lower()
    report(1, "Checking the details")
    _slug_check(slug)
    member = Member(
        kind=MemberKind.MEMBER,
        name=name.strip(),
        slug=slug,
        schema_name=schema_name_for(slug),
        charity_number=charity_number.strip(),
        company_number=company_number.strip(),
        district=district,
    )
    member.full_clean()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent request took the slug first
        raise ValidationError({"slug": SLUG_TAKEN.format(slug=slug)}) from exc
    report(2, "Creating the web address")
    Domain.objects.create(domain=member_domain_for(slug), tenant=member, is_primary=True)
    report(3, "Creating the member's database schema")
    began = time.perf_counter()
    schema_clone(target=member.schema_name)
    clone_ms = round((time.perf_counter() - began) * 1000, 1)
    from .onboarding import member_created

    member_created.send(sender=Member, member=member, acting_user=acting_user)
    audit_record(
        action="member.created",
        actor=acting_user,
        member=member,
        target=member.name,
        slug=slug,
        clone_ms=clone_ms,
    )
    report(4, "Done")
    return member


@transaction.atomic
def member_update(*, member: Member, acting_user: Any, **changes: Any) -> Member:
    allowed = {"name", "charity_number", "company_number", "district"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} here.")
    for field_name, value in changes.items():
        setattr(member, field_name, value)
    member.full_clean()
    member.save()
    audit_record(
        action="member.updated", actor=acting_user, member=member, target=member.name,
        fields=sorted(changes),
    )  # fmt: skip
    return member


def _user_display(user: Account) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def membership_add(
    *, user: Account, member: Member, role: str = Role.STAFF, acting_user: Any = None
) -> Membership:
    """Let ``user`` work at ``member`` as ``role``."""
    if Membership.objects.filter(user=user, member=member).exists():
        raise ValidationError(ALREADY_MEMBER.format(name=_user_display(user), member=member))
    membership = Membership(user=user, member=member, role=role, created_by=acting_user)
    membership.full_clean()
    membership.save()
    audit_record(
        action="membership.added", actor=acting_user, member=member,
        target=user.get_username(), user_id=user.pk, role=role,
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_invite(
    *,
    member: Member,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    acting_user: Any,
) -> tuple[Membership, bool]:
    """Add a colleague by e-mail; create their account if they have none.

    Returns the membership and whether a new account was made (it then has no password
    until the person sets one from the e-mailed link).
    """
    email = User.objects.normalize_email(email.strip())
    user = User.objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    created = user is None
    if user is None:
        user = User(
            username=_username_for(email),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
    membership = membership_add(user=user, member=member, role=role, acting_user=acting_user)
    return membership, created


def _username_for(email: str) -> str:
    base = email.lower()[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, acting_user: Any) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    demoting = membership.role == Role.MANAGER and role != Role.MANAGER
    if demoting and other_active_managers(membership) == 0:
        raise ValidationError(LAST_MANAGER.format(member=membership.member))
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role_changed", actor=acting_user, member=membership.member,
        target=membership.user.get_username(), user_id=membership.user_id, role=role,
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_set_data_protection_lead(
    *, membership: Membership, is_lead: bool, acting_user: Any
) -> Membership:
    """Name (or stop naming) a colleague a data protection lead of their member: they answer
    people's rights requests there. A manager's decision (the view checks it)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_data_protection_lead == is_lead:
        return membership
    membership.is_data_protection_lead = is_lead
    membership.save(update_fields=["is_data_protection_lead"])
    audit_record(
        action="membership.data_protection_lead_set" if is_lead
        else "membership.data_protection_lead_unset",
        actor=acting_user, member=membership.member, target=membership.user.get_username(),
        user_id=membership.user_id,
    )  # fmt: skip
    return membership


NO_SUCH_ACCOUNT = "No active account has that username or e-mail address."


def _dp_leads_group() -> Any:
    from django.contrib.auth.models import Group

    from .roles import DATA_PROTECTION_LEADS

    return Group.objects.get(name=DATA_PROTECTION_LEADS)


@transaction.atomic
def consortium_data_protection_lead_add(*, user: Account, acting_user: Any) -> None:
    """Make ``user`` one of the consortium's data protection leads (the group that may look
    people up across members and route their requests)."""
    group = _dp_leads_group()
    if user.groups.filter(pk=group.pk).exists():
        return
    user.groups.add(group)
    audit_record(
        action="consortium.data_protection_lead_added", actor=acting_user,
        target=user.get_username(), user_id=user.pk,
    )  # fmt: skip


@transaction.atomic
def consortium_data_protection_lead_remove(*, user: Account, acting_user: Any) -> None:
    group = _dp_leads_group()
    if not user.groups.filter(pk=group.pk).exists():
        return
    user.groups.remove(group)
    audit_record(
        action="consortium.data_protection_lead_removed", actor=acting_user,
        target=user.get_username(), user_id=user.pk,
    )  # fmt: skip


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: Any) -> None:
    """Stop someone working at a member. The account stays: other records point at it.

    Their object permissions in the member's schema go with the membership.
    """
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    member = membership.member
    if membership.role == Role.MANAGER and other_active_managers(membership) == 0:
        raise ValidationError(LAST_MANAGER.format(member=member))
    user = membership.user
    _object_permissions_drop(member=member, user_id=user.pk)
    membership.delete()
    token_deleted = user_member_access_end(user=user, member=member, acting_user=acting_user)
    audit_record(
        action="membership.removed", actor=acting_user, member=member,
        target=user.get_username(), user_id=user.pk, api_token_deleted=token_deleted,
    )  # fmt: skip


def _object_permissions_drop(*, member: Member, user_id: int) -> None:
    from guardian.models import UserObjectPermission

    with schema_context(member.schema_name):
        UserObjectPermission.objects.filter(user_id=user_id).delete()


@transaction.atomic
def user_erase(*, user: Account, acting_user: Any) -> Account:
    """Erase a person's account by anonymising it in place (never deleting the row).

    Memberships, object permissions, API tokens and hand-over tickets go; the row stays so
    that records elsewhere which name it as owner or author keep a valid reference.
    """
    for membership in Membership.objects.filter(user=user).select_related("member"):
        _object_permissions_drop(member=membership.member, user_id=user.pk)
    Membership.objects.filter(user=user).delete()
    SignInHandoff.objects.filter(user=user).delete()
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    user.username = f"erased-{user.pk}"
    user.first_name = ""
    user.last_name = "(erased)"
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    # After the anonymising save, so the audit row names "erased-<id>", not the person.
    user_sessions_end(user=user, acting_user=acting_user, reason=REASON_ERASED)
    user.groups.clear()
    user.user_permissions.clear()
    audit_record(action="user.erased", actor=acting_user, target=f"user {user.pk}")
    return user


HANDOFF_SIGNED_IN_AS = (
    "You are signed in here as {username}. Sign out first to continue as someone else."
)
HANDOFF_NEEDS_SECOND_FACTOR = (
    "Confirm it is you with your second factor first: your account has one, and this "
    "sign-in has not used it yet."
)


class HandoffRedeemed(NamedTuple):
    user: Account
    next_path: str
    # The second factor the issuing session passed (allauth's record), or None.
    second_factor: dict[str, Any] | None


def handoff_issue(
    *,
    member: Member | None,
    acting_user: Account,
    next_path: str = "/",
    second_factor: dict[str, Any] | None = None,
) -> str:
    """A single-use ticket that signs ``acting_user`` in on ``member``'s site (or the
    consortium's). Tickets are sign-ins, not acts on records: no audit row, as for any sign-in.

    ``second_factor`` is the issuing session's record of the second factor it passed
    (tenants.mfa.session_second_factor); the ticket carries it to the other site. Someone
    with a second factor whose session has not used it gets no ticket (ValidationError): the
    hand-over never skips it.
    """
    if second_factor is None and has_second_factor(acting_user):
        raise ValidationError(HANDOFF_NEEDS_SECOND_FACTOR)
    token = secrets.token_urlsafe(32)
    SignInHandoff.objects.filter(expires_at__lt=timezone.now()).delete()
    SignInHandoff.objects.create(
        token_hash=token_hash(token),
        user=acting_user,
        member=member,
        next_path=next_path if next_path.startswith("/") else "/",
        expires_at=timezone.now() + timedelta(seconds=settings.HANDOFF_MAX_AGE_SECONDS),
        second_factor=second_factor,
    )
    return token


def handoff_redeem(
    *, token: str, member: Member | None, acting_user: Account | None
) -> HandoffRedeemed | None:
    """Use a ticket once. Wrong site, expired, or already used: ``None``. A ticket issued
    without a second factor for someone who has one now is refused the same way (the caller
    records the ticket's second factor in the new session: tenants.mfa).

    ``acting_user`` is whoever is already signed in on this site, and ``None`` when no one
    is (the usual case: the ticket, not the actor, names the account it signs in). A ticket
    never swaps a signed-in person's session for another account, since the link could have
    been sent to them: that raises ValidationError, and the ticket is spent all the same.
    """
    member_id = member.pk if member is not None else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {SignInHandoff._meta.db_table} "
            "WHERE token_hash = %s AND expires_at > now() "
            "AND member_id IS NOT DISTINCT FROM %s RETURNING user_id, next_path, second_factor",
            [token_hash(token), member_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.objects.filter(pk=row[0], is_active=True).first()
    if user is None:
        return None
    if acting_user is not None and acting_user.pk != user.pk:
        raise ValidationError(HANDOFF_SIGNED_IN_AS.format(username=acting_user.get_username()))
    second_factor = json.loads(row[2]) if isinstance(row[2], str) else row[2]
    if second_factor is None and has_second_factor(user):
        return None
    return HandoffRedeemed(user, row[1], second_factor)


@transaction.atomic
def api_token_renew(*, acting_user: Account) -> Any:
    """Replace ``acting_user``'s own API token with a new one (the old one stops working at
    once). Only the person themselves renews it: no one acts on another's token."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=acting_user).delete()
    token = Token.objects.create(user=acting_user)
    audit_record(action="api_token.renewed", actor=acting_user, target=acting_user.get_username())
    return token
