"""What every events page shares: the site's frame, the confirmation step, and the small
parsers of what people put in addresses.

The same views serve members' sites and the consortium's: ``site_member(request)`` is the
member whose site this is, or ``None`` on the consortium site (where consortium admins act
for the consortium). What is visible comes from ``events.selectors``; who may act, from
``events.permissions``; every write goes through the services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme

from events.models import Booking
from events.permissions import can_act_for, site_member
from tenants.confirm import confirmation_page

# Dates people can ask for: anything outside is ignored (and could overflow date arithmetic).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def base_template(request: HttpRequest) -> str:
    return "member_base.html" if site_member(request) else "consortium_base.html"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render in this site's frame, telling the template whether the user acts for it."""
    member = site_member(request)
    context = {
        "base_template": base_template(request),
        "acting_member": member,
        "may_act": can_act_for(request.user, member),
        **context,
    }
    return render(request, template, context, status=status)


def confirm_page(request: HttpRequest, **confirm: Any) -> HttpResponse | None:
    """The shared confirmation step, in this site's frame (see tenants.confirm)."""
    member = site_member(request)
    return confirmation_page(
        request,
        base_template=base_template(request),
        context={"acting_member": member, "may_act": can_act_for(request.user, member)},
        **confirm,
    )


def booking_when(booking: Booking) -> str:
    start, end = timezone.localtime(booking.during.lower), timezone.localtime(booking.during.upper)
    return f"{date_format(start, 'l j F Y')} from {start:%H:%M} to {end:%H:%M}"


def next_url(request: HttpRequest, default: str) -> str:
    """Where a POST asks to go back to, if it is on this site; else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def parse_date(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed and EARLIEST_YEAR <= parsed.year <= LATEST_YEAR else None
