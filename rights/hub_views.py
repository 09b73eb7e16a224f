"""The "Data protection" hub of each site: one page that leads to every part of people's
rights a person may use here, with what is waiting (open tasks, due soon, copies, breaches).

Views parse, authorise, call a selector and render; each link is shown only to those its
page lets in (the same predicates the pages themselves check).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from tenants.permissions import is_consortium_admin, permission_require

from .exit_permissions import can_decide_member_exit, can_export_member
from .hub_selectors import consortium_hub_counts, member_hub_counts
from .permissions import (
    acts_for_breaches,
    can_handle_copy_notices,
    can_manage_retention,
    can_view_processing,
    can_view_processing_of_any,
)
from .routing_permissions import can_look_up_people, can_open_request_for, can_view_rights_tasks


def can_see_member_hub(user: Any, member: Any) -> bool:
    """A member's data protection leads and its managers (the people its parts serve)."""
    return can_view_rights_tasks(user, member)


def can_see_consortium_hub(user: Any) -> bool:
    return can_look_up_people(user) or is_consortium_admin(user)


def _link(name: str, label: str, description: str, count: int | None = None,
          count_label: str = "") -> dict[str, Any] | None:  # fmt: skip
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    return {"url": url, "label": label, "description": description, "count": count,
            "count_label": count_label}  # fmt: skip


def _links(pairs: list[tuple[bool, tuple]]) -> list[dict[str, Any]]:
    found = (_link(*args) for allowed, args in pairs if allowed)
    return [link for link in found if link]


@login_required
def member_hub(request: HttpRequest) -> HttpResponse:
    member, user = request.tenant, request.user
    permission_require(can_see_member_hub(user, member))
    breaches = acts_for_breaches(user, member)
    counts = member_hub_counts(member=member, user=user, show_breaches=breaches)
    links = _links([
        (can_view_rights_tasks(user, member), (
            "rights:task_list", "People's requests",
            "Subject access, erasure, correction, restriction and objection: this member's "
            "part in each, with its deadline.", counts.open_tasks, "open")),
        (can_open_request_for(user, member), (
            "rights:member_request_create", "Record a request made to us",
            "Someone asked this member directly: it is routed to every member holding them.")),
        (can_handle_copy_notices(user, member), (
            "rights:copy_notices", "Copies to erase or correct",
            "Records this member copied or exported whose provider erased or corrected them "
            "(Article 19).", counts.open_notices, "waiting")),
        (breaches, (
            "rights:breach_list", "Breaches",
            "Record a personal data breach and follow its 72-hour clock for reporting to the "
            "ICO.", counts.open_breaches, "open")),
        (can_manage_retention(user, member), (
            "rights:retention", "Retention",
            "How long each kind of record is kept, a preview of what a run would do, and "
            "the log of runs.")),
        (can_view_processing(user, member), (
            "rights:processing_register", "Record of processing",
            "The register of processing activities (Article 30), from agreements, purposes "
            "and retention schedules.")),
        (can_export_member(user, member), (
            "rights:exit_home", "Leaving the consortium",
            "Download all of this member's data, and what leaving then means.")),
    ])  # fmt: skip
    return render(request, "rights/hub.html", {
        "counts": counts, "links": links, "base_template": "member_base.html",
        "site_name": member.name, "show_breaches": breaches,
    })  # fmt: skip


@login_required
def consortium_hub(request: HttpRequest) -> HttpResponse:
    user = request.user
    permission_require(can_see_consortium_hub(user))
    lead, admin = can_look_up_people(user), can_decide_member_exit(user)
    counts = consortium_hub_counts(user=user, show_requests=lead, show_exits=admin)
    links = _links([
        (lead, ("rights:lookup", "Find a person",
                "Which members hold someone, by e-mail, phone, or name and postcode: member "
                "names only, every lookup logged.")),
        (lead, ("rights:request_list", "People's requests",
                "Every request with its clock and each member's part.", counts.open_requests,
                "open")),
        (acts_for_breaches(user, None), (
            "rights:breach_list", "Breaches",
            "Every member's breaches with their 72-hour clocks.", counts.open_breaches,
            "open")),
        (can_view_processing_of_any(user), (
            "rights:processing_members", "Records of processing",
            "Each member's register of processing activities (Article 30).")),
        (admin, ("rights:exit_list", "Members leaving",
                 "Confirm or cancel a member's leaving; the certificates of deletion.",
                 counts.members_leaving, "under way")),
        (is_consortium_admin(user), (
            "consortium_dp_leads", "Data protection leads",
            "Name the consortium's data protection leads.")),
    ])  # fmt: skip
    return render(request, "rights/hub.html", {
        "counts": counts, "links": links, "base_template": "consortium_base.html",
        "site_name": "the consortium", "consortium": True, "show_breaches": lead,
    })  # fmt: skip
