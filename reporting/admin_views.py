"""The consortium admin's reporting pages on the consortium site: consortium-wide aggregate
reports, consortium surveys across members, research set-up and the release log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crm.exporting import FORMATS, csv_bytes
from tenants.forms import form_errors_add
from tenants.models import Member
from tenants.ordering import name_order

from . import aggregates, research
from . import consortium_surveys as surveys
from .forms import DatasetForm, ProjectForm, SettingsForm, id_or_none
from .models import (
    DisclosureSettings,
    OutputStatus,
    PooledResponse,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
)
from .permissions import admin_required


@login_required
@admin_required
def consortium_reports(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("report", "districts")
    if name not in aggregates.REPORTS:
        raise Http404
    table = aggregates.report(name)
    if request.GET.get("export") == "csv":
        data = csv_bytes(
            ["Member", *table.cols, "Total"],
            ([row, *values, total] for row, values, total in table.as_rows()),
        )
        response = HttpResponse(data, content_type=FORMATS["csv"][0])
        response["Content-Disposition"] = f'attachment; filename="consortium-{name}.csv"'
        return response
    return render(request, "reporting/consortium_reports.html",
                  {"table": table, "reports": aggregates.REPORTS, "current": name})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
@admin_required
def research_admin(request: HttpRequest) -> HttpResponse:
    dataset_form = DatasetForm(request.POST if "dataset" in request.POST else None)
    project_form = ProjectForm(request.POST if "project" in request.POST else None)
    settings_form = SettingsForm(request.POST if "settings" in request.POST else None,
                                 instance=DisclosureSettings.current())  # fmt: skip
    if request.method == "POST":
        try:
            if "dataset" in request.POST and dataset_form.is_valid():
                research.dataset_create(acting_user=request.user, **dataset_form.cleaned_data)
                messages.success(request, "Dataset created.")
                return redirect("reporting:research_admin")
            if "project" in request.POST and project_form.is_valid():
                research.project_create(acting_user=request.user, **project_form.values())
                messages.success(request, "Project created.")
                return redirect("reporting:research_admin")
            if "settings" in request.POST and settings_form.is_valid():
                values = {f: settings_form.cleaned_data[f] for f in SettingsForm.Meta.fields}
                research.settings_update(acting_user=request.user, **values)
                messages.success(request, "Disclosure settings saved.")
                return redirect("reporting:research_admin")
        except ValidationError as exc:
            target = dataset_form if "dataset" in request.POST else project_form
            form_errors_add(target, exc)
    kept = dict(
        PooledResponse.objects.filter(kept=True).order_by().values_list("dataset_id")
        .annotate(n=Count("id")).values_list("dataset_id", "n")
    )  # fmt: skip
    datasets = [(d, kept.get(d.pk, 0)) for d in ResearchDataset.objects.all()]
    return render(request, "reporting/research_admin.html", {
        "datasets": datasets, "projects": ResearchProject.objects.prefetch_related(
            "researchers", "datasets"),
        "dataset_form": dataset_form, "project_form": project_form,
        "settings_form": settings_form,
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
@admin_required
def release_log(request: HttpRequest) -> HttpResponse:
    """Every table and extract researchers produced; reviews to decide."""
    if request.method == "POST":
        output = ResearchOutput.objects.filter(pk=id_or_none(request.POST.get("output"))).first()
        if output is None:
            raise Http404
        try:
            research.review_release(
                output=output,
                acting_user=request.user,
                reason=request.POST.get("reason", ""),
                show_hidden=request.POST.get("show_hidden") == "yes",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Output {output.pk} released; the reason is recorded.")
        return redirect("reporting:release_log")
    outputs = ResearchOutput.objects.select_related("project", "dataset", "researcher",
                                                    "released_by")[:200]  # fmt: skip
    return render(request, "reporting/release_log.html", {
        "outputs": outputs,
        "reviews": ResearchOutput.objects.filter(status=OutputStatus.REVIEW)
        .select_related("project", "researcher"),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
@admin_required
def consortium_surveys(request: HttpRequest) -> HttpResponse:
    """Consortium surveys: who runs them, invited versus responded per member and locality,
    and sending a member's survey definition to other members."""
    members = list(Member.organisations.filter(is_active=True).order_by(*name_order("name"), "id"))
    found = surveys.consortium_surveys()
    if request.method == "POST":
        source = next((m for m in members if str(m.pk) == request.POST.get("source")), None)
        targets = [m for m in members if str(m.pk) in request.POST.getlist("targets")]
        code = request.POST.get("code", "")
        if source is None or not targets or code not in {s.code for s in found}:
            messages.error(request, "Choose a survey, the member to copy it from and at least "
                           "one member to send it to.")  # fmt: skip
        else:
            try:
                reached = surveys.survey_definition_copy(source=source, code=code,
                                                         targets=targets,
                                                         acting_user=request.user)  # fmt: skip
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    f"Sent to {len(reached)} member"
                    f"{'s' if len(reached) != 1 else ''}: "
                    f"{', '.join(reached) or 'all of them already run it'}.",
                )
        return redirect("reporting:consortium_surveys")
    current = next((s for s in found if s.code == request.GET.get("code")),
                   found[0] if found else None)  # fmt: skip
    year = None
    tables = []
    if current is not None and current.years:
        try:
            year = int(request.GET.get("year") or current.years[-1])
        except ValueError as exc:
            raise Http404 from exc
        tables = [surveys.survey_coverage(code=current.code, year=year, by=by)
                  for by in ("member", "locality")]  # fmt: skip
    return render(request, "reporting/consortium_surveys.html", {
        "surveys": found, "current": current, "year": year, "tables": tables,
        "members": members,
    })  # fmt: skip
