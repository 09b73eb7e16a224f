"""Rooms and other resources: the list, the form, one resource's page, and the planner (the
resources down the side, a week or a day across)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from events import bookings, selectors
from events.forms import ResourceForm
from events.models import Resource, ResourceKind
from events.permissions import (
    can_act_for,
    can_book_resource,
    can_manage_resource,
    can_see_booking_holder,
    resource_required,
    site_member,
)
from tenants.forms import form_errors_add

from .base import parse_date, render_page


def _resources_asked(request: HttpRequest) -> tuple[QuerySet[Resource], dict[str, Any]]:
    """The resources this site may see that the address's filters ask for, and the filters
    for the page to show again."""
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:100]
    owner = request.GET.get("owner", "")
    resources = selectors.resources_filtered(
        user=request.user,
        member=site_member(request),
        kind=kind if kind in ResourceKind.values else "",
        owner=owner,
        search=search,
    )
    filters = {"kind": kind, "kinds": ResourceKind.choices, "search": search, "owner": owner}
    return resources, filters


@login_required
def resource_list(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    resources, filters = _resources_asked(request)
    page = Paginator(resources, 25).get_page(request.GET.get("page"))
    return render_page(
        request,
        "events/resource_list.html",
        {
            "page": page,
            **filters,
            "waiting": selectors.approvals_waiting(member=member).count()
            if can_act_for(request.user, member)
            else 0,
        },
    )


def _resource_form(request: HttpRequest, resource: Resource | None) -> HttpResponse:
    """The resource form: a new one owned by this site, or changes to ``resource``."""
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            resource = bookings.resource_save(
                acting_user=request.user, owner=site_member(request), resource=resource, **data
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{resource.name} saved.")
            return redirect("events:resource_detail", resource.pk)
    return render_page(request, "events/resource_form.html", {"form": form, "resource": resource})


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest) -> HttpResponse:
    # No acting check here: the service refuses the POST of anyone who does not act for
    # this site (a 403), as it always has.
    return _resource_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@resource_required(manage=True)
def resource_edit(request: HttpRequest, resource: Resource) -> HttpResponse:
    return _resource_form(request, resource)


@login_required
@resource_required()
def resource_detail(request: HttpRequest, resource: Resource) -> HttpResponse:
    member = site_member(request)
    upcoming = list(selectors.resource_upcoming(resource=resource))
    rows = [(b, can_see_booking_holder(request.user, member, b)) for b in upcoming]
    return render_page(
        request,
        "events/resource_detail.html",
        {
            "resource": resource,
            "rows": rows,
            "manages": can_manage_resource(request.user, resource),
            "may_book": can_book_resource(request.user, resource, member),
        },
    )


def _week_start(value: str | None) -> date:
    day = parse_date(value) or timezone.localdate()
    return day - timedelta(days=day.weekday())


@login_required
def planner(request: HttpRequest) -> HttpResponse:
    """Resources down the side, a week (or one day) across, bookings as blocks."""
    member = site_member(request)
    view = "day" if request.GET.get("view") == "day" else "week"
    if view == "day":
        first = parse_date(request.GET.get("date")) or timezone.localdate()
        days, step = 1, timedelta(days=1)
    else:
        first, days, step = _week_start(request.GET.get("date")), 7, timedelta(days=7)
    resources, filters = _resources_asked(request)
    page = Paginator(resources.filter(is_active=True), 25).get_page(request.GET.get("page"))
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
    return render_page(
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
            **filters,
            "query": query.urlencode(),
            "hours": list(range(7, 21)),
        },
    )
