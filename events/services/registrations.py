"""Every write to a registration: a member's contact booked, a public sign-up, a place
cancelled (by staff, or by the private link) and attendance taken, each audited; a freed
place goes to the first on the waiting list.

Tenant assumptions: registering a member's contact reads that member's CRM, so the
connection must be on that member's schema (the request's); taking the register reads the
host's. Nothing here switches schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from events import notifications, permissions
from events.models import Event, EventStatus, Registration, RegistrationStatus, Visibility
from events.selectors import (
    contact_snapshot,
    event_visible,
    registration_by_token,
    registrations_visible,
)
from sharing.models import DisclosureAction, RecordType
from sharing.services import disclosure_log
from tenants.audit import audit_record
from tenants.models import Member

from .capacity import _event_lock, _place, _waiting_list_promote

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tenants.permissions import AnyUser


def _audit(action: str, *, acting_user: AnyUser | None, member: Member | None,
           registration: Registration, **details: object) -> None:  # fmt: skip
    """Plain ids and the event's title: a person's name stays out of the append-only log."""
    audit_record(
        action=action,
        actor=acting_user,
        member=member,
        target=registration.event.title,
        event=registration.event_id,
        registration=registration.pk,
        **details,
    )


@transaction.atomic
def registration_for_contact(
    *,
    acting_user: User,
    member: Member,
    event: Event,
    contact_id: int,
    access_needs: str = "",
) -> Registration:
    """A member's staff book one of their own contacts onto an event.

    The host receives the snapshot only; where the host is someone else, handing it over is
    a disclosure and is written to the disclosure log.
    """
    if not permissions.can_register_contacts(acting_user, member, event):
        raise PermissionDenied("Only staff of a member can book their contacts onto events.")
    snapshot = contact_snapshot(user=acting_user, member=member, contact_id=contact_id)
    event = _event_lock(event)
    if not event_visible(event, member, acting_user):
        raise PermissionDenied("This event is not open to your organisation.")
    if (
        event.registrations.filter(member=member, contact_id=contact_id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
    ):
        raise ValidationError(f"{snapshot['name']} is already booked onto this event.")
    registration = _place(
        event,
        member=member,
        contact_id=contact_id,
        registered_by=acting_user,
        access_needs=access_needs.strip(),
        consent=True,
        **snapshot,
    )
    if event.host_id != member.pk:
        disclosure_log(
            acting_user=acting_user,
            member_id=event.host_id or Member.objects.get(schema_name="public").pk,
            provider_id=member.pk,
            action=DisclosureAction.EVENT_SNAPSHOT,
            record_type=RecordType.CONTACT,
            record_ids=[contact_id],
            reason=f"Booked onto “{event.title}” ({event.host_name})",
        )
    _audit("registration.booked", acting_user=acting_user, member=member,
           registration=registration, status=str(registration.status))  # fmt: skip
    return registration


@transaction.atomic
def registration_public(
    *,
    acting_user: AnyUser | None,
    event: Event,
    name: str,
    email: str,
    organisation: str = "",
    access_needs: str = "",
    consent: bool,
) -> Registration:
    """The public sign-up form of a public event. ``acting_user`` is the visitor: usually
    no one signed in (an anonymous visitor, or ``None`` where no request is behind the
    call), and then the audit row has no actor. Anyone may sign up: the event's public
    visibility is the rule, not who is asking."""
    if not consent:
        raise ValidationError({"consent": "Tick the box to agree, or we cannot book you in."})
    event = _event_lock(event)
    if event.visibility != Visibility.PUBLIC:
        raise PermissionDenied("This event is not open to the public.")
    if (
        event.registrations.filter(email__iexact=email.strip())
        .exclude(status=RegistrationStatus.CANCELLED)
        .exists()
    ):
        raise ValidationError({"email": "Someone with this e-mail address is already booked."})
    registration = _place(
        event,
        name=name.strip(),
        email=email.strip(),
        organisation=organisation.strip(),
        access_needs=access_needs.strip(),
        consent=True,
    )
    _audit("registration.signed_up", acting_user=acting_user, member=event.host,
           registration=registration, status=str(registration.status))  # fmt: skip
    return registration


def _cancel(registration: Registration) -> tuple[Registration, list[Registration] | None]:
    """Cancel a place (or a wait) under the event's lock; a freed place goes to the first on
    the waiting list. Returns the registration and whom that promoted (``None``: it was
    cancelled already, so nothing changed)."""
    event = _event_lock(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration, None
    if event.starts_at <= timezone.now():
        raise ValidationError(
            "This event has started, so places can no longer be cancelled: the host records "
            "who came instead."
        )
    was_booked = registration.status == RegistrationStatus.BOOKED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    promoted: list[Registration] = []
    if was_booked:
        Event.objects.filter(pk=event.pk).update(booked_count=F("booked_count") - 1)
        event.booked_count -= 1
        if event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now():
            promoted = _waiting_list_promote(event)
    transaction.on_commit(lambda: notifications.registration_cancelled(registration))
    return registration, promoted


@transaction.atomic
def registration_cancel(
    *, acting_user: User, member: Member | None, registration: Registration
) -> Registration:
    """Staff cancel a place: the host's, or the member's that booked it (on its site)."""
    if not permissions.can_cancel_registration(acting_user, member, registration):
        raise PermissionDenied("You cannot cancel this booking.")
    registration, promoted = _cancel(registration)
    if promoted is not None:
        _audit("registration.cancelled", acting_user=acting_user, member=member,
               registration=registration, promoted=len(promoted))  # fmt: skip
    return registration


@transaction.atomic
def registration_cancel_by_token(*, acting_user: AnyUser | None, token: UUID | str) -> Registration:
    """Someone who signed up on the public page cancels through their private link: the
    token is the authority, not ``acting_user``, the visitor following the link (usually no
    one signed in, or ``None`` where no request is behind the call; the audit row has no
    actor then). Raises ``Registration.DoesNotExist`` for an unknown token."""
    registration = registration_by_token(token=token)
    if registration is None:
        raise Registration.DoesNotExist(token)
    registration, promoted = _cancel(registration)
    if promoted is not None:
        _audit("registration.cancelled", acting_user=acting_user, member=registration.event.host,
               registration=registration, promoted=len(promoted), by="private link")  # fmt: skip
    return registration


@transaction.atomic
def attendance_record(*, acting_user: User, event: Event, attended_ids: set[int]) -> int:
    """After the event starts, the host marks who came; everyone else booked did not.

    Only the places ``acting_user`` may see are touched: a restricted contact's place, hidden
    from the register this user was shown, keeps what a colleague with access recorded. Runs
    on the host's site (its schema), as the register page does.
    """
    if not permissions.can_manage_event(acting_user, event):
        raise PermissionDenied("Only the host can record attendance.")
    if event.starts_at > timezone.now():
        raise ValidationError("Attendance can be recorded once the event has started.")
    booked = registrations_visible(user=acting_user, member=event.host).filter(
        event=event, status=RegistrationStatus.BOOKED
    )
    came = booked.filter(pk__in=attended_ids).update(attended=True)
    booked.exclude(pk__in=attended_ids).update(attended=False)
    audit_record(action="event.attendance", actor=acting_user, member=event.host,
                 target=event.title, attended=came)  # fmt: skip
    return came


ERASED_NAME = "Erased"


@transaction.atomic
def registrations_anonymise(*, acting_user: AnyUser | None, member: Member,
                            contact_ids: list[int]) -> int:  # fmt: skip
    """A person erased from ``member``'s CRM: the snapshots of them at every event (the
    member's own and other hosts') lose their name, e-mail, organisation and access needs and
    their link to the contact. Status and attendance stay, so every event's counts survive.
    Returns how many registrations changed; a second call finds none."""
    ids = sorted({int(i) for i in contact_ids})
    if not ids:
        return 0
    changed = Registration.objects.filter(member=member, contact_id__in=ids).update(
        name=ERASED_NAME, email="", organisation="", access_needs="", contact_id=None
    )
    if changed:
        audit_record(action="registration.anonymised", actor=acting_user, member=member,
                     target=f"{changed} registrations", registrations=changed)  # fmt: skip
    return changed
