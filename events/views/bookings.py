"""Bookings: making one (or a repeating series), the site's own bookings, the owner's
approval queue, and approving, declining or cancelling one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from events import bookings, selectors
from events.bookings import BookingClash
from events.forms import BookingForm
from events.models import Booking
from events.permissions import acting_required, can_cancel_booking, can_manage_resource, site_member
from tenants.forms import form_errors_add

from .base import booking_when, confirm_page, next_url, render_page


@login_required
@require_http_methods(["GET", "POST"])
@acting_required
def booking_new(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    resources = (
        selectors.resources_bookable(user=request.user, member=member)
        .filter(is_active=True)
        .order_by("name")
    )
    initial = {
        "resource": request.GET.get("resource"),
        "day": request.GET.get("day"),
        "start": request.GET.get("start"),
        "end": request.GET.get("end"),
        "title": request.GET.get("title", ""),
        "repeat_count": 1,
    }
    form = BookingForm(request.POST or None, initial=initial, resources=resources)
    clash = None
    if request.method == "POST" and form.is_valid() and "starts_at" in form.cleaned_data:
        data = form.cleaned_data
        try:
            made = bookings.booking_place(
                acting_user=request.user,
                member=member,
                resource=data["resource"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                title=data["title"],
                recurrence=data["recurrence"],
                repeat_count=data["repeat_count"],
            )
        except BookingClash as exc:
            clash = exc  # shown in full above the form, with the next free slots
        except PermissionDenied as exc:
            form.add_error("resource", str(exc))
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            pending = made[0].status == "pending"
            messages.success(
                request,
                (
                    f"{len(made)} booking{'s' if len(made) > 1 else ''} of {made[0].resource.name} "
                    + ("sent to the owner for approval." if pending else "confirmed.")
                ),
            )
            return redirect("events:my_bookings")
    return render_page(
        request,
        "events/booking_form.html",
        {"form": form, "clash": clash, "retry_title": request.POST.get("title", "")},
        status=409 if clash else 200,
    )


@login_required
@acting_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    page = Paginator(selectors.bookings_held_by(member=member), 25).get_page(
        request.GET.get("page")
    )
    return render_page(request, "events/my_bookings.html", {"page": page})


@login_required
@acting_required
def approvals(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    waiting = selectors.approvals_waiting(member=member)
    return render_page(request, "events/approvals.html", {"waiting": waiting})


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    member = site_member(request)
    booking = get_object_or_404(Booking.objects.select_related("resource", "holder"), pk=booking_id)
    allowed = (
        can_manage_resource(request.user, booking.resource)
        if action in ("approve", "decline")
        else can_cancel_booking(request.user, booking)
    )
    if not allowed:
        raise Http404
    try:
        if action in ("approve", "decline"):
            bookings.booking_decide(
                acting_user=request.user,
                member=member,
                booking=booking,
                approve=action == "approve",
            )
            messages.success(
                request, f"Booking {'approved' if action == 'approve' else 'declined'}."
            )
        elif action == "cancel":
            series = bool(request.POST.get("series")) and booking.series is not None
            asking = confirm_page(
                request, title=f"Cancel the booking of {booking.resource.name}?",
                button="Cancel every date" if series else "Cancel the booking",
                consequences=[
                    f"“{booking.title}”, {booking_when(booking)}"
                    + (", and every date of its series still to come," if series else "")
                    + " is cancelled and the time is free for others to book.",
                    "This cannot be undone: booking again may find the time taken.",
                ],
                keep=["series", "next"], back=next_url(request, reverse("events:my_bookings")),
                back_label="Keep the booking", danger=True,
            )  # fmt: skip
            if asking:
                return asking
            count = bookings.booking_cancel(
                acting_user=request.user,
                booking=booking,
                whole_series=bool(request.POST.get("series")),
            )
            messages.success(request, f"{count} booking{'s' if count != 1 else ''} cancelled.")
        else:
            raise Http404
    except BookingClash as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(next_url(request, reverse("events:my_bookings")))
