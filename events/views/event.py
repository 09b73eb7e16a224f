"""One event's pages: its detail, the form that makes or changes it, publishing, cancelling,
taking the register, and the register's download."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crm.exporting import FORMATS, table_bytes
from events import selectors, services
from events.bookings import BookingClash
from events.calendar import public_path
from events.forms import CancelEventForm, EventForm
from events.models import Event, Resource, Visibility
from events.permissions import (
    acting_required,
    can_manage_event,
    can_register_contacts,
    event_required,
    site_member,
)
from events.times import when_text
from tenants.forms import form_errors_add
from tenants.sites import site_url

from .base import confirm_page, render_page


@login_required
@event_required()
def event_detail(request: HttpRequest, event: Event) -> HttpResponse:
    member = site_member(request)
    manages = can_manage_event(request.user, event)
    context: dict[str, Any] = {
        "event": event,
        "manages": manages,
        "when": when_text(event.starts_at, event.ends_at),
        "closed_reason": selectors.registration_open(event),
        "counts": selectors.registration_counts(event),
        "public_url": site_url(request, None, public_path("public_event", event.uid))
        if event.visibility == Visibility.PUBLIC
        else "",
        "may_register": can_register_contacts(request.user, member, event),
        "cancel_form": CancelEventForm(),
    }
    if manages:
        context["register"] = selectors.registrations_for_host(
            event=event, user=request.user, member=member
        )
        context["has_started"] = event.starts_at <= timezone.now()
    if member is not None:
        context["ours"] = selectors.registrations_of(event=event, member=member, user=request.user)
    return render_page(request, "events/event_detail.html", context)


def _resources_for_events(request: HttpRequest) -> QuerySet[Resource]:
    return selectors.resources_bookable(user=request.user, member=site_member(request)).filter(
        is_active=True
    )


def _event_form(request: HttpRequest, event: Event | None) -> HttpResponse:
    """The event form: a new draft hosted by this site, or changes to ``event``."""
    initial = {} if event else {"visibility": Visibility.MEMBERS, "venue_kind": "resource"}
    form = EventForm(
        request.POST or None,
        instance=event,
        initial=initial,
        resources=_resources_for_events(request),
    )
    clash = None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if event is None:
                event = services.event_create(
                    acting_user=request.user, host=site_member(request), **data
                )
                messages.success(
                    request,
                    f"“{event.title}” is saved as a draft. Publish it when "
                    "you are ready for bookings.",
                )
            else:
                event = services.event_update(acting_user=request.user, event=event, **data)
                messages.success(request, "Changes saved; anyone booked has been told.")
            return redirect("events:event_detail", event.pk)
        except BookingClash as exc:
            clash = exc
            form.add_error("venue_resource", exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
    return render_page(
        request, "events/event_form.html", {"form": form, "event": event, "clash": clash}
    )


@login_required
@require_http_methods(["GET", "POST"])
@acting_required
def event_create(request: HttpRequest) -> HttpResponse:
    return _event_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@event_required(manage=True)
def event_edit(request: HttpRequest, event: Event) -> HttpResponse:
    return _event_form(request, event)


@login_required
@require_POST
@event_required()
def event_action(request: HttpRequest, event: Event, action: str) -> HttpResponse:
    try:
        if action == "publish":
            services.event_publish(acting_user=request.user, event=event)
            messages.success(request, "Published: bookings are open.")
        elif action == "cancel":
            asking = confirm_page(
                request, title=f"Cancel “{event.title}”?", button="Cancel the event",
                consequences=[
                    "Everyone booked or waiting is e-mailed, and the event leaves their "
                    "calendars.",
                    *(["Its room booking is released."] if event.venue_booking_id else []),
                    "This cannot be undone: a cancelled event cannot be changed or reopened.",
                ],
                keep=["reason"], back=reverse("events:event_detail", args=[event.pk]),
                back_label="Keep the event",
            )  # fmt: skip
            if asking:
                return asking
            form = CancelEventForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.event_cancel(acting_user=request.user, event=event, reason=reason)
            messages.success(
                request, "The event is cancelled, its room released and everyone booked told."
            )
        elif action == "attendance":
            ids = {int(x) for x in request.POST.getlist("attended") if x.isdigit()}
            came = services.attendance_record(
                acting_user=request.user, event=event, attended_ids=ids
            )
            messages.success(request, f"Attendance saved: {came} came.")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("events:event_detail", event.pk)


@login_required
@event_required(manage=True)
def event_register_export(request: HttpRequest, event: Event, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    headers = ["Name", "E-mail", "Organisation", "Access needs", "Status", "Booked at",
               "Attended", "Booked by"]  # fmt: skip
    rows = [
        [
            r.name,
            r.email,
            r.organisation,
            r.access_needs,
            r.get_status_display(),
            timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
            {True: "Yes", False: "No"}.get(r.attended, ""),
            r.member.name if r.member_id else "Public sign-up",
        ]
        for r in selectors.registrations_for_host(
            event=event, user=request.user, member=site_member(request)
        )
    ]
    content_type, extension = FORMATS[fmt]
    data = table_bytes(headers, rows, fmt, title="Register")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="register-{event.pk}.{extension}"'
    return response
