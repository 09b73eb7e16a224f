"""Researchers' pages on the consortium site: their projects, snapshots, tables and
extracts, the codebook, and releasing (downloading) outputs. A consortium admin may read any
output (from the release log) but acts on none unless named on its project."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crm.exporting import FORMATS, csv_bytes, dataset_bytes
from tenants.confirm import confirmation_page
from tenants.forms import form_errors_add

from . import research
from .forms import ExtractForm, TableForm, id_or_none
from .models import (
    DatasetQuestion,
    OutputKind,
    OutputStatus,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
    Snapshot,
)
from .permissions import can_administer, outputs_viewer_required, researcher_required


def _project_or_404(request: HttpRequest, project_id: int) -> ResearchProject:
    try:
        return research.project_get_for_researcher(user=request.user, project_id=project_id)
    except ResearchProject.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@researcher_required
def research_home(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/research_home.html",
                  {"projects": research.projects_for(user=request.user)})  # fmt: skip


def _years(dataset: ResearchDataset) -> list[int]:
    return sorted(set(DatasetQuestion.objects.filter(dataset=dataset)
                      .values_list("year", flat=True)), reverse=True)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
@researcher_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
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
@researcher_required
def codebook_download(request: HttpRequest, project_id: int, dataset_id: int,
                      year: int) -> HttpResponse:  # fmt: skip
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
    if can_administer(request.user) and not named_only:
        return output
    _project_or_404(request, output.project_id)
    return output


@login_required
@outputs_viewer_required
def output_detail(request: HttpRequest, output_id: int) -> HttpResponse:
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
@researcher_required
def output_action(request: HttpRequest, output_id: int) -> HttpResponse:
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
@researcher_required
def output_download(request: HttpRequest, output_id: int, file_format: str) -> HttpResponse:
    """Download (and so release) an output that passed the checks. Releasing cannot be
    undone, so the first download asks first; a released output downloads at once."""
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
