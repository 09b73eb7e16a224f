"""Who may do what with events, registrations, resources and bookings.

``member`` is the site the user is acting on: a member, or ``None`` for the consortium's own
site, where only consortium admins act for the consortium.
"""

from __future__ import annotations

from typing import Any

from tenants.models import Member
from tenants.permissions import can_work_at, is_consortium_admin

from .models import BookableBy, Booking, Event, Registration, Resource


def acts_for(user: Any, member: Member | None) -> bool:
    """May ``user`` act in the name of ``member`` (``None``: the consortium)?"""
    if member is None:
        return is_consortium_admin(user)
    return can_work_at(user, member)


def may_manage_event(user: Any, event: Event) -> bool:
    return acts_for(user, event.host)


def may_register_from(user: Any, member: Member | None, event: Event) -> bool:
    """Staff register their own contacts; the consortium site has no contacts of its own."""
    return member is not None and can_work_at(user, member)


def may_cancel_registration(user: Any, member: Member | None, registration: Registration) -> bool:
    if may_manage_event(user, registration.event):
        return True
    return member is not None and registration.member_id == member.pk and can_work_at(user, member)


def may_book(user: Any, resource: Resource, holder: Member | None) -> bool:
    if not resource.is_active or not acts_for(user, holder):
        return False
    if resource.bookable_by == BookableBy.OWNER:
        return holder == resource.owner
    return True


def needs_approval(resource: Resource, holder: Member | None) -> bool:
    return resource.needs_approval and holder != resource.owner


def may_manage_resource(user: Any, resource: Resource) -> bool:
    return acts_for(user, resource.owner)


def may_cancel_booking(user: Any, booking: Booking) -> bool:
    return acts_for(user, booking.holder) or may_manage_resource(user, booking.resource)


def may_see_holder(user: Any, member: Member | None, booking: Booking) -> bool:
    """Who holds a booking (and its title) is shown to the holder, the owner and admins."""
    if is_consortium_admin(user):
        return True
    return member is not None and member.pk in (booking.holder_id, booking.resource.owner_id)
