"""A member's access review (/team/access/), bulk invitations (/team/invite/) and the page an
invitation link opens.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import invitation_selectors, invitation_services, review_selectors, review_services
from .bulk_invitations import rows_parse
from .confirm import confirmation_page
from .invitation_mail import invitation_email_send, renewal_asked_email_send
from .invitation_services import INVITATION_EXPIRED, INVITATION_SPENT, Invited
from .models import Membership
from .permissions import can_manage_people, permission_require
from .review_forms import AccessReviewForm, BulkInviteForm, InvitationPasswordForm
from .sites import site_member
from .views import membership_or_404

ROWS_UNREADABLE = "The checked list could not be read. Upload the file again."


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.get_username()


def _summary_bars(counts: list[tuple[str, int, str]], total: int) -> list[dict[str, Any]]:
    """Bar lengths (of 160) for the summary chart: plain numbers, drawn as SVG attributes (no
    inline styles, for the Content-Security-Policy)."""
    return [
        {"label": label, "count": count, "colour": colour, "y": 8 + i * 34,
         "width": round(160 * count / total) if total else 0}
        for i, (label, count, colour) in enumerate(counts)
    ]  # fmt: skip


@require_http_methods(["GET"])
def access_review(request: HttpRequest) -> HttpResponse:
    """Everyone with access, for the member's managers to check, with this quarter's review."""
    member = request.tenant
    permission_require(can_manage_people(request.user, member))
    rows = review_selectors.access_rows(member=member)
    tally = review_selectors.access_counts(rows)
    counts = [
        ("Signed in recently", tally.recent, "#3a8f5c"),
        (f"Unused for {settings.COMMONS_DORMANT_DAYS} days", tally.dormant, "#e07b39"),
        ("No second factor", tally.without_second_factor, "#c0392b"),
        ("Suspended", tally.suspended, "#7f8c8d"),
    ]
    latest = review_selectors.access_review_latest(member=member)
    return render(
        request, "tenants/access_review.html",
        {
            "rows": rows, "counts": counts, "bars": _summary_bars(counts, len(rows)),
            "chart_height": 16 + 34 * len(counts),
            "latest": latest,
            "due": review_selectors.access_review_due(latest=latest),
            "dormant_days": settings.COMMONS_DORMANT_DAYS, "form": AccessReviewForm(),
        },
    )  # fmt: skip


@require_POST
def access_review_record(request: HttpRequest) -> HttpResponse:
    member = request.tenant
    permission_require(can_manage_people(request.user, member))
    form = AccessReviewForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Notes can be at most 2,000 characters. Shorten them and try again."
        )
        return redirect("access_review")
    review_services.access_review_record(
        member=member, acting_user=request.user, notes=form.cleaned_data["notes"]
    )
    messages.success(request, "This quarter's access review is recorded.")
    return redirect("access_review")


@require_POST
def access_confirm(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)  # not found before not allowed
    permission_require(can_manage_people(request.user, request.tenant))
    review_services.membership_confirm(membership=membership, acting_user=request.user)
    messages.success(
        request,
        f"{_name(membership)} still needs access: they will not be suspended for "
        f"{settings.COMMONS_DORMANT_DAYS} days.",
    )
    return redirect("access_review")


@require_POST
def access_suspend(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)
    permission_require(can_manage_people(request.user, request.tenant))
    name = _name(membership)
    ask = confirmation_page(
        request, title=f"Suspend {name}’s access?", button="Suspend now",
        back=reverse("access_review"),
        consequences=[
            f"{name} can no longer open anything at {request.tenant.name}, from their next "
            "click on; a page tells them to ask a manager.",
            "Their account, role and the records they made are kept; a manager can give the "
            "access back from this page.",
        ],
    )  # fmt: skip
    if ask is not None:
        return ask
    try:
        review_services.membership_suspend(membership=membership, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{name}’s access is suspended.")
    return redirect("access_review")


@require_POST
def access_reinstate(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)
    permission_require(can_manage_people(request.user, request.tenant))
    try:
        review_services.membership_reinstate(membership=membership, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{_name(membership)} can work here again.")
    return redirect("access_review")


@require_POST
def access_reinvite(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)
    permission_require(can_manage_people(request.user, request.tenant))
    try:
        token = invitation_services.invitation_renew(
            membership=membership, acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        invitation_email_send(
            request=request, invited=Invited(membership=membership, token=token),
            inviter=request.user,
        )  # fmt: skip
        messages.success(
            request, f"A new invitation link is on its way to {membership.user.email}."
        )
    return redirect("access_review")


# --- bulk invitations -------------------------------------------------------------------


def _rows_from_post(request: HttpRequest) -> list[tuple[int, list[str]]] | None:
    """The checked rows the preview sent back, or None if they are not what it sent."""
    try:
        raw = json.loads(request.POST.get("rows", ""))
    except ValueError:
        return None
    if not isinstance(raw, list):
        return None
    rows = []
    for item in raw:
        ok = (
            isinstance(item, list) and len(item) == 5 and isinstance(item[0], int)
            and all(isinstance(cell, str) for cell in item[1:])
        )  # fmt: skip
        if not ok:
            return None
        rows.append((item[0], item[1:]))
    return rows


@require_http_methods(["GET", "POST"])
def team_invite_bulk(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of colleagues, see each row's problems, then invite them all at once."""
    member = request.tenant
    permission_require(can_manage_people(request.user, member))
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        return _bulk_send(request)
    form = BulkInviteForm(request.POST or None, request.FILES or None)
    parsed = None
    if request.method == "POST" and form.is_valid():
        parsed = rows_parse(
            form.cleaned_data["file"].read(),
            existing_emails=invitation_selectors.member_emails(member=member),
            max_rows=settings.COMMONS_BULK_INVITE_MAX_ROWS,
        )
        if parsed.error:
            form.add_error("file", parsed.error)
            parsed = None
    rows_json = (
        json.dumps([[row.number, *row.as_cells()] for row in parsed.rows])
        if parsed is not None and parsed.ok
        else ""
    )
    return render(
        request, "tenants/team_invite_bulk.html",
        {"form": form, "parsed": parsed, "rows_json": rows_json,
         "days": settings.COMMONS_INVITATION_DAYS},
    )  # fmt: skip


