"""Pages about second factors that Commons adds to allauth's: why one is needed, a member's
setting for its staff, and a consortium admin's reset for a lost device.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import mfa, mfa_services
from .confirm import confirmation_page
from .forms import StaffSecondFactorForm
from .permissions import can_manage_people, consortium_admin_required, permission_require
from .sites import site_member


@login_required
def second_factor_needed(request: HttpRequest) -> HttpResponse:
    """Where someone who must have a second factor and has none is sent: why, and how."""
    member = site_member(request)
    return render(
        request,
        "tenants/mfa_required.html",
        {
            "required": mfa.second_factor_required(request.user, member),
            "enrolled": mfa.has_second_factor(request.user),
            "site_member": member,
        },
    )


@require_POST
def team_second_factor(request: HttpRequest) -> HttpResponse:
    """A member's managers switch the second factor for its staff on or off (people page)."""
    member = request.tenant
    permission_require(can_manage_people(request.user, member))
    form = StaffSecondFactorForm(request.POST, prefix="mfa")
    if form.is_valid():
        required = form.cleaned_data["required"]
        mfa_services.member_mfa_require(member=member, required=required, acting_user=request.user)
        messages.success(
            request,
            "Staff now need a second factor: anyone without one is asked to set it up."
            if required
            else "Staff no longer need a second factor (managers still do).",
        )
    return redirect("team")


@login_required
@require_http_methods(["GET", "POST"])
@consortium_admin_required
def second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A consortium admin removes someone's second factors when they have lost their device,
    after confirming; the person sets a new one up at their next sign-in."""
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        raise Http404("No such person.")
    name = person.get_full_name() or person.get_username()
    asking = confirmation_page(
        request,
        title=f"Reset {name}’s second factor?",
        consequences=[
            f"{name}’s authenticator apps, passkeys and recovery codes stop working at once.",
            "If their account needs a second factor, they set up a new one when they next "
            "sign in with their password.",
            "Only do this once you are sure it is them asking: check by phone or in person.",
            "The reset is recorded in the audit log under your name.",
        ],
        button="Reset second factor",
        back="/",
        base_template="consortium_base.html",
    )
    if asking is not None:
        return asking
    try:
        mfa_services.mfa_reset(user=person, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{name}’s second factor has been reset.")
    return redirect("home")
