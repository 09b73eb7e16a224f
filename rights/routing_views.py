"""Pages of finding a person and routing their request (the consortium site), and of a
member's tasks (a member's site). Views parse, authorise, call one service or selector, and
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from tenants.forms import form_errors_add
from tenants.permissions import permission_require, request_passes

from . import routing_selectors as selectors
from . import routing_services as services
from .clock import request_clock
from .models import MemberTask, RightsRequest, TaskStatus
from .routing_forms import (
    CloseForm,
    DeclineForm,
    ExtendForm,
    LookupForm,
    MemberRequestForm,
    RequestForm,
    lookup_token,
)
from .routing_permissions import (
    can_look_up_people,
    can_open_request_for,
    can_view_rights_tasks,
    can_work_rights_tasks,
)
from .task_actions import task_action_for

lead_required = request_passes(lambda request: can_look_up_people(request.user))
NO_ONE_HELD = "No member holds a record matching these details."


# --- the consortium site: lookup and requests ----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@lead_required
def lookup(request: HttpRequest) -> HttpResponse:
    """Which members hold someone: member names and how many records, nothing of them."""
    form = LookupForm(request.POST or None)
    found = None
    request_form = None
    if request.method == "POST" and form.is_valid():
        try:
            found = services.person_lookup(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            request_form = RequestForm(initial={"lookup": lookup_token(found.keys)})
    rows = []
    if found is not None:
        rows = [(m.name, len(found.holdings[m.pk])) for m in found.members]
    return render(request, "rights/lookup.html", {
        "form": form, "found": found, "rows": rows, "request_form": request_form,
        "no_one_held": NO_ONE_HELD,
    })  # fmt: skip


@login_required
@require_POST
@lead_required
def request_create(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        keys = data.pop("lookup")
        try:
            opened = services.request_open(acting_user=request.user, keys=keys, **data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"Request {opened.reference} opened: due "
                                      f"{date_format(opened.due_on, 'j F Y')}.")  # fmt: skip
            return redirect("rights:request_detail", request_id=opened.pk)
    return render(request, "rights/request_new.html", {"request_form": form}, status=400)


@login_required
@lead_required
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in selectors.STATUS_FILTERS:
        status = "open"
    due_soon = request.GET.get("due") == "7"
    page = Paginator(selectors.rights_requests(status=status, due_soon=due_soon), 25).get_page(
        request.GET.get("page")
    )
    rows = [(r, request_clock(r), len(r.tasks.all())) for r in page]
    return render(request, "rights/request_list.html", {
        "page": page, "rows": rows, "status": status, "due_soon": due_soon,
        "statuses": [("open", "Open"), ("done", "Completed"), ("refused", "Refused"),
                     ("all", "All")],
    })  # fmt: skip


def _request_or_404(request_id: int) -> RightsRequest:
    try:
        return selectors.rights_request_get(request_id=request_id)
    except RightsRequest.DoesNotExist as exc:
        raise Http404 from exc


def _request_page(request: HttpRequest, rights_request: RightsRequest, *, status: int = 200,
                  **forms: object) -> HttpResponse:  # fmt: skip
    tasks = selectors.request_tasks(rights_request=rights_request)
    finished = all(t.status in (TaskStatus.DONE, TaskStatus.DECLINED) for t in tasks)
    return render(request, "rights/request_detail.html", {
        "rights_request": rights_request, "clock": request_clock(rights_request),
        "tasks": tasks, "finished": finished,
        "extend_form": forms.get("extend_form") or ExtendForm(prefix="extend"),
        "close_form": forms.get("close_form") or CloseForm(prefix="close"),
        "route_form": forms.get("route_form") or LookupForm(prefix="route"),
    }, status=status)  # fmt: skip


@login_required
@lead_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _request_page(request, _request_or_404(request_id))


@login_required
@require_POST
@lead_required
def request_extend(request: HttpRequest, request_id: int) -> HttpResponse:
    rights_request = _request_or_404(request_id)
    form = ExtendForm(request.POST, prefix="extend")
    if form.is_valid():
        try:
            services.request_extend(rights_request=rights_request, acting_user=request.user,
                                    **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Deadline extended. The reason is recorded.")
            return redirect("rights:request_detail", request_id=rights_request.pk)
    return _request_page(request, rights_request, extend_form=form, status=400)


@login_required
@require_POST
@lead_required
def request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    rights_request = _request_or_404(request_id)
    form = CloseForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            services.request_close(rights_request=rights_request, acting_user=request.user,
                                   **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"Request {rights_request.reference} closed.")
            return redirect("rights:request_detail", request_id=rights_request.pk)
    return _request_page(request, rights_request, close_form=form, status=400)


@login_required
@require_POST
@lead_required
def request_route(request: HttpRequest, request_id: int) -> HttpResponse:
    """Look again for an open request: with more identifiers, or with those it has."""
    rights_request = _request_or_404(request_id)
    form = LookupForm(request.POST, prefix="route")
    keys: list[str] = []
    given = any(request.POST.get(f"route-{name}", "").strip() for name in form.fields)
    if given:
        if not form.is_valid():
            return _request_page(request, rights_request, route_form=form, status=400)
        try:
            keys = services.person_lookup(acting_user=request.user, **form.cleaned_data).keys
        except ValidationError as exc:
            form_errors_add(form, exc)
            return _request_page(request, rights_request, route_form=form, status=400)
    try:
        added = services.request_route(rights_request=rights_request, keys=keys,
                                       acting_user=request.user)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        more = "1 more member holds" if added == 1 else f"{added} more members hold"
        messages.success(request, f"Looked again: {more} this person.")
    return redirect("rights:request_detail", request_id=rights_request.pk)


# --- a member's site: its tasks ---------------------------------------------------------


def task_list(request: HttpRequest) -> HttpResponse:
    """Data rights: the member's tasks with each request's clock."""
    member = request.tenant
    permission_require(can_view_rights_tasks(request.user, member))
    page = Paginator(selectors.member_tasks(member=member), 25).get_page(request.GET.get("page"))
    return render(request, "rights/task_list.html", {
        "page": page, "rows": [(t, request_clock(t.request)) for t in page],
        "can_open": can_open_request_for(request.user, member),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def member_request_create(request: HttpRequest) -> HttpResponse:
    """A request this member received: routed to every member holding the person."""
    member = request.tenant
    permission_require(can_open_request_for(request.user, member))
    form = MemberRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        identifiers = {k: data.pop(k) for k in ("email", "phone", "name", "postcode")}
        try:
            found = services.person_lookup(acting_user=request.user, member=member,
                                           **identifiers)  # fmt: skip
            opened = services.request_open(acting_user=request.user, keys=found.keys,
                                           received_by_member=member, **data)  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            reached = len(found.holdings)
            messages.success(
                request,
                f"Request {opened.reference} opened and sent to "
                f"{reached} {'member' if reached == 1 else 'members'} holding a matching record. "
                "The consortium's data protection lead follows it.",
            )
            return redirect("rights:task_list")
    return render(request, "rights/member_request_new.html", {"form": form})


def _task_or_404(request: HttpRequest, task_id: int) -> MemberTask:
    try:
        return selectors.member_task_get(member=request.tenant, task_id=task_id)
    except MemberTask.DoesNotExist as exc:
        raise Http404 from exc


def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_or_404(request, task_id)  # not found before not allowed
    permission_require(can_view_rights_tasks(request.user, request.tenant))
    return _task_page(request, task)


def _task_page(request: HttpRequest, task: MemberTask, *, status: int = 200,
               decline_form: DeclineForm | None = None) -> HttpResponse:  # fmt: skip
    contacts, hidden = selectors.task_contacts(task=task, user=request.user)
    kind_template = select_template(
        [f"rights/task_kinds/{task.request.kind}.html", "rights/task_kinds/default.html"]
    )
    return render(request, "rights/task_detail.html", {
        "task": task, "rights_request": task.request, "clock": request_clock(task.request),
        "contacts": contacts, "hidden": hidden, "kind_template": kind_template,
        "can_work": can_work_rights_tasks(request.user, request.tenant),
        "is_open": task.status in (TaskStatus.OPEN, TaskStatus.FAILED),
        "has_action": task_action_for(task.request.kind) is not None,
        "decline_form": decline_form or DeclineForm(prefix="decline"),
    }, status=status)  # fmt: skip


def _task_to_work(request: HttpRequest, task_id: int) -> MemberTask:
    task = _task_or_404(request, task_id)
    permission_require(can_work_rights_tasks(request.user, request.tenant))
    return task


@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_to_work(request, task_id)
    try:
        services.task_mark_done(task=task, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Marked done.")
    return redirect("rights:task_detail", task_id=task.pk)


@require_POST
def task_decline(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_to_work(request, task_id)
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            services.task_decline(task=task, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Declined. The reason is recorded.")
            return redirect("rights:task_detail", task_id=task.pk)
    return _task_page(request, task, decline_form=form, status=400)


@require_POST
def task_act(request: HttpRequest, task_id: int) -> HttpResponse:
    """Carry the task out with the action registered for its kind of request."""
    task = _task_to_work(request, task_id)
    action = task_action_for(task.request.kind)
    if action is None:
        raise Http404("Nothing to carry out for this kind of request.")
    try:
        message = action(task, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect(reverse("rights:task_detail", kwargs={"task_id": task.pk}))
