"""Pages on a member's site for erasure, restriction and Art. 19 notices: the erasure's
confirmation (it cannot be undone), lifting a restriction (a confirmed POST), the notices
the member received about its copies, and the panel and header count other apps show.

Views parse, authorise, call one service or selector and render. Tenant assumptions: the
request is on the member's site (its schema); the services enter schemas themselves.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirm import confirmation_page
from tenants.permissions import permission_require

from . import notices as notice_services
from .erasure import person_erasure_preview
from .models import MemberTask, RequestKind
from .notice_models import CopyNotice, NoticeKind, ReceivedBy
from .permissions import can_act_for_people, can_handle_copy_notices
from .person_actions import erasure_act
from .restriction import person_restriction_lift


def _url_or(name: str, fallback: str, **kwargs: Any) -> str:
    """The URL of a page another part of the app serves, or ``fallback`` where it does not."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return fallback


def _task_or_404(request: HttpRequest, task_id: int, kind: str) -> MemberTask:
    """One of this member's tasks of ``kind``; another member's, another kind's and a
    missing one are the same not-found."""
    task = (
        MemberTask.objects.select_related("request", "member")
        .filter(pk=task_id, member=request.tenant, request__kind=kind).first()
    )  # fmt: skip
    if task is None:
        raise Http404
    return task


@require_http_methods(["GET", "POST"])
def erasure_confirm(request: HttpRequest, task_id: int) -> HttpResponse:
    """What an erasure will remove, and the one button that does it (a lead's only)."""
    task = _task_or_404(request, task_id, RequestKind.ERASURE)  # not found before not allowed
    permission_require(can_act_for_people(request.user, request.tenant))
    back = _url_or("rights:task_detail", reverse("home"), task_id=task.pk)
    preview = person_erasure_preview(member=task.member, contact_ids=task.contact_ids)
    lines = [*preview.lines, "The disclosure log keeps its entries: they hold no personal data.",
             "This cannot be undone."]  # fmt: skip
    if preview.on_legal_hold:
        lines.insert(0, "A record here is under a legal hold: the erasure will be refused "
                        "until the hold is lifted.")  # fmt: skip
    asking = confirmation_page(
        request, title=f"Erase this person ({task.request.reference})", consequences=lines,
        button="Erase them for good", back=back,
        action=_url_or("rights:task_act", request.path, task_id=task.pk),
    )  # fmt: skip
    if asking is not None:
        return asking
    try:
        messages.success(request, erasure_act(task, request.user))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


@require_http_methods(["GET", "POST"])
def restriction_lift(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Lift an Art. 18 restriction on one of this member's contacts (a lead's, confirmed)."""
    from crm.models import Contact
    from crm.selectors import contact_get_for_user

    try:
        contact = contact_get_for_user(user=request.user, contact_id=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
    permission_require(can_act_for_people(request.user, request.tenant))
    if contact.processing_restricted_at is None:
        messages.info(request, "This record's processing is not restricted.")
        return redirect(contact)
    asking = confirmation_page(
        request, title="Lift the restriction", danger=False, button="Lift the restriction",
        back=contact.get_absolute_url(), consequences=[
            "The record comes back into lists, searches, exports and mailing lists.",
            "Agreements that pick it share it again with their recipients.",
            "Lift it only when the reason for the restriction has been settled, and tell "
            "the person before you do.",
        ],
    )  # fmt: skip
    if asking is not None:
        return asking
    person_restriction_lift(
        member=request.tenant, contact_ids=[contact.pk], acting_user=request.user,
        reason="lifted on the contact's page",
    )  # fmt: skip
    messages.success(request, "Restriction lifted: the record is back in lists and exports.")
    return redirect(contact)


def copy_notice_list(request: HttpRequest) -> HttpResponse:
    """The notices this member received: copies to erase or correct (leads and managers)."""
    from crm.models import Contact, Organisation
    from crm.selectors import contacts_visible_to

    member = request.tenant
    permission_require(can_handle_copy_notices(request.user, member))
    notices = list(notice_services.copy_notices_for(member=member)[:500])
    contact_ids = [n.copy_id for n in notices if n.copy_id and n.record_type == "contact"]
    org_ids = [n.copy_id for n in notices if n.copy_id and n.record_type == "organisation"]
    contacts = contacts_visible_to(user=request.user).in_bulk(contact_ids)
    hidden = set(Contact.objects.filter(pk__in=contact_ids).values_list("pk", flat=True))
    orgs = Organisation.objects.in_bulk(org_ids)
    rows = []
    for notice in notices:
        copy = (contacts if notice.record_type == "contact" else orgs).get(notice.copy_id or 0)
        rows.append({
            "notice": notice, "copy": copy,
            "copy_hidden": copy is None and notice.copy_id in hidden,
            "copy_gone": notice.received_by == ReceivedBy.COPY and copy is None
            and notice.copy_id not in hidden,
        })  # fmt: skip
    open_rows = [r for r in rows if r["notice"].is_open]
    return render(request, "rights/copy_notices.html", {
        "open_rows": open_rows, "closed_rows": [r for r in rows if not r["notice"].is_open],
        "kinds": NoticeKind,
    })  # fmt: skip


@require_POST
def copy_notice_close(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Record what happened to the copy: done, or kept with a reason."""
    member = request.tenant
    try:
        notice = notice_services.copy_notice_get_for(member=member, notice_id=notice_id)
    except CopyNotice.DoesNotExist as exc:
        raise Http404 from exc
    permission_require(can_handle_copy_notices(request.user, member))
    done = request.POST.get("outcome") == "done"
    try:
        notice_services.copy_notice_close(notice=notice, acting_user=request.user, done=done,
                                          reason=request.POST.get("reason", ""))  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Recorded." if done else "Recorded, with your reason.")
    return redirect("rights:copy_notices")


# --- what other apps show ---------------------------------------------------------------


def contact_restriction_panel(
    request: HttpRequest, record_type: str, record: Any
) -> SafeString | str:
    """On a contact's page: a lead's button to lift an Art. 18 restriction."""
    if record_type != "contact" or getattr(record, "processing_restricted_at", None) is None:
        return ""
    if not can_act_for_people(request.user, getattr(request, "tenant", None)):
        return ""
    return render_to_string("rights/_restriction_panel.html", {"contact": record}, request=request)


def copy_notices_header_count(request: HttpRequest) -> dict[str, object] | None:
    """In the header of the member's site: how many copies wait to be erased or corrected,
    for its data protection leads and managers."""
    member = getattr(request, "tenant", None)
    if not can_handle_copy_notices(
        request.user, member, membership=getattr(request, "membership", None)
    ):
        return None
    count = notice_services.copy_notices_open_count(member=member)
    return {"label": "Copies to erase or correct", "url": reverse("rights:copy_notices"),
            "count": count}  # fmt: skip
