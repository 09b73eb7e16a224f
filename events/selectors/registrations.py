"""Who sees which registrations: the one rule, and the reads built on it.

Tenant assumptions: on a member's site the connection is on that member's schema; the CRM is
read there to find which contacts the user may see (see ``registrations_visible``).
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet

from crm.models import Contact
from crm.selectors import contact_ids_hidden_from, contact_list, contacts_visible_to
from events.models import Event, Registration, RegistrationStatus
from tenants.models import Member
from tenants.ordering import name_order
from tenants.permissions import AnyUser, is_consortium_admin

PROCESSING_RESTRICTED = (
    "This contact's data may not be used while a data-rights restriction is in place, so "
    "they cannot be booked onto events until it is lifted."
)


def _schema_name() -> str:
    """The schema the connection is on (django-tenants' attribute, which the stubs lack)."""
    return str(getattr(connection, "schema_name", ""))


def contact_candidates(*, user: AnyUser, search: str, limit: int = 20) -> list[Contact]:
    """Contacts of the current member's CRM this user may book (restricted ones only for
    those granted them), found with the CRM's own forgiving search."""
    return list(contact_list(user=user, search=search)[:limit])


def contact_snapshot(*, user: AnyUser, member: Member, contact_id: int) -> dict[str, str]:
    """What the host would receive of one of ``member``'s contacts: name, e-mail and
    organisation, and nothing else. Only contacts this user may see in this member's CRM.

    Tenant assumptions: the connection is on ``member``'s schema (refused otherwise).
    """
    if _schema_name() != member.schema_name:
        raise PermissionDenied("Contacts are chosen on your own organisation's site.")
    try:
        contact = (
            contacts_visible_to(user=user)
            .prefetch_related("roles__organisation")
            .get(pk=contact_id)
        )
    except (ValueError, TypeError) as exc:
        raise ValidationError({"contact": "Choose one of your contacts."}) from exc
    except Contact.DoesNotExist as exc:
        raise ValidationError({"contact": "That contact is not in your CRM."}) from exc
    if contact.processing_restricted_at is not None:
        raise ValidationError({"contact": PROCESSING_RESTRICTED})
    roles = sorted(contact.roles.all(), key=lambda r: (r.end_date is not None, r.pk))
    return {
        "name": contact.display_name,
        "email": contact.email,
        "organisation": roles[0].organisation.name if roles else "",
    }


def registrations_visible(*, user: AnyUser, member: Member | None) -> QuerySet[Registration]:
    """The one rule for who sees which registration snapshots (names, e-mails, access needs).

    A member's site sees the places its own staff booked and the registers of the events it
    hosts; the consortium's site shows consortium admins the registers of the consortium's
    events. Of the member's own contacts, only places of contacts ``user`` may see in the CRM:
    a restricted contact's booking is as hidden as the contact.

    Tenant assumptions: on a member's site the connection is on that member's schema (the
    CRM is read to find restricted contacts); anywhere else the member's own contacts'
    places are hidden, since their restrictions cannot be checked.
    """
    if member is None:
        if not is_consortium_admin(user):
            return Registration.objects.none()
        return Registration.objects.filter(event__host__isnull=True)
    registrations = Registration.objects.filter(Q(member=member) | Q(event__host=member))
    if _schema_name() != member.schema_name:
        return registrations.exclude(member=member, contact_id__isnull=False)
    hidden = contact_ids_hidden_from(user=user)
    if hidden:
        registrations = registrations.exclude(member=member, contact_id__in=hidden)
    return registrations


def registration_get(*, user: AnyUser, member: Member | None, registration_id: int) -> Registration:
    """One registration the rule above lets ``user`` see; DoesNotExist otherwise."""
    return (
        registrations_visible(user=user, member=member)
        .select_related("event")
        .get(pk=registration_id)
    )


def registrations_for_host(
    *, event: Event, user: AnyUser, member: Member | None
) -> QuerySet[Registration]:
    """The register the host sees: snapshots only (no member record ids are exposed)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(event=event)
        .exclude(status=RegistrationStatus.CANCELLED)
        .only(
            "id",
            "event_id",
            "name",
            "email",
            "organisation",
            "access_needs",
            "status",
            "attended",
            "created_at",
            "promoted_at",
            "member_id",
        )
        .select_related("member")
        .order_by("status", "created_at", "id")
    )


def registrations_of(*, event: Event, member: Member, user: AnyUser) -> QuerySet[Registration]:
    """The live places ``member``'s staff booked on ``event`` (that ``user`` may see)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(event=event, member=member)
        .exclude(status=RegistrationStatus.CANCELLED)
    )


def registrations_by_member(*, member: Member, user: AnyUser) -> QuerySet[Registration]:
    """The places a member's staff have booked for their contacts (that ``user`` may see)."""
    return (
        registrations_visible(user=user, member=member)
        .filter(member=member)
        .select_related("event", "event__host")
        .order_by("-event__starts_at", *name_order("name"), "id")
    )


def registration_by_token(*, token: UUID | str) -> Registration | None:
    """The public sign-up whose private link carries ``token`` (the link is the key)."""
    return Registration.objects.select_related("event").filter(token=token).first()


def registration_contact_id(*, registration: Registration, member: Member) -> int | None:
    """The CRM contact behind a place, for the member that booked it only: to the host and
    anyone else a place is its snapshot, never another member's record id."""
    return registration.contact_id if registration.member_id == member.pk else None


def registrations_of_contact(*, schema_name: str, contact_id: int) -> QuerySet[Registration]:
    """Every place of one member's contact, for that contact's CRM timeline. The caller has
    already shown the contact to the user, so its places are the user's to see too."""
    return Registration.objects.filter(
        member__schema_name=schema_name, contact_id=contact_id
    ).select_related("event", "event__host")


def registration_counts(event: Event) -> dict[str, int]:
    rows = event.registrations.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    attended = event.registrations.filter(attended=True).count()
    return {
        "booked": counts.get("booked", 0),
        "waitlisted": counts.get("waitlisted", 0),
        "cancelled": counts.get("cancelled", 0),
        "attended": attended,
    }
