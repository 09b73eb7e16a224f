"""Imports as staff see them: upload, the check's preview and column mapping, confirm, and
the progress of one running in the background.

Runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crm import import_jobs, selectors
from crm.columns import CONTACT_COLUMNS, ORGANISATION_COLUMNS
from crm.forms import ImportUploadForm
from crm.models import ImportJob

from .common import int_or_none


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_jobs.import_job_create(
            upload=form.cleaned_data["file"], acting_user=request.user,
            tag_name=form.cleaned_data["tag_name"],
        )  # fmt: skip
        import_jobs.import_job_check(job=job)
        return redirect("crm:import_detail", job_id=job.pk)
    recent = selectors.import_jobs_visible_to(user=request.user)[:20]
    return render(request, "crm/import_start.html", {"form": form, "recent": recent})


@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = selectors.import_job_get_for_user(user=request.user, job_id=job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST" and not job.is_running:
        if "confirm" in request.POST:
            try:
                import_jobs.import_job_confirm(job=job, acting_user=request.user)
            except ValueError as exc:
                messages.error(request, str(exc))
        else:
            record_type = request.POST.get("record_type") or job.record_type
            columns = CONTACT_COLUMNS if record_type == "contact" else ORGANISATION_COLUMNS
            mapping = {}
            for key, value in request.POST.items():
                index = (
                    int_or_none(key.removeprefix("column_")) if key.startswith("column_") else None
                )
                if index is not None and value in columns:
                    mapping[index] = value
            try:
                import_jobs.import_job_check(job=job, record_type=record_type, mapping=mapping)
            except ValueError as exc:
                messages.error(request, str(exc))
        return redirect("crm:import_detail", job_id=job.pk)
    columns = CONTACT_COLUMNS if job.record_type == "contact" else ORGANISATION_COLUMNS
    template = "crm/_import_status.html" if request.htmx else "crm/import_detail.html"
    mapping = {int(k): v for k, v in (job.mapping or {}).items()}
    headers = [m["header"] for m in (job.summary or {}).get("mapping", [])]
    return render(request, template, {
        "job": job, "columns": columns.values(),
        "mapping_rows": [(i, h, mapping.get(i, "")) for i, h in enumerate(headers)],
    })  # fmt: skip
