"""A member's record of processing activities: on its own site for its managers and data
protection leads (who may change its own purposes and lawful bases), and on the consortium
site for consortium admins and leads (every member's). CSV, XLSX and a printable page.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenants.models import Member
from tenants.permissions import permission_require
from tenants.sites import site_member

from . import processing
from .forms import ProcessingActivityForm
from .permissions import can_edit_processing, can_view_processing, can_view_processing_of_any
from .processing_models import ProcessingActivity

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register(request: HttpRequest, member: Member, *, printable: bool, consortium: bool,
              ) -> HttpResponse:  # fmt: skip
    rows = processing.processing_register(member=member)
    schedules = processing.retention_schedules_of(member)
    return render(request, "rights/processing_register.html", {
        "register_member": member, "rows": rows, "printable": printable,
        "consortium": consortium, "schedules": schedules,
        "retention_installed": schedules is not None,
        "can_edit": not consortium and can_edit_processing(request.user, member),
        "generated": timezone.now(),
        "base_template": "consortium_base.html" if consortium else "member_base.html",
    })  # fmt: skip


def _export(member: Member, fmt: str) -> HttpResponse:
    rows = processing.processing_register(member=member)
    stem = f"record-of-processing-{member.slug}-{timezone.localdate():%Y-%m-%d}"
    if fmt == "csv":
        response = HttpResponse(
            processing.register_csv(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(processing.register_xlsx(rows, member=member), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    raise Http404


def _own(request: HttpRequest) -> Member:
    member = site_member(request)
    if member is None:
        raise Http404
    permission_require(can_view_processing(request.user, member))
    return member


@login_required
@require_http_methods(["GET"])
def processing_register(request: HttpRequest) -> HttpResponse:
    return _register(request, _own(request), printable=False, consortium=False)


@login_required
@require_http_methods(["GET"])
def processing_print(request: HttpRequest) -> HttpResponse:
    return _register(request, _own(request), printable=True, consortium=False)


@login_required
@require_http_methods(["GET"])
def processing_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return _export(_own(request), fmt)


@login_required
@require_http_methods(["GET", "POST"])
def processing_activity_edit(request: HttpRequest, activity: str) -> HttpResponse:
    member = _own(request)
    if activity not in processing.OWN_ACTIVITIES:
        raise Http404
    permission_require(can_edit_processing(request.user, member))
    own = processing.OWN_ACTIVITIES[activity]
    saved = ProcessingActivity.objects.filter(member=member, activity=activity).first()
    initial = {"purpose": saved.purpose if saved else own.purpose,
               "lawful_basis": saved.lawful_basis if saved else own.lawful_basis}  # fmt: skip
    form = ProcessingActivityForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            processing.processing_activity_set(
                acting_user=request.user, member=member, activity=activity,
                purpose=form.cleaned_data["purpose"],
                lawful_basis=form.cleaned_data["lawful_basis"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{own.name}: purpose and lawful basis saved.")
            return redirect("rights:processing_register")
    return render(request, "rights/processing_activity_form.html", {
        "form": form, "activity": own,
    })  # fmt: skip


# --- the consortium site -------------------------------------------------------------------


def _any(request: HttpRequest, member_id: int) -> Member:
    permission_require(can_view_processing_of_any(request.user))
    try:
        return Member.organisations.get(pk=member_id)
    except Member.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET"])
def processing_members(request: HttpRequest) -> HttpResponse:
    permission_require(can_view_processing_of_any(request.user))
    return render(request, "rights/processing_members.html", {
        "members": list(Member.organisations.order_by("name")),
    })  # fmt: skip


@login_required
@require_http_methods(["GET"])
def processing_register_of(request: HttpRequest, member_id: int) -> HttpResponse:
    return _register(request, _any(request, member_id), printable=False, consortium=True)


@login_required
@require_http_methods(["GET"])
def processing_print_of(request: HttpRequest, member_id: int) -> HttpResponse:
    return _register(request, _any(request, member_id), printable=True, consortium=True)


@login_required
@require_http_methods(["GET"])
def processing_export_of(request: HttpRequest, member_id: int, fmt: str) -> HttpResponse:
    return _export(_any(request, member_id), fmt)
