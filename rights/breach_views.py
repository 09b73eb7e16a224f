"""The breach log's pages, on both sites: /breaches/ on the consortium site for its data
protection leads (every breach), and on a member's site for its leads (the breaches recorded
for it or affecting it). Anyone else gets 403 on the list and 404 on a breach.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirm import confirmation_page
from tenants.forms import form_errors_add
from tenants.models import Member
from tenants.permissions import permission_require
from tenants.sites import site_member

from . import breach_selectors, breach_services
from .breach_models import Breach
from .forms import BreachForm, CloseForm, DecisionForm, NoteForm, ReportForm
from .permissions import acts_for_breaches, can_manage_breach, can_note_breach, can_record_breach


def _base(member: Member | None) -> str:
    return "member_base.html" if member is not None else "consortium_base.html"


def _breach_or_404(request: HttpRequest, breach_id: int) -> tuple[Breach, Member | None]:
    member = site_member(request)
    try:
        breach = breach_selectors.breach_get_for(user=request.user, member=member,
                                                 breach_id=breach_id)  # fmt: skip
    except Breach.DoesNotExist as exc:
        raise Http404 from exc
    return breach, member


@login_required
@require_http_methods(["GET"])
def breach_list(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    permission_require(acts_for_breaches(request.user, member))
    breaches = breach_selectors.breaches_for(user=request.user, member=member)
    clocks = [breach_selectors.breach_clock(b) for b in breaches]
    rows = [{"breach": b, "clock": c} for b, c in zip(breaches, clocks, strict=True)]
    return render(request, "rights/breach_list.html", {
        "rows": rows, "base_template": _base(member), "site_member": member,
        "open_count": sum(b.status == "open" for b in breaches),
        "overdue_count": sum(c.overdue and b.status == "open"
                             for b, c in zip(breaches, clocks, strict=True)),
        "can_record": can_record_breach(request.user, member),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def breach_new(request: HttpRequest) -> HttpResponse:
    member = site_member(request)
    permission_require(can_record_breach(request.user, member))
    form = BreachForm(
        request.POST if request.method == "POST" else None, with_members=member is None
    )
    if request.method == "POST" and form.is_valid():
        try:
            breach = breach_services.breach_record(
                acting_user=request.user, member=member,
                members=list(form.cleaned_data.get("members") or []), **form.details(),
            )  # fmt: skip
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"Breach {breach.reference} recorded. The affected "
                             "members' data protection leads have been told.")  # fmt: skip
            return redirect("rights:breach_detail", breach_id=breach.pk)
    return render(request, "rights/breach_form.html", {
        "form": form, "base_template": _base(member), "breach": None,
    })  # fmt: skip


def _detail(request: HttpRequest, breach: Breach, member: Member | None,
            status: int = 200, **forms: Any) -> HttpResponse:  # fmt: skip
    decisions = breach_selectors.breach_decisions(breach=breach)
    notes = breach_selectors.breach_notes(breach=breach)
    names = breach_selectors.entry_member_names(decisions + notes)
    for entry in decisions + notes:
        entry.member_name = names.get(entry.member_id or 0, "the consortium")  # type: ignore[attr-defined]
    manage = can_manage_breach(request.user, member, breach)
    open_ = breach.status == "open"
    return render(request, "rights/breach_detail.html", {
        "breach": breach, "clock": breach_selectors.breach_clock(breach),
        "members": list(breach.members.order_by("name")),
        "decisions": decisions, "notes": notes,
        "can_manage": manage and open_, "can_note": can_note_breach(request.user, member, breach),
        "decision_form": forms.get("decision_form") or DecisionForm(initial={
            "report_to_ico": breach.report_to_ico, "tell_people": breach.tell_people}),
        "report_form": forms.get("report_form") or ReportForm(
            initial={"ico_reference": breach.ico_reference}),
        "note_form": forms.get("note_form") or NoteForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "base_template": _base(member),
    }, status=status)  # fmt: skip


@login_required
@require_http_methods(["GET"])
def breach_detail(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    return _detail(request, breach, member)


@login_required
@require_http_methods(["GET", "POST"])
def breach_edit(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    permission_require(can_manage_breach(request.user, member, breach)
                       and breach.status == "open")  # fmt: skip
    form = BreachForm(request.POST if request.method == "POST" else None,
                      instance=Breach.objects.get(pk=breach.pk),
                      with_members=member is None)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            breach_services.breach_update(
                acting_user=request.user, member=member, breach=breach,
                members=list(form.cleaned_data["members"]) if member is None else None,
                **form.details(),
            )  # fmt: skip
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Breach updated.")
            return redirect("rights:breach_detail", breach_id=breach.pk)
    return render(request, "rights/breach_form.html", {
        "form": form, "base_template": _base(member), "breach": breach,
    })  # fmt: skip


@login_required
@require_POST
def breach_decide(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    permission_require(can_manage_breach(request.user, member, breach))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            breach_services.breach_decide(acting_user=request.user, member=member,
                                          breach=breach, **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("rights:breach_detail", breach_id=breach.pk)
    return _detail(request, breach, member, status=400, decision_form=form)


@login_required
@require_POST
def breach_report(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    permission_require(can_manage_breach(request.user, member, breach))
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            breach_services.breach_report(acting_user=request.user, member=member,
                                          breach=breach, **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "The report to the ICO is recorded.")
            return redirect("rights:breach_detail", breach_id=breach.pk)
    return _detail(request, breach, member, status=400, report_form=form)


@login_required
@require_POST
def breach_note(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    permission_require(can_note_breach(request.user, member, breach))
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            breach_services.breach_note(acting_user=request.user, member=member, breach=breach,
                                        text=form.cleaned_data["text"])  # fmt: skip
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Note added.")
            return redirect("rights:breach_detail", breach_id=breach.pk)
    return _detail(request, breach, member, status=400, note_form=form)


@login_required
@require_POST
def breach_close(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach, member = _breach_or_404(request, breach_id)
    permission_require(can_manage_breach(request.user, member, breach))
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, breach, member, status=400, close_form=form)
    asked = confirmation_page(
        request, title=f"Close breach {breach.reference}?",
        consequences=["It leaves the list of open breaches and its clock stops.",
                      "Its details and decisions can no longer be changed; notes can still "
                      "be added."],
        button="Close the breach", back=reverse("rights:breach_detail", args=[breach.pk]),
        keep=["text"], base_template=_base(member),
    )  # fmt: skip
    if asked is not None:
        return asked
    try:
        breach_services.breach_close(acting_user=request.user, member=member, breach=breach,
                                     text=form.cleaned_data["text"])  # fmt: skip
    except ValidationError as error:
        form_errors_add(form, error)
        return _detail(request, breach, member, status=400, close_form=form)
    messages.success(request, f"Breach {breach.reference} closed.")
    return redirect("rights:breach_detail", breach_id=breach.pk)
