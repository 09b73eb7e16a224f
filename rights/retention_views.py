"""Retention on a member's site: the preview and log of runs (/rights/retention/), the
schedules form, and "Run now". For the member's managers and data protection leads.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirm import confirmation_page
from tenants.forms import form_errors_add
from tenants.permissions import permission_require

from . import retention_selectors as selectors
from . import retention_services as services
from .permissions import can_manage_retention
from .retention_forms import ScheduleForm
from .retention_models import RecordType, RetentionAction, RetentionRun

BAR_COLOURS = {RetentionAction.ANONYMISE: "#2f6f9f", RetentionAction.DELETE: "#c0392b"}


def _count_words(n: int, record_type: str) -> str:
    label = RecordType(record_type).label.lower()
    if n == 1:
        label = {"contacts": "contact", "interactions": "interaction",
                 "event registrations": "event registration",
                 "import files": "import file"}[label]  # fmt: skip
    return f"{n:,} {label}"


def run_lines(run: RetentionRun) -> list[str]:
    """What a run did, in words ("Anonymised 312 contacts")."""
    lines = []
    for record_type in selectors.RUN_ORDER:
        for action, n in run.counts.get(record_type, {}).items():
            verb = "Anonymised" if action == RetentionAction.ANONYMISE else "Deleted"
            lines.append(f"{verb} {_count_words(n, record_type)}")
    return lines


def _bars(lines: list[selectors.PreviewLine]) -> list[dict[str, Any]]:
    """Bar lengths (of 160) per schedule: plain numbers drawn as SVG attributes (the CSP
    allows no inline styles)."""
    top = max((line.count for line in lines), default=0)
    return [
        {"label": RecordType(line.schedule.record_type).label, "count": line.count,
         "y": 8 + i * 34, "colour": BAR_COLOURS[RetentionAction(line.schedule.action)],
         "width": round(160 * line.count / top) if top else 0}
        for i, line in enumerate(lines)
    ]  # fmt: skip


def _runs_context(request: HttpRequest) -> dict[str, Any]:
    runs = selectors.retention_runs_for(member=request.tenant)
    return {
        "runs": [(run, run_lines(run)) for run in runs],
        "going": next((run for run in runs if run.is_going), None),
    }


@require_http_methods(["GET"])
def retention_page(request: HttpRequest) -> HttpResponse:
    """What each schedule would do today, a sample of which records, and the log of runs."""
    member = request.tenant
    permission_require(can_manage_retention(request.user, member))
    if request.htmx:
        return render(request, "rights/_retention_runs.html", _runs_context(request))
    lines = selectors.retention_preview(member=member, user=request.user)
    return render(request, "rights/retention.html", {
        "lines": lines, "bars": _bars(lines), "chart_height": 16 + 34 * len(lines),
        "any_enabled": any(line.schedule.enabled for line in lines),
        **_runs_context(request),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def retention_schedules(request: HttpRequest) -> HttpResponse:
    """Each kind of record's schedule, changed on one form."""
    member = request.tenant
    permission_require(can_manage_retention(request.user, member))
    schedules = selectors.retention_schedules_for(member=member)
    data = request.POST if request.method == "POST" else None
    forms = [ScheduleForm(data, schedule=schedule) for schedule in schedules]
    if data is not None and all(form.is_valid() for form in forms):
        try:
            for form in forms:
                services.retention_schedule_update(
                    member=member, record_type=form.schedule.record_type,
                    rule=form.cleaned_data["rule"],
                    period_months=form.cleaned_data["period_months"],
                    action=form.cleaned_data["action"], enabled=form.cleaned_data["enabled"],
                    acting_user=request.user,
                )  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Retention schedules saved.")
            return redirect("rights:retention")
    return render(request, "rights/retention_schedules.html", {
        "forms": forms, "has_errors": any(form.errors for form in forms),
    })  # fmt: skip


@require_POST
def retention_run_now(request: HttpRequest) -> HttpResponse:
    """Start a run of the schedules in use now (after a confirmation)."""
    member = request.tenant
    permission_require(can_manage_retention(request.user, member))
    lines = [
        line for line in selectors.retention_preview(member=member, user=request.user)
        if line.schedule.enabled
    ]  # fmt: skip
    consequences = [
        f"{'Anonymise' if line.verb == 'anonymise' else 'Delete'} "
        f"{_count_words(line.count, line.schedule.record_type)}."
        for line in lines
    ] or ["No schedule is in use, so nothing will change."]
    consequences.append("This cannot be undone. Records on legal hold are kept as they are.")
    ask = confirmation_page(
        request, title="Run the retention schedules now?", button="Run now",
        back=reverse("rights:retention"), consequences=consequences,
    )  # fmt: skip
    if ask is not None:
        return ask
    try:
        services.retention_run_request(member=member, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The run has started: its progress is shown below.")
    return redirect("rights:retention")
