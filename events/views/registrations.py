"""Places at events booked by staff: booking one of the member's own contacts (seeing first
exactly what the host receives), cancelling a place, and the member's list of its places."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from events import selectors, services
from events.forms import RegisterContactForm
from events.models import Event, Registration, RegistrationStatus
from events.permissions import (
    can_cancel_registration,
    can_register_contacts,
    event_required,
    site_member,
)
from tenants.forms import form_errors_add

from .base import confirm_page, next_url, render_page


@login_required
@require_http_methods(["GET", "POST"])
@event_required()
def event_register(request: HttpRequest, event: Event) -> HttpResponse:
    """Book one of our own contacts: find them, see exactly what the host will receive,
    then confirm."""
    member = site_member(request)
    if member is None or not can_register_contacts(request.user, member, event):
        raise PermissionDenied
    search = request.GET.get("q", "").strip()[:100]
    candidates = []
    if search:
        candidates = selectors.contact_candidates(user=request.user, search=search)
    form = RegisterContactForm(
        request.POST or None, initial={"contact": request.GET.get("contact")}
    )
    contact_id = request.POST.get("contact") or request.GET.get("contact")
    snapshot = None
    if contact_id:
        try:
            snapshot = selectors.contact_snapshot(
                user=request.user, member=member, contact_id=int(contact_id)
            )
        except (ValidationError, ValueError):
            messages.error(request, "That contact is not in your CRM.")
            return redirect("events:event_register", event.pk)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_for_contact(
                acting_user=request.user,
                member=member,
                event=event,
                contact_id=form.cleaned_data["contact"],
                access_needs=form.cleaned_data["access_needs"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            status = (
                "booked"
                if registration.status == RegistrationStatus.BOOKED
                else "put on the waiting list"
            )
            messages.success(request, f"{registration.name} is {status}.")
            return redirect("events:event_detail", event.pk)
    return render_page(
        request,
        "events/event_register.html",
        {
            "event": event,
            "search": search,
            "candidates": candidates,
            "snapshot": snapshot,
            "form": form,
            "contact_id": contact_id,
            "shares": event.host_id != member.pk,
        },
    )


@login_required
@require_POST
def registration_cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    member = site_member(request)
    try:
        registration = selectors.registration_get(
            user=request.user, member=member, registration_id=registration_id
        )
    except Registration.DoesNotExist as exc:
        raise Http404 from exc
    if not can_cancel_registration(request.user, member, registration):
        raise Http404
    back = next_url(request, reverse("events:event_detail", args=[registration.event_id]))
    asking = confirm_page(
        request, title=f"Cancel {registration.name}'s place?", button="Cancel the place",
        consequences=[f"{registration.name} loses their place at “{registration.event.title}” "
                      "and is told so.",
                      "If someone is on the waiting list, the place goes to them.",
                      "This cannot be undone: booking again may find the event full."],
        keep=["next"], back=back, back_label="Keep the place", danger=True,
    )  # fmt: skip
    if asking:
        return asking
    try:
        services.registration_cancel(
            acting_user=request.user, member=member, registration=registration
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{registration.name}'s booking is cancelled.")
    return redirect(back)


@login_required
def our_registrations(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    if member is None:
        raise Http404
    page = Paginator(
        selectors.registrations_by_member(member=member, user=request.user), 25
    ).get_page(request.GET.get("page"))
    return render_page(request, "events/our_registrations.html", {"page": page})
