"""Writes of single sign-on (tenants.sso): a member's provider set up, changed or turned off,
an account linked to it, a refused sign-in recorded.

Tenant assumptions: every row here (sign-on links, allauth's apps, social accounts, e-mail
addresses, the audit log) is in the public schema; callers may be on any schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from .audit import audit_record
from .models import Member, MemberSignOn, SignOnKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

# Google Workspace has one issuer for every organisation; Microsoft's names the organisation's
# own directory (https://login.microsoftonline.com/<directory id>/v2.0), so it must be given.
PROVIDER = "openid_connect"  # allauth's provider for any OpenID Connect issuer
GOOGLE_ISSUER = "https://accounts.google.com"
CLIENT_KEY_NEEDED = "Enter the client secret: the provider shows it once, when the client is made."
ISSUER_INVALID = "Enter the issuer's full web address, starting with https://."


def _issuer_check(issuer: str, kind: str) -> str:
    issuer = issuer.strip().rstrip("/")
    if not issuer and kind == SignOnKind.GOOGLE:
        return GOOGLE_ISSUER
    try:
        URLValidator(schemes=["https", "http"])(issuer)
    except ValidationError as exc:
        raise ValidationError({"issuer": ISSUER_INVALID}) from exc
    return issuer


@transaction.atomic
def sign_on_set(
    *,
    member: Member,
    acting_user: Account,
    kind: str,
    issuer: str,
    client_id: str,
    secret: str = "",
    name: str = "",
    enforces_mfa: bool = False,
) -> MemberSignOn:
    """Set up or change a member's provider. A blank ``secret`` keeps the one stored (it is
    never shown again); the audit row names what changed, never the secret."""
    issuer = _issuer_check(issuer, kind)
    current = MemberSignOn.objects.select_related("app").filter(member=member).first()
    app = current.app if current else SocialApp(provider=PROVIDER, provider_id=member.slug)
    if not secret and not app.secret:
        raise ValidationError({"secret": CLIENT_KEY_NEEDED})
    label = name.strip() or SignOnKind(kind).label
    before: dict[str, Any] = {
        "kind": current.kind if current else "",
        "issuer": app.settings.get("server_url", "") if current else "",
        "client_id": app.client_id,
        "enforces_mfa": member.sso_enforces_mfa,
    }
    app.name = label[:40]
    app.client_id = client_id.strip()
    if secret:
        app.secret = secret.strip()
    app.settings = {**(app.settings or {}), "server_url": issuer}
    app.full_clean()
    app.save()
    sign_on = current or MemberSignOn(member=member, app=app)
    sign_on.kind = kind
    sign_on.full_clean()
    sign_on.save()
    member.sso_enforces_mfa = enforces_mfa
    member.save(update_fields=["sso_enforces_mfa"])
    after = {"kind": kind, "issuer": issuer, "client_id": app.client_id,
             "enforces_mfa": enforces_mfa}  # fmt: skip
    changed = sorted(field for field in after if after[field] != before[field])
    if secret and current:
        changed.append("secret")
    audit_record(
        action="member.sso_set", actor=acting_user, member=member, target=member.name,
        changed=changed, kind=kind, issuer=issuer,
    )  # fmt: skip
    return sign_on


@transaction.atomic
def sign_on_remove(*, member: Member, acting_user: Account) -> None:
    """Turn a member's single sign-on off: its provider, its secret and every account's link
    to it go; people sign in with their passwords (or a reset) from then on."""
    sign_on = MemberSignOn.objects.select_related("app").filter(member=member).first()
    if sign_on is None:
        return
    app = sign_on.app
    links = SocialAccount.objects.filter(provider=app.provider_id)
    unlinked = links.count()
    links.delete()
    sign_on.delete()
    app.delete()
    member.sso_enforces_mfa = False
    member.save(update_fields=["sso_enforces_mfa"])
    audit_record(
        action="member.sso_removed", actor=acting_user, member=member, target=member.name,
        accounts_unlinked=unlinked,
    )  # fmt: skip


@transaction.atomic
def sign_on_account_link(
    *, member: Member, user: Account, email: str, acting_user: Account
) -> None:
    """The first sign-in of ``user`` through ``member``'s provider, found by ``email``, which the
    provider has just vouched for: the address counts as confirmed (Commons' addresses are
    set by managers, never by the person, so allauth's guard against a self-registered
    look-alike, wiping the password, has nothing to guard against)."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        address = EmailAddress(user=user, email=email.lower(), primary=True)
    address.verified = True
    address.save()
    audit_record(
        action="account.sso_linked", actor=acting_user, member=member,
        target=user.get_full_name() or user.get_username(), email=email,
    )  # fmt: skip


def sign_on_refusal_record(
    *, member: Member | None, reason: str, email: str, acting_user: Account | None
) -> None:
    """A refused sign-in through a provider, for the member's security log (``reason``:
    no_email, unverified or no_membership). ``acting_user`` is None: no one is signed in."""
    audit_record(
        action="account.sso_refused", actor=acting_user, member=member,
        target=email or "unknown address", reason=reason,
    )  # fmt: skip
