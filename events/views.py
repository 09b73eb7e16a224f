"""Pages for events, resources and bookings, on members' sites and the consortium's site.

The same views serve both: ``_member(request)`` is the member whose site this is, or
``None`` on the consortium site (where consortium admins act for the consortium). What is
visible comes from ``events.selectors``; every write goes through the services.
"""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from crm.exporting import FORMATS, table_bytes
from tenants.confirm import confirmation_page
from tenants.forms import form_errors_add
from tenants.models import Member, MemberKind
from tenants.ordering import name_order
from tenants.sites import site_url

from . import bookings as booking_services
from . import rules, selectors, services
from .bookings import BookingClash, when_text
from .calendar import calendar_build, public_path
from .forms import (
    BookingForm,
    CancelEventForm,
    EventForm,
    RegisterContactForm,
    ResourceForm,
    SignUpForm,
)
from .models import (
    Booking,
    EventType,
    Registration,
    RegistrationStatus,
    Resource,
    ResourceKind,
    Visibility,
)


def _member(request: HttpRequest) -> Member | None:
    tenant = getattr(request, "tenant", None)
    return tenant if getattr(tenant, "kind", None) == MemberKind.MEMBER else None


def _base(request: HttpRequest) -> str:
    return "member_base.html" if _member(request) else "consortium_base.html"


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    member = _member(request)
    context = {
        "base_template": _base(request),
        "acting_member": member,
        "may_act": rules.acts_for(request.user, member),
        **context,
    }
    return render(request, template, context, status=status)


def _confirm_page(request: HttpRequest, **confirm: Any) -> HttpResponse | None:
    """The shared confirmation step, in this site's frame (see tenants.confirm)."""
    member = _member(request)
    return confirmation_page(
        request,
        base_template=_base(request),
        context={"acting_member": member, "may_act": rules.acts_for(request.user, member)},
        **confirm,
    )


def _when(booking: Booking) -> str:
    start, end = timezone.localtime(booking.during.lower), timezone.localtime(booking.during.upper)
    return f"{date_format(start, 'l j F Y')} from {start:%H:%M} to {end:%H:%M}"


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


# Dates people can ask for: anything outside is ignored (and could overflow date arithmetic).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def _parse_date(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed and EARLIEST_YEAR <= parsed.year <= LATEST_YEAR else None


# --- events: calendar ----------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, Any]:
    event_type = request.GET.get("type", "")
    return {
        "host": request.GET.get("host", "").strip(),
        "event_type": event_type if event_type in EventType.values else "",
        "search": request.GET.get("q", "").strip()[:100],
    }


def _filter_context(request: HttpRequest, filters: dict[str, Any]) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("month", None)
    return {
        "filters": filters,
        "hosts": Member.organisations.active().order_by(*name_order("name"), "id"),
        "types": EventType.choices,
        "query": query.urlencode(),
    }


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    filters = _filters(request)
    start = _parse_date(request.GET.get("from")) or timezone.localdate()
    events = selectors.events_filtered(
        user=request.user,
        member=member,
        start=start,
        end=_parse_date(request.GET.get("to")),
        **filters,
    )
    page = Paginator(events, 20).get_page(request.GET.get("page"))
    return _render(
        request,
        "events/event_list.html",
        {
            "page": page,
            "start": start,
            "view": "list",
            **_filter_context(request, filters),
            "feed_url": _feed_url(request, member),
            "personal_feed_url": _personal_feed(request),
        },
    )


