"""The consortium admins' oversight of data sharing, on the consortium site: the register of
every agreement (and approving those the rules ask to be approved), the map of who shares
with whom, and the templates members start agreements from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crm.exporting import FORMATS, csv_bytes
from sharing import selectors, services
from sharing.forms import TemplateForm
from sharing.models import (
    Agreement,
    AgreementTemplate,
    PartyRole,
    Purpose,
    RecordType,
    SharedRecord,
    Status,
)
from sharing.permissions import sharing_overseer_required
from sharing.rules import rules_current
from tenants.forms import form_errors_add
from tenants.models import Member
from tenants.ordering import name_order


def _recipients(agreement: Agreement) -> str:
    if agreement.all_members:
        return "All members"
    return ", ".join(p.member.name for p in agreement.parties.all()
                     if p.role == PartyRole.RECIPIENT)  # fmt: skip


def _purposes_needing_approval() -> set[str]:
    rules = rules_current()
    return {p for p in Purpose.values if rules.policy(p).approval_needed}


@login_required
@sharing_overseer_required
def register(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        agreement = Agreement.objects.filter(pk=request.POST.get("approve", "0") or 0).first()
        if agreement is not None:
            try:
                services.agreement_approve(agreement=agreement, acting_user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Approved “{agreement.title}”.")
        return redirect("sharing_register")
    status = request.GET.get("status", "")
    purpose = request.GET.get("purpose", "")
    rows = selectors.agreements_register(status=status, purpose=purpose)
    if request.GET.get("format") == "csv":
        data = csv_bytes(["Agreement", "Version", "Provider", "Recipients", "Purpose", "Status",
                         "Record types", "Contact fields", "Organisation fields", "Start",
                          "Review", "End", "Access"], ([
                a.title, a.version, a.provider.name, _recipients(a), a.get_purpose_display(),
                a.get_status_display(),
                ", ".join(str(RecordType(t).label) for t in a.record_types if t in RecordType),
                ", ".join(a.contact_field_labels), ", ".join(a.organisation_field_labels),
                a.start_date, a.review_date or "",
                a.end_date or "", a.get_access_mode_display(),
            ] for a in rows))  # fmt: skip
        response = HttpResponse(data, content_type=FORMATS["csv"][0])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="sharing-register-{stamp}.csv"'
        return response
    return render(request, "sharing/register.html", {
        "rows": [(a, _recipients(a)) for a in rows], "status": status, "purpose": purpose,
        # Purposes whose agreements need a consortium admin's approval (the rules, per purpose).
        "approval": _purposes_needing_approval(),
        "statuses": Status.choices, "purposes": Purpose.choices,
    })  # fmt: skip


# The map's drawing: members on a circle, each label outside its circle, pointing away from
# the centre so neighbours' labels do not overlap (17 members: about 110 units apart).
MAP_CENTRE = (520.0, 400.0)
MAP_RADIUS = 300.0
MAP_LABEL_GAP = 30.0
MAP_LINE_CHARS = 20


@dataclass
class Node:
    member: Member
    x: float
    y: float
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "middle"
    lines: tuple[str, ...] = ()


def map_label_lines(name: str, width: int = MAP_LINE_CHARS) -> tuple[str, ...]:
    """A member's name in at most two lines of about ``width`` characters."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        rest = " ".join(lines[1:])
        lines = [lines[0], rest if len(rest) <= width else rest[: width - 1] + "…"]
    return tuple(lines)


def _map_node(member: Member, angle: float) -> Node:
    cx, cy = MAP_CENTRE
    cos, sin = math.cos(angle), math.sin(angle)
    node = Node(member, cx + MAP_RADIUS * cos, cy + MAP_RADIUS * sin)
    reach = MAP_RADIUS + MAP_LABEL_GAP
    node.label_x, node.label_y = cx + reach * cos, cy + reach * sin + 5
    node.anchor = "start" if cos > 0.1 else "end" if cos < -0.1 else "middle"
    node.lines = map_label_lines(member.name)
    if sin < -0.5:  # labels above the top nodes grow upwards
        node.label_y -= 18 * (len(node.lines) - 1) + 6
    elif sin > 0.5:
        node.label_y += 8
    return node


def sharing_map_data() -> tuple[list[Node], list[dict], list[dict]]:
    """Members on a circle; an edge per active agreement provider -> recipient."""
    members = list(Member.organisations.active().order_by(*name_order("name"), "id"))
    count = max(len(members), 1)
    nodes = [
        _map_node(member, 2 * math.pi * i / count - math.pi / 2) for i, member in enumerate(members)
    ]
    where = {n.member.pk: n for n in nodes}
    active = selectors.agreements_in_force().prefetch_related("parties")
    edges, broadcasts = [], []
    for agreement in active:
        records = SharedRecord.objects.filter(agreement=agreement).count()
        if agreement.all_members:
            broadcasts.append({"agreement": agreement, "records": records})
            continue
        for party in agreement.parties.all():
            if party.role != PartyRole.RECIPIENT or party.member_id not in where:
                continue
            a, b = where[agreement.provider_id], where[party.member_id]
            length = math.hypot(b.x - a.x, b.y - a.y) or 1
            # Stop the arrow short of the recipient's circle.
            ex, ey = b.x - (b.x - a.x) * 26 / length, b.y - (b.y - a.y) * 26 / length
            sx, sy = a.x + (b.x - a.x) * 22 / length, a.y + (b.y - a.y) * 22 / length
            edges.append({"agreement": agreement, "from": a, "to": b, "x1": sx, "y1": sy,
                          "x2": ex, "y2": ey, "records": records})  # fmt: skip
    return nodes, edges, broadcasts


@login_required
@sharing_overseer_required
def sharing_map(request: HttpRequest) -> HttpResponse:
    nodes, edges, broadcasts = sharing_map_data()
    sharing_all = {b["agreement"].provider_id for b in broadcasts}
    return render(request, "sharing/map.html", {
        "nodes": nodes, "edges": edges, "broadcasts": broadcasts, "sharing_all": sharing_all,
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
@sharing_overseer_required
def templates(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_template_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Template saved. Members can start agreements from it.")
            return redirect("sharing_templates")
    return render(request, "sharing/templates.html",
                  {"templates": AgreementTemplate.objects.all(), "form": form})  # fmt: skip
