"""A member's exit as people see it: on the member's site, its managers' complete export (and
the first import of another member's export); on the consortium site, the admins' list of
exits, the confirmation of a leaving, its cancellation, and the certificate.

Views parse, authorise, call one service, and render.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tenants.confirm import confirmation_page
from tenants.models import Member
from tenants.permissions import permission_require

from . import exit_selectors, exit_services
from .exit_import import exit_zip_import
from .exit_models import CONFIRMABLE, ExitState, MemberExit
from .exit_permissions import can_decide_member_exit, can_export_member, can_import_exit


def _exit_here(request: HttpRequest, exit_id: int) -> MemberExit:
    """An exit of this member's site (another member's, or none: the same not-found)."""
    exit_ = MemberExit.objects.filter(pk=exit_id, member_id=request.tenant.pk).first()
    if exit_ is None:
        raise Http404
    return exit_


def _exit_any(exit_id: int) -> MemberExit:
    exit_ = MemberExit.objects.select_related("member").filter(pk=exit_id).first()
    if exit_ is None:
        raise Http404
    return exit_


def _message_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- the member's site --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exit_home(request: HttpRequest) -> HttpResponse:
    """The member's managers: its complete export (start, follow, download) or a plain "we
    do not need one"; what leaving then means."""
    member = request.tenant
    permission_require(can_export_member(request.user, member))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                exit_services.member_exit_export_start(member=member, acting_user=request.user)
                messages.success(
                    request, "The export has started. This page shows how far it has got."
                )
            elif action == "decline":
                page = confirmation_page(
                    request, title="Leave without an export?", keep=("action",),
                    consequences=[
                        "The consortium may then confirm your organisation’s leaving without "
                        "a copy of its data being made.",
                        "Once the member’s data is deleted after leaving, it cannot be got back.",
                    ],
                    button="We do not need an export", back=reverse("rights:exit_home"),
                )  # fmt: skip
                if page is not None:
                    return page
                exit_services.member_exit_export_decline(member=member, acting_user=request.user)
                messages.success(request, "Recorded: your organisation does not need an export.")
            else:
                messages.error(request, "Choose to start the export or to leave without one.")
        except ValidationError as exc:
            messages.error(request, _message_of(exc))
        return redirect("rights:exit_home")
    exit_ = exit_selectors.member_exit_open(member)
    return render(request, "rights/exit_home.html", {"exit": exit_})


@login_required
@require_http_methods(["GET"])
def exit_status(request: HttpRequest, exit_id: int) -> HttpResponse:
    """The export's progress (the page polls it with htmx while it is built)."""
    permission_require(can_export_member(request.user, request.tenant))
    exit_ = _exit_here(request, exit_id)
    return render(request, "rights/_exit_status.html", {"exit": exit_})


@login_required
@require_http_methods(["GET"])
def exit_download(request: HttpRequest, exit_id: int) -> HttpResponse:
    """The export ZIP, to the member's managers; each download is logged."""
    permission_require(can_export_member(request.user, request.tenant))
    exit_ = _exit_here(request, exit_id)
    try:
        path = exit_services.member_exit_download(exit_=exit_, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
        return redirect("rights:exit_home")
    name = f"{request.tenant.slug}-complete-export-{exit_.export_finished_at:%Y-%m-%d}.zip"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name,
                        content_type="application/zip")  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def exit_import(request: HttpRequest) -> HttpResponse:
    """A new member's first import: another member's complete export, checked whole first."""
    member = request.tenant
    permission_require(can_import_exit(request.user, member))
    error = ""
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose the export’s ZIP file to import."
        else:
            try:
                result = exit_zip_import(member=member, handle=upload.file, size=upload.size,
                                         acting_user=request.user,
                                         filename=upload.name or "")  # fmt: skip
            except ValidationError as exc:
                error = _message_of(exc)
    return render(request, "rights/exit_import.html", {"error": error, "result": result},
                  status=400 if error else 200)  # fmt: skip


