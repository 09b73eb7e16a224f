"""The subject access pack's download on a member's site: one POST, once.

Views parse, authorise, call a service and respond. Building the pack is the task's action
(``rights:task_act``, rights.task_actions); its page includes rights/task_kinds/access.html.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from tenants.confirm import confirmation_page
from tenants.permissions import permission_require
from tenants.sites import site_member

from . import packs
from .models import MemberTask
from .pack_permissions import can_handle_pack


def _task_here(request: HttpRequest, task_id: int) -> MemberTask:
    """A task of the member whose site this is; another member's task and a missing one are
    the same 404."""
    member = site_member(request)
    if member is None:
        raise Http404
    try:
        return MemberTask.objects.select_related("request", "member").get(pk=task_id, member=member)
    except MemberTask.DoesNotExist as exc:
        raise Http404 from exc


def task_page_url(task: MemberTask) -> str:
    """The task's own page (rights.urls, the task pages' part), or the home page before
    there is one."""
    try:
        return reverse("rights:task_detail", kwargs={"task_id": task.pk})
    except NoReverseMatch:
        return reverse("home")


@login_required
@require_POST
def pack_download(request: HttpRequest, task_id: int) -> HttpResponseBase:
    """The task's pack as a ZIP, once; afterwards a plain page says it has gone."""
    task = _task_here(request, task_id)
    permission_require(can_handle_pack(request.user, task), packs.NOT_A_LEAD)
    current = packs.pack_current(task=task)
    if current is not None and current.is_downloadable:
        asking = confirmation_page(
            request, title="Download the subject access pack",
            consequences=[
                "The pack downloads to this device as a ZIP file.",
                "It can be downloaded only once: the copy in Commons is deleted straight "
                "away, and this page will say when and by whom it was downloaded.",
                "Keep the file safe and send it to the person securely.",
            ],
            button="Download the pack", back=task_page_url(task), danger=False,
        )  # fmt: skip
        if asking is not None:
            return asking
    try:
        _pack, opened = packs.pack_download(task=task, acting_user=request.user)
    except ValidationError as exc:
        return render(
            request,
            "rights/pack_gone.html",
            {
                "task": task,
                "message": exc.messages[0],
                "pack": current,
                "back": task_page_url(task),
            },
            status=410,
        )
    name = f"subject-access-{task.request.reference}-{task.member.slug}.zip"
    response = FileResponse(opened, as_attachment=True, filename=name,
                            content_type="application/zip")  # fmt: skip
    response["Cache-Control"] = "no-store"
    return response