def _bulk_send(request: HttpRequest) -> HttpResponse:
    rows = _rows_from_post(request)
    if not rows:
        messages.error(request, ROWS_UNREADABLE)
        return redirect("team_invite_bulk")
    try:
        invited = invitation_services.memberships_invite_bulk(
            member=request.tenant, rows=rows, acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("team_invite_bulk")
    with get_connection() as connection:
        for each in invited:
            invitation_email_send(
                request=request, invited=each, inviter=request.user, connection=connection
            )
    messages.success(
        request,
        f"{len(invited)} {'person has' if len(invited) == 1 else 'people have'} been invited; "
        "each has an e-mail with how to sign in.",
    )
    return redirect("team")


# --- the link in the invitation ---------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """Choose a password from an invitation link; an expired link says so and lets the person
    ask the member's managers for a new one."""
    member = site_member(request)
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    invitation = invitation_selectors.invitation_for_link(token=token, member=member)
    acting = request.user if request.user.is_authenticated else None
    if invitation is None:
        return render(request, "tenants/invitation_accept.html", {"spent": INVITATION_SPENT})
    if invitation.expires_at <= timezone.now():
        asked = invitation.renewal_asked_at is not None
        if request.method == "POST" and request.POST.get("action") == "renew" and not asked:
            try:
                recipients = invitation_services.invitation_renewal_ask(
                    invitation=invitation, acting_user=acting
                )
            except ValidationError as exc:
                return render(request, "tenants/invitation_accept.html", {"spent": exc.messages[0]})
            renewal_asked_email_send(request=request, invitation=invitation, recipients=recipients)
            asked = True
        expired = INVITATION_EXPIRED.format(
            day=timezone.localtime(invitation.expires_at).strftime("%-d %B %Y"),
            days=settings.COMMONS_INVITATION_DAYS,
        )
        return render(
            request, "tenants/invitation_accept.html",
            {"expired": expired, "asked": asked, "token": token, "invitation": invitation},
        )  # fmt: skip
    user = invitation.membership.user
    form = InvitationPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"],
                acting_user=acting,
            )  # fmt: skip
        except ValidationError as exc:
            return render(request, "tenants/invitation_accept.html", {"spent": exc.messages[0]})
        messages.success(
            request, f"Your password is set. Sign in with the username {user.get_username()}."
        )
        return redirect(settings.LOGIN_URL)
    return render(
        request, "tenants/invitation_accept.html",
        {"form": form, "token": token, "invitation": invitation},
    )  # fmt: skip
