"""Who may do what with events, registrations, resources and bookings.

``member`` is the site the user is acting on: a member, or ``None`` for the consortium's own
site, where only consortium admins act for the consortium. Predicates are pure answers; the
decorators at the end turn the ones that pages repeat into a 403 or a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from tenants.models import Member, MemberKind
from tenants.permissions import AnyUser, can_work_at, is_consortium_admin, request_passes

from .models import BookableBy, Booking, Event, Registration, Resource
from .selectors import event_get, resource_get

View = Callable[..., HttpResponse]


def can_act_for(user: AnyUser, member: Member | None) -> bool:
    """May ``user`` act in the name of ``member`` (``None``: the consortium)?"""
    if member is None:
        return is_consortium_admin(user)
    return can_work_at(user, member)


def can_manage_event(user: AnyUser, event: Event) -> bool:
    return can_act_for(user, event.host)


def can_register_contacts(user: AnyUser, member: Member | None, event: Event) -> bool:
    """Staff register their own contacts; the consortium site has no contacts of its own."""
    return member is not None and can_work_at(user, member)


def can_cancel_registration(
    user: AnyUser, member: Member | None, registration: Registration
) -> bool:
    if can_manage_event(user, registration.event):
        return True
    return member is not None and registration.member_id == member.pk and can_work_at(user, member)


def can_book_resource(user: AnyUser, resource: Resource, holder: Member | None) -> bool:
    if not resource.is_active or not can_act_for(user, holder):
        return False
    if resource.bookable_by == BookableBy.OWNER:
        return holder == resource.owner
    return True


def booking_needs_approval(resource: Resource, holder: Member | None) -> bool:
    return resource.needs_approval and holder != resource.owner


def can_manage_resource(user: AnyUser, resource: Resource) -> bool:
    return can_act_for(user, resource.owner)


def can_cancel_booking(user: AnyUser, booking: Booking) -> bool:
    return can_act_for(user, booking.holder) or can_manage_resource(user, booking.resource)


def can_see_booking_holder(user: AnyUser, member: Member | None, booking: Booking) -> bool:
    """Who holds a booking (and its title) is shown to the holder, the owner and admins."""
    if is_consortium_admin(user):
        return True
    return member is not None and member.pk in (booking.holder_id, booking.resource.owner_id)


# --- for views -------------------------------------------------------------------------------


def site_member(request: HttpRequest) -> Member | None:
    """The member whose site this is, or ``None`` on the consortium's site."""
    tenant = getattr(request, "tenant", None)
    return tenant if getattr(tenant, "kind", None) == MemberKind.MEMBER else None


# 403 unless the user acts for this site (its staff; on the consortium site, admins).
acting_required = request_passes(lambda request: can_act_for(request.user, site_member(request)))


def _object_required(
    id_name: str,
    find: Callable[[HttpRequest, int], Any],
    manages: Callable[[AnyUser, Any], bool],
    *,
    manage: bool,
) -> Callable[[View], View]:
    """Turn the URL's ``id_name`` into the object this site may see, handed to the view in
    its place (``find`` raises Http404 otherwise); with ``manage``, 403 unless ``manages``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            found = find(request, kwargs.pop(id_name))
            if manage and not manages(request.user, found):
                raise PermissionDenied
            return view(request, found, *args, **kwargs)

        return wrapper

    return decorator


def _event_find(request: HttpRequest, event_id: int) -> Event:
    try:
        return event_get(user=request.user, member=site_member(request), event_id=event_id)
    except Event.DoesNotExist as exc:
        raise Http404("No such event here.") from exc


def _resource_find(request: HttpRequest, resource_id: int) -> Resource:
    try:
        return resource_get(user=request.user, member=site_member(request), resource_id=resource_id)
    except Resource.DoesNotExist as exc:
        raise Http404("No such resource here.") from exc


def event_required(*, manage: bool = False) -> Callable[[View], View]:
    """The view gets the event of the URL's id that this site may see (404 otherwise); with
    ``manage``, 403 unless the user manages it."""
    return _object_required("event_id", _event_find, can_manage_event, manage=manage)


def resource_required(*, manage: bool = False) -> Callable[[View], View]:
    """The view gets the resource of the URL's id that this site may book or manages (404
    otherwise); with ``manage``, 403 unless the user manages it."""
    return _object_required("resource_id", _resource_find, can_manage_resource, manage=manage)
