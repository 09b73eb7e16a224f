"""Reporting and research on the consortium site: consortium-wide aggregate reports and
research set-up for consortium admins; research projects for researchers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crm.exporting import FORMATS, csv_bytes, dataset_bytes
from tenants.confirm import confirmation_page
from tenants.forms import form_errors_add
from tenants.models import Member
from tenants.ordering import name_order
from tenants.permissions import is_consortium_admin, is_researcher

from . import aggregates, research
from .forms import DatasetForm, ExtractForm, ProjectForm, SettingsForm, TableForm, id_or_none
from .models import (
    DatasetQuestion,
    DisclosureSettings,
    OutputKind,
    OutputStatus,
    PooledResponse,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
    Snapshot,
)


def _admin_only(request: HttpRequest) -> None:
    if not is_consortium_admin(request.user):
        raise PermissionDenied


# --- consortium admins ---------------------------------------------------------------------


@login_required
def consortium_reports(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
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
def research_admin(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
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
def release_log(request: HttpRequest) -> HttpResponse:
    """Every table and extract researchers produced; reviews to decide."""
    _admin_only(request)
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


# --- researchers ---------------------------------------------------------------------------


def _researcher_only(request: HttpRequest) -> None:
    if not is_researcher(request.user):
        raise PermissionDenied


def _project_or_404(request: HttpRequest, project_id: int) -> ResearchProject:
    try:
        return research.project_get_for_researcher(user=request.user, project_id=project_id)
    except ResearchProject.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def research_home(request: HttpRequest) -> HttpResponse:
    _researcher_only(request)
    return render(request, "reporting/research_home.html",
                  {"projects": research.projects_for(user=request.user)})  # fmt: skip


def _years(dataset: ResearchDataset) -> list[int]:
    return sorted(set(DatasetQuestion.objects.filter(dataset=dataset)
                      .values_list("year", flat=True)), reverse=True)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    _researcher_only(request)
    project = _project_or_404(request, project_id)
    datasets = list(project.datasets.all())
    dataset = next((d for d in datasets if str(d.pk) == request.GET.get("dataset")),
                   datasets[0] if datasets else None)  # fmt: skip
    years = _years(dataset) if dataset else []
    year = years[0] if years else 0
    if request.GET.get("year"):
        year = id_or_none(request.GET["year"]) or 0
        if year not in years:
            raise Http404(research.NO_SUCH_WAVE)
    variables = research.codebook(dataset=dataset, year=year) if dataset and year else []
    table_form = TableForm(request.POST if "table" in request.POST else None, years=years,
                           variables=variables, initial={"year": year})  # fmt: skip
    extract_form = ExtractForm(request.POST if "extract" in request.POST else None,
                               years=years, variables=variables,
                               initial={"year": year})  # fmt: skip
    if request.method == "POST" and dataset is not None:
        try:
            if "snapshot" in request.POST:
                wave = id_or_none(request.POST.get("year"))
                if wave not in years:
                    messages.error(request, research.NO_SUCH_WAVE)
                else:
                    research.snapshot_take(project=project, dataset=dataset, year=wave,
                                           acting_user=request.user)  # fmt: skip
                    messages.success(
                        request, "Snapshot taken: this wave is frozen for the project."
                    )
                    return redirect(f"{request.path}?dataset={dataset.pk}&year={wave}")
            if "table" in request.POST and table_form.is_valid():
                data = dict(table_form.cleaned_data)
                output = research.table_produce(project=project, dataset=dataset,
                                                year=data.pop("year"),
                                                researcher=request.user, **data)  # fmt: skip
                return redirect(output.get_absolute_url())
            if "extract" in request.POST and extract_form.is_valid():
                data = dict(extract_form.cleaned_data)
                output = research.extract_produce(project=project, dataset=dataset,
                                                  year=data.pop("year"),
                                                  researcher=request.user, **data)  # fmt: skip
                return redirect(output.get_absolute_url())
        except ValidationError as exc:
            form_errors_add(table_form if "table" in request.POST else extract_form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    snapshots = {s.year: s for s in Snapshot.objects.filter(project=project, dataset=dataset)}
    return render(request, "reporting/project_detail.html", {
        "project": project, "datasets": datasets, "dataset": dataset, "years": years,
        "year": year, "snapshots": snapshots, "table_form": table_form,
        "extract_form": extract_form, "variables": variables,
        "outputs": project.outputs.select_related("dataset")[:50],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
def codebook_download(request: HttpRequest, project_id: int, dataset_id: int,
                      year: int) -> HttpResponse:  # fmt: skip
    _researcher_only(request)
    project = _project_or_404(request, project_id)
    dataset = project.datasets.filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404
    data = csv_bytes(
        ["variable", "label", "type", "values"],
        ([v.name, v.label, v.kind, " | ".join(v.options)]
         for v in research.codebook(dataset=dataset, year=year)),
    )  # fmt: skip
    response = HttpResponse(data, content_type=FORMATS["csv"][0])
    response["Content-Disposition"] = (
        f'attachment; filename="codebook-{dataset.survey_code}-{year}.csv"'
    )
    return response


def _output_or_404(request: HttpRequest, output_id: int, *,
                   named_only: bool = False) -> ResearchOutput:  # fmt: skip
    """An output the user may see: a consortium admin sees every one (the release log);
    producing from or downloading one (``named_only``) needs a researcher named on its
    project, whatever other role the user holds."""
    output = ResearchOutput.objects.select_related("project", "dataset").filter(
        pk=output_id).first()  # fmt: skip
    if output is None:
        raise Http404
    if is_consortium_admin(request.user) and not named_only:
        return output
    _project_or_404(request, output.project_id)
    return output


@login_required
def output_detail(request: HttpRequest, output_id: int) -> HttpResponse:
    if not (is_researcher(request.user) or is_consortium_admin(request.user)):
        raise PermissionDenied
    output = _output_or_404(request, output_id)
    result = output.result
    rows = []
    if output.kind == OutputKind.TABLE:
        labels = [*result["rows"], "Total"]
        rows = list(zip(labels, result["cells"], strict=True))
    # Acting on an output (download, coarser, rounding, review) needs a researcher named on
    # its project, as output_action and output_download enforce.
    try:
        research.project_get_for_researcher(user=request.user, project_id=output.project_id)
        may_act = True
    except ResearchProject.DoesNotExist:
        may_act = False
    return render(request, "reporting/output_detail.html",
                  {"output": output, "result": result, "rows": rows,
                   "may_act": may_act})  # fmt: skip


@login_required
@require_POST
def output_action(request: HttpRequest, output_id: int) -> HttpResponse:
    _researcher_only(request)
    output = _output_or_404(request, output_id, named_only=True)
    action = request.POST.get("action", "")
    try:
        if action == "review":
            research.review_request(output=output, acting_user=request.user,
                                    note=request.POST.get("note", ""))  # fmt: skip
            messages.success(request, "Sent for review by a consortium admin.")
        elif action in ("coarser", "rounded"):
            q = output.query
            new = research.table_produce(
                project=output.project, dataset=output.dataset, year=output.year,
                researcher=request.user, rows=q["rows"], cols=q["cols"], measure=q["measure"],
                value=q["value"], coarse=action == "coarser" or q.get("coarse", False),
                rounding=action == "rounded",
            )  # fmt: skip
            return redirect(new.get_absolute_url())
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(output.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def output_download(request: HttpRequest, output_id: int, file_format: str) -> HttpResponse:
    """Download (and so release) an output that passed the checks. Releasing cannot be
    undone, so the first download asks first; a released output downloads at once."""
    _researcher_only(request)
    output = _output_or_404(request, output_id, named_only=True)
    if file_format not in FORMATS:
        raise Http404
    if output.status == OutputStatus.PASSED:
        asking = confirmation_page(
            request, base_template="consortium_base.html", title=f"Release “{output}”?",
            button="Release and download", back=output.get_absolute_url(),
            back_label="Not yet", danger=False,
            consequences=[
                "The output is released: it leaves the consortium's safe setting with you, and "
                "the release is logged with your name for every provider to see.",
                "Later outputs are checked against it, so they cannot be used to work out the "
                "cells it hides.",
                "A release cannot be withdrawn.",
            ],
        )  # fmt: skip
        if asking:
            return asking
    try:
        output = research.output_release(output=output, acting_user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(output.get_absolute_url())
    content_type, extension = FORMATS[file_format]
    data = dataset_bytes(research.output_dataset(output), file_format)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="output-{output.pk}.{extension}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def consortium_surveys(request: HttpRequest) -> HttpResponse:
    """Consortium surveys: who runs them, invited versus responded per member and locality,
    and sending a member's survey definition to other members."""

    from . import consortium_surveys as surveys

    _admin_only(request)
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
