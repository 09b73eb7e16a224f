"""Reporting pages on a member's site: the dashboard (the home page), the report builder
and the member's side of research pooling."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crm.exporting import FORMATS, dataset_bytes
from sharing.models import Agreement, Purpose, Status

from . import builder, research, selectors, services
from .dashboard import charts_for
from .forms import id_or_none
from .models import DatasetQuestion, PooledResponse, ResearchDataset, ResearchTerms, SavedReport
from .permissions import can_set_research_terms
from .svg import chart_svg


def dashboard(request: HttpRequest) -> HttpResponse:
    """The member's home page: charts, each with its numbers in a table beside it."""
    charts = [(chart, chart_svg(chart)) for chart in charts_for(request)]
    return render(request, "reporting/dashboard.html",
                  {"member": request.tenant, "charts": charts})  # fmt: skip


def _saved_or_404(request: HttpRequest, report_id: str | None) -> SavedReport | None:
    if not report_id:
        return None
    try:
        return selectors.saved_report_get(member=request.tenant, report_id=int(report_id))
    except (ValueError, SavedReport.DoesNotExist) as exc:
        raise Http404 from exc


@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    """Build a report (GET runs it), save it (POST), export it (?export=csv|xlsx)."""
    saved = _saved_or_404(request, request.GET.get("saved"))
    if saved is not None:
        initial = {**saved.spec, **saved.spec.get("filters", {})}
        form = builder.ReportForm(initial)
    elif "record_type" in request.GET:
        form = builder.ReportForm(request.GET)
    else:
        form = builder.ReportForm(initial={"record_type": "organisation", "rows": "district",
                                           "measure": "count"})  # fmt: skip
    result = chart = None
    if form.is_bound and form.is_valid():
        result = builder.report_run(spec=form.spec(), user=request.user)
        title = saved.name if saved else "Report"
        chart = result.chart(title)
        file_format = request.GET.get("export", "")
        if file_format in FORMATS:
            content_type, extension = FORMATS[file_format]
            data = dataset_bytes(builder.result_dataset(result, title), file_format)
            response = HttpResponse(data, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="report.{extension}"'
            return response
        if request.method == "POST":
            try:
                report = services.report_save(
                    member=request.tenant, name=request.POST.get("name", "").strip()[:200],
                    spec=form.spec(), acting_user=request.user,
                )  # fmt: skip
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Saved “{report.name}”.")
                return redirect(f"{request.path}?saved={report.pk}")
    return render(request, "reporting/report_list.html", {
        "form": form, "result": result, "chart": chart,
        "svg": chart_svg(chart) if chart else "", "saved": saved,
        "saved_reports": selectors.saved_reports_of(member=request.tenant),
        "query": request.GET.urlencode(), "dimensions": builder.DIMENSIONS,
    }, status=400 if form.is_bound and not form.is_valid() else 200)  # fmt: skip


@require_http_methods(["GET", "POST"])
def research_pooling(request: HttpRequest) -> HttpResponse:
    """Our research agreements: which dataset each feeds, which free text it lets through,
    and, for each of our pooled responses, whether ours or another member's earlier answer
    was kept (never whose, nor when)."""
    member = request.tenant
    manager = can_set_research_terms(request.user, member)
    agreements = list(Agreement.objects.filter(provider=member, purpose=Purpose.RESEARCH)
                      .exclude(status=Status.SUPERSEDED).order_by("-created_at"))  # fmt: skip
    if request.method == "POST":
        if not manager:
            raise PermissionDenied
        agreement = next((a for a in agreements if str(a.pk) == request.POST.get("agreement")),
                         None)  # fmt: skip
        dataset = ResearchDataset.objects.filter(pk=id_or_none(request.POST.get("dataset"))).first()
        if agreement is None or dataset is None:
            messages.error(request, "Choose one of your research agreements and a dataset.")
        else:
            codes = [c.strip() for c in request.POST.get("free_text", "").split(",") if c.strip()]
            try:
                research.research_terms_set(agreement=agreement, dataset=dataset,
                                            free_text_questions=codes,
                                            acting_user=request.user)  # fmt: skip
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"“{agreement.title}” feeds {dataset.title}.")
        return redirect("reporting:research_pooling")
    terms = {t.agreement_id: t for t in ResearchTerms.objects.filter(
        agreement__in=agreements).select_related("dataset")}  # fmt: skip
    ours = list(PooledResponse.objects.filter(provider_id=member.pk)
                .select_related("dataset").order_by("-year", "response_id")[:200])  # fmt: skip
    from surveys.models import Response

    # Our own organisations' names, read from our own schema (this is our site). Which
    # member's answer was kept instead, and when, stays unsaid: it would tell us which other
    # members surveyed (and when) an organisation of ours.
    organisations = dict(Response.objects.filter(pk__in=[p.response_id for p in ours])
                         .values_list("pk", "organisation__name"))  # fmt: skip
    rows = [{"pooled": pooled, "organisation": organisations.get(pooled.response_id, "")}
            for pooled in ours]  # fmt: skip
    return render(request, "reporting/research_pooling.html", {
        "agreements": [(a, terms.get(a.pk)) for a in agreements], "rows": rows,
        "editable": [a for a in agreements if a.status in (Status.DRAFT, Status.AWAITING)],
        "datasets": ResearchDataset.objects.all(), "manager": manager,
        "pooled_total": PooledResponse.objects.filter(provider_id=member.pk).count(),
        "mismatches": DatasetQuestion.objects.filter(mismatched_providers__contains=[member.pk])
        .select_related("dataset"),
    })  # fmt: skip