@login_required
def event_month(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    filters = _filters(request)
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        date(year, month, 1)
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValueError(year)
    except ValueError:
        year, month = today.year, today.month
    weeks = selectors.month_grid(year, month)
    events = selectors.events_filtered(
        user=request.user, member=member, start=weeks[0][0], end=weeks[-1][-1], **filters
    )
    by_day: dict[date, list] = {}
    for event in events:
        day = timezone.localtime(event.starts_at).date()
        last = timezone.localtime(event.ends_at).date()
        while day <= last:
            by_day.setdefault(day, []).append(event)
            day += timedelta(days=1)
    first = date(year, month, 1)
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return _render(
        request,
        "events/event_month.html",
        {
            "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
            "month_start": first,
            "month": month,
            "today": today,
            "view": "month",
            "previous": f"{previous:%Y-%m}",
            "next": f"{following:%Y-%m}",
            "day_names": pycalendar.day_abbr,
            "event_count": len(events),
            **_filter_context(request, filters),
        },
    )


def _event_or_404(request: HttpRequest, event_id: int):
    try:
        return selectors.event_get(user=request.user, member=_member(request), event_id=event_id)
    except selectors.Event.DoesNotExist as exc:
        raise Http404("No such event here.") from exc


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    member = _member(request)
    event = _event_or_404(request, event_id)
    manages = rules.may_manage_event(request.user, event)
    context: dict[str, Any] = {
        "event": event,
        "manages": manages,
        "when": when_text(event.starts_at, event.ends_at),
        "closed_reason": services.registration_open(event),
        "counts": selectors.registration_counts(event),
        "public_url": site_url(request, None, public_path("public_event", event.uid))
        if event.visibility == Visibility.PUBLIC
        else "",
        "may_register": rules.may_register_from(request.user, member, event),
        "cancel_form": CancelEventForm(),
    }
    if manages:
        context["register"] = selectors.registrations_for_host(
            event=event, user=request.user, member=_member(request)
        )
        context["has_started"] = event.starts_at <= timezone.now()
    if member is not None:
        context["ours"] = selectors.registrations_of(event=event, member=member, user=request.user)
    return _render(request, "events/event_detail.html", context)


def _resources_for_events(request: HttpRequest):
    return selectors.resources_bookable(user=request.user, member=_member(request)).filter(
        is_active=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int | None = None) -> HttpResponse:
    member = _member(request)
    event = _event_or_404(request, event_id) if event_id else None
    if event is not None and not rules.may_manage_event(request.user, event):
        raise PermissionDenied
    if event is None and not rules.acts_for(request.user, member):
        raise PermissionDenied
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
                event = services.event_create(user=request.user, host=member, **data)
                messages.success(
                    request,
                    f"“{event.title}” is saved as a draft. Publish it when "
                    "you are ready for bookings.",
                )
            else:
                event = services.event_update(user=request.user, event=event, **data)
                messages.success(request, "Changes saved; anyone booked has been told.")
            return redirect("events:event_detail", event.pk)
        except BookingClash as exc:
            clash = exc
            form.add_error("venue_resource", exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
    return _render(
        request, "events/event_form.html", {"form": form, "event": event, "clash": clash}
    )


@login_required
@require_POST
def event_action(request: HttpRequest, event_id: int, action: str) -> HttpResponse:
    event = _event_or_404(request, event_id)
    try:
        if action == "publish":
            services.event_publish(user=request.user, event=event)
            messages.success(request, "Published: bookings are open.")
        elif action == "cancel":
            asking = _confirm_page(
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
            services.event_cancel(user=request.user, event=event, reason=reason)
            messages.success(
                request, "The event is cancelled, its room released and everyone booked told."
            )
        elif action == "attendance":
            ids = {int(x) for x in request.POST.getlist("attended") if x.isdigit()}
            came = services.attendance_record(user=request.user, event=event, attended_ids=ids)
            messages.success(request, f"Attendance saved: {came} came.")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("events:event_detail", event.pk)


@login_required
def event_register_export(request: HttpRequest, event_id: int, fmt: str) -> HttpResponse:
    event = _event_or_404(request, event_id)
    if not rules.may_manage_event(request.user, event):
        raise PermissionDenied
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
            event=event, user=request.user, member=_member(request)
        )
    ]
    content_type, extension = FORMATS[fmt]
    data = table_bytes(headers, rows, fmt, title="Register")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="register-{event.pk}.{extension}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def event_register(request: HttpRequest, event_id: int) -> HttpResponse:
    """Book one of our own contacts: find them, see exactly what the host will receive,
    then confirm."""
    member = _member(request)
    event = _event_or_404(request, event_id)
    if not rules.may_register_from(request.user, member, event):
        raise PermissionDenied
    search = request.GET.get("q", "").strip()[:100]
    candidates = []
    if search:
        candidates = list(selectors.contact_candidates(user=request.user, search=search))
    form = RegisterContactForm(
        request.POST or None, initial={"contact": request.GET.get("contact")}
    )
    contact_id = request.POST.get("contact") or request.GET.get("contact")
    snapshot = None
    if contact_id:
        try:
            snapshot = services.contact_snapshot(
                user=request.user, member=member, contact_id=int(contact_id)
            )
        except (ValidationError, ValueError):
            messages.error(request, "That contact is not in your CRM.")
            return redirect("events:event_register", event.pk)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_for_contact(
                user=request.user,
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
    return _render(
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
    member = _member(request)
    try:
        registration = selectors.registration_get(
            user=request.user, member=member, registration_id=registration_id
        )
    except Registration.DoesNotExist as exc:
        raise Http404 from exc
    if not rules.may_cancel_registration(request.user, member, registration):
        raise Http404
    back = _next(request, reverse("events:event_detail", args=[registration.event_id]))
    asking = _confirm_page(
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
        services.registration_cancel(registration=registration, user=request.user, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{registration.name}'s booking is cancelled.")
    return redirect(_next(request, reverse("events:event_detail", args=[registration.event_id])))


@login_required
def our_registrations(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    if member is None:
        raise Http404
    page = Paginator(
        selectors.registrations_by_member(member=member, user=request.user), 25
    ).get_page(request.GET.get("page"))
    return _render(request, "events/our_registrations.html", {"page": page})


# --- public pages (no sign-in) -------------------------------------------------------------


# Sign-ups one address may make per hour on the public pages (a brake on scripted floods).
SIGN_UPS_PER_HOUR = 20


def _sign_up_allowed(request: HttpRequest, form: SignUpForm) -> bool:
    """Refuse robot-filled forms (the hidden field) and floods from one address."""
    if form.cleaned_data.get("website"):
        form.add_error(None, "Your booking could not be taken. Please try again.")
        return False
    key = f"events:sign-ups:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > SIGN_UPS_PER_HOUR:
        form.add_error(None, "Too many bookings from your connection in the last hour: "
                             "please try again later, or contact the host.")  # fmt: skip
        return False
    return True


@login_not_required
@require_http_methods(["GET", "POST"])
def public_event(request: HttpRequest, uid: str) -> HttpResponse:
    event = selectors.public_events().filter(uid=uid).first()
    if event is None:
        raise Http404("No such public event.")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _sign_up_allowed(request, form):
        try:
            registration = services.registration_public(
                event=event, **{k: v for k, v in form.cleaned_data.items() if k != "website"}
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            return redirect("public_registration", registration.token)
    return render(
        request,
        "events/public_event.html",
        {
            "event": event,
            "form": form,
            "when": when_text(event.starts_at, event.ends_at),
            "closed_reason": services.registration_open(event),
        },
        status=400 if form.errors else 200,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def public_registration(request: HttpRequest, token: str) -> HttpResponse:
    registration = get_object_or_404(Registration.objects.select_related("event"), token=token)
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration, by_token=True)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Your booking is cancelled. Thank you for letting us know.")
        return redirect("public_registration", token)
    event = registration.event
    return render(
        request,
        "events/public_registration.html",
        {
            "registration": registration,
            "event": event,
            "when": when_text(event.starts_at, event.ends_at),
        },
    )


# --- calendar feeds ------------------------------------------------------------------------


def _feed_url(request: HttpRequest, member: Member | None) -> str:
    name = member.slug if member else "all"
    return site_url(request, None, public_path("calendar_feed", name))


def _personal_feed(request: HttpRequest) -> str:
    key = services.calendar_key_for(user=request.user)
    return site_url(request, None, public_path("calendar_feed", "all") + f"?key={key}")


@login_required
@require_POST
def calendar_key_renew(request: HttpRequest) -> HttpResponse:
    services.calendar_key_renew(user=request.user)
    messages.success(request, "Your calendar address has changed: the old one no longer works. "
                              "Subscribe again with the new one.")  # fmt: skip
    return redirect("events:event_list")


@login_not_required
def calendar_feed(request: HttpRequest, name: str) -> HttpResponse:
    """RFC 5545 feed for subscription: public events, or with a personal key (from the
    events page) everything its owner may see. ``name`` is a member's slug or "all"."""
    user = None
    key = request.GET.get("key")
    if key:
        user = services.calendar_key_user(key=key)
        if user is None:
            raise Http404("This calendar address is not valid (it may have been renewed).")
    host = None
    if name != "all":
        host = Member.organisations.filter(slug=name, is_active=True).first()
        if host is None:
            raise Http404("No such member.")
    events = selectors.feed_events(user=user, host=host, all_hosts=name == "all")
    title = host.name if host else "All consortium events"

    def url_for(event):
        if event.visibility == Visibility.PUBLIC:
            return site_url(request, None, public_path("public_event", event.uid))
        return site_url(request, event.host, reverse("events:event_detail", args=[event.pk]))

    response = HttpResponse(
        calendar_build(events, name=title, url_for=url_for),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


# --- resources and bookings ----------------------------------------------------------------


def _resource_or_404(request: HttpRequest, resource_id: int) -> Resource:
    resource = (
        selectors.resources_bookable(user=request.user, member=_member(request))
        .filter(pk=resource_id)
        .first()
    )
    if resource is None:
        raise Http404("No such resource here.")
    return resource


@login_required
def resource_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:100]
    resources = selectors.resources_filtered(
        user=request.user,
        member=member,
        kind=kind if kind in ResourceKind.values else "",
        owner=request.GET.get("owner", ""),
        search=search,
    )
    page = Paginator(resources, 25).get_page(request.GET.get("page"))
    return _render(
        request,
        "events/resource_list.html",
        {
            "page": page,
            "search": search,
            "kind": kind,
            "kinds": ResourceKind.choices,
            "owner": request.GET.get("owner", ""),
            "waiting": selectors.approvals_waiting(member=member).count()
            if rules.acts_for(request.user, member)
            else 0,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, resource_id: int | None = None) -> HttpResponse:
    member = _member(request)
    resource = _resource_or_404(request, resource_id) if resource_id else None
    if resource is not None and not rules.may_manage_resource(request.user, resource):
        raise PermissionDenied
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            resource = booking_services.resource_save(
                user=request.user, owner=member, resource=resource, **data
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{resource.name} saved.")
            return redirect("events:resource_detail", resource.pk)
    return _render(request, "events/resource_form.html", {"form": form, "resource": resource})


@login_required
def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    member = _member(request)
    resource = _resource_or_404(request, resource_id)
    upcoming = list(selectors.resource_upcoming(resource=resource))
    rows = [(b, rules.may_see_holder(request.user, member, b)) for b in upcoming]
    return _render(
        request,
        "events/resource_detail.html",
        {
            "resource": resource,
            "rows": rows,
            "manages": rules.may_manage_resource(request.user, resource),
            "may_book": rules.may_book(request.user, resource, member),
        },
    )


def _week_start(value: str | None) -> date:
    day = _parse_date(value) or timezone.localdate()
    return day - timedelta(days=day.weekday())


@login_required
def planner(request: HttpRequest) -> HttpResponse:
    """Resources down the side, a week (or one day) across, bookings as blocks."""
    member = _member(request)
    view = "day" if request.GET.get("view") == "day" else "week"
    if view == "day":
        first = _parse_date(request.GET.get("date")) or timezone.localdate()
        days, step = 1, timedelta(days=1)
    else:
        first, days, step = _week_start(request.GET.get("date")), 7, timedelta(days=7)
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:100]
    resources = selectors.resources_filtered(
        user=request.user,
        member=member,
        kind=kind if kind in ResourceKind.values else "",
        owner=request.GET.get("owner", ""),
        search=search,
    ).filter(is_active=True)
    page = Paginator(resources, 25).get_page(request.GET.get("page"))
    grid = selectors.planner(
        user=request.user,
        member=member,
        resources=list(page.object_list),
        first_day=first,
        days=days,
    )
    day_list = [first + timedelta(days=i) for i in range(days)]
    query = request.GET.copy()
    query.pop("date", None)
    query.pop("page", None)
    return _render(
        request,
        "events/planner.html",
        {
            "rows": [(r, grid[r.pk]) for r in page.object_list],
            "page": page,
            "days": day_list,
            "view": view,
            "first": first,
            "previous": first - step,
            "next": first + step,
            "today": timezone.localdate(),
            "kind": kind,
            "kinds": ResourceKind.choices,
            "search": search,
            "owner": request.GET.get("owner", ""),
            "query": query.urlencode(),
            "hours": list(range(7, 21)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    if not rules.acts_for(request.user, member):
        raise PermissionDenied
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
            made = booking_services.booking_place(
                user=request.user,
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
    return _render(
        request,
        "events/booking_form.html",
        {"form": form, "clash": clash, "retry_title": request.POST.get("title", "")},
        status=409 if clash else 200,
    )


@login_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    if not rules.acts_for(request.user, member):
        raise PermissionDenied
    page = Paginator(selectors.bookings_held_by(member=member), 25).get_page(
        request.GET.get("page")
    )
    return _render(request, "events/my_bookings.html", {"page": page})


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    if not rules.acts_for(request.user, member):
        raise PermissionDenied
    waiting = selectors.approvals_waiting(member=member)
    return _render(request, "events/approvals.html", {"waiting": waiting})


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    member = _member(request)
    booking = get_object_or_404(Booking.objects.select_related("resource", "holder"), pk=booking_id)
    allowed = (
        rules.may_manage_resource(request.user, booking.resource)
        if action in ("approve", "decline")
        else rules.may_cancel_booking(request.user, booking)
    )
    if not allowed:
        raise Http404
    try:
        if action in ("approve", "decline"):
            booking_services.booking_decide(
                user=request.user, member=member, booking=booking, approve=action == "approve"
            )
            messages.success(
                request, f"Booking {'approved' if action == 'approve' else 'declined'}."
            )
        elif action == "cancel":
            series = bool(request.POST.get("series")) and booking.series is not None
            asking = _confirm_page(
                request, title=f"Cancel the booking of {booking.resource.name}?",
                button="Cancel every date" if series else "Cancel the booking",
                consequences=[
                    f"“{booking.title}”, {_when(booking)}"
                    + (", and every date of its series still to come," if series else "")
                    + " is cancelled and the time is free for others to book.",
                    "This cannot be undone: booking again may find the time taken.",
                ],
                keep=["series", "next"], back=_next(request, reverse("events:my_bookings")),
                back_label="Keep the booking", danger=True,
            )  # fmt: skip
            if asking:
                return asking
            count = booking_services.booking_cancel(
                user=request.user, booking=booking, whole_series=bool(request.POST.get("series"))
            )
            messages.success(request, f"{count} booking{'s' if count != 1 else ''} cancelled.")
        else:
            raise Http404
    except BookingClash as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(_next(request, reverse("events:my_bookings")))