# --- the consortium's site ----------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def exit_list(request: HttpRequest) -> HttpResponse:
    """Every member's exit, newest first, for consortium admins."""
    permission_require(can_decide_member_exit(request.user))
    exits = MemberExit.objects.select_related("member", "confirmed_by").order_by("-requested_at")
    return render(request, "rights/exit_list.html", {"exits": exits[:200]})


@login_required
@require_http_methods(["GET", "POST"])
def exit_confirm(request: HttpRequest, exit_id: int) -> HttpResponse:
    """Confirm a member's leaving: the page says exactly what will happen first."""
    permission_require(can_decide_member_exit(request.user))
    exit_ = _exit_any(exit_id)
    member = Member.organisations.get(pk=exit_.member_id)
    if exit_.state not in CONFIRMABLE:
        return render(request, "rights/exit_detail.html", {"exit": exit_}, status=200)
    facts = exit_selectors.member_exit_consequences(member)
    titles = ", ".join(f"“{a.title}”" for a in facts["agreements"][:10]) or "none"
    page = confirmation_page(
        request, base_template="consortium_base.html",
        title=f"Confirm that {member.name} is leaving",
        consequences=[
            f"{len(facts['agreements'])} data-sharing agreements it is party to end now "
            f"({titles}); other members stop seeing its shared records at once.",
            f"{facts['copier_count']} members that copied or exported {facts['copied_contacts']} "
            "of its contacts are told their copies are now theirs alone.",
            f"{facts['memberships']} people lose access to its site; their sessions there and "
            "API tokens they need nowhere else end.",
            "Its site closes and says so.",
            f"Its data is kept for {facts['grace_days']} days (until "
            f"{facts['grace_until']:%d %B %Y}); you can cancel the leaving until then, though "
            "ended agreements stay ended.",
            "Then its database schema is deleted for good, and a certificate records what was "
            "deleted and when.",
        ],
        button=f"Confirm that {member.name} is leaving", back=reverse("rights:exit_list"),
    )  # fmt: skip
    if page is not None:
        return page
    try:
        exit_services.member_exit_confirm(exit_=exit_, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, f"{member.name} has left. Its data is kept for the grace period.")
    return redirect("rights:exit_list")


@login_required
@require_http_methods(["GET", "POST"])
def exit_cancel(request: HttpRequest, exit_id: int) -> HttpResponse:
    """Cancel a leaving within its grace period (after a confirmation)."""
    permission_require(can_decide_member_exit(request.user))
    exit_ = _exit_any(exit_id)
    if exit_.state != ExitState.LEAVING:
        return render(request, "rights/exit_detail.html", {"exit": exit_})
    page = confirmation_page(
        request, base_template="consortium_base.html", danger=False,
        title=f"Cancel {exit_.member.name}’s leaving",
        consequences=[
            "Its site opens again and everyone who worked there has their access back, in the "
            "same role.",
            "Agreements that ended when it left stay ended: they are made again if wanted.",
        ],
        button="Cancel the leaving", back=reverse("rights:exit_list"),
    )  # fmt: skip
    if page is not None:
        return page
    try:
        exit_services.member_exit_cancel(exit_=exit_, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, f"{exit_.member.name}’s leaving is cancelled; its site is open.")
    return redirect("rights:exit_list")


@login_required
@require_http_methods(["GET"])
def exit_certificate(request: HttpRequest, exit_id: int) -> HttpResponse:
    """The certificate of what was deleted when: a page, or (``?download=json``) its JSON."""
    permission_require(can_decide_member_exit(request.user))
    exit_ = _exit_any(exit_id)
    if exit_.state != ExitState.DROPPED or not exit_.certificate:
        return render(request, "rights/exit_detail.html", {"exit": exit_})
    if request.GET.get("download") == "json":
        response = HttpResponse(json.dumps(exit_.certificate, indent=1, ensure_ascii=False),
                                content_type="application/json")  # fmt: skip
        response["Content-Disposition"] = (
            f'attachment; filename="deletion-certificate-{exit_.member.slug}.json"'
        )
        return response
    return render(request, "rights/exit_certificate.html",
                  {"exit": exit_, "certificate": exit_.certificate})  # fmt: skip
