"""Consortium admins set up, change and turn off a member's single sign-on (tenants.sso).

Views parse, authorise, call one service, and render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, sso_services
from .confirm import confirmation_page
from .forms import form_errors_add
from .models import Member, SignOnKind
from .permissions import consortium_admin_required
from .sites import site_url
from .sso import sign_on_of


class SignOnForm(forms.Form):
    kind = forms.ChoiceField(label="Provider", choices=SignOnKind.choices)
    issuer = forms.CharField(
        label="Issuer address", max_length=300, required=False,
        help_text=(
            "Microsoft 365: https://login.microsoftonline.com/<directory (tenant) ID>/v2.0. "
            "Google Workspace: leave empty. Another provider: its issuer address."
        ),
    )  # fmt: skip
    client_id = forms.CharField(label="Client ID", max_length=191)
    secret = forms.CharField(
        label="Client secret", max_length=191, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Never shown again once saved. Leave empty to keep the one saved.",
    )  # fmt: skip
    name = forms.CharField(
        label="Name on the button", max_length=40, required=False,
        help_text="For another provider: what staff know it as (Sign in with …).",
    )  # fmt: skip
    enforces_mfa = forms.BooleanField(
        label="The provider already asks these staff for a second factor", required=False,
        help_text=(
            "Tick only if the organisation's provider enforces multi-factor sign-in for "
            "everyone: Commons then does not ask for its own second factor after a sign-in "
            "through it."
        ),
    )  # fmt: skip


def _member_or_404(slug: str) -> Member:
    try:
        return selectors.member_get_by_slug(slug=slug)
    except Member.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
@consortium_admin_required
def member_sign_on(request: HttpRequest, slug: str) -> HttpResponse:
    """A member's single sign-on: what is set up, and the form to set it up or change it."""
    member = _member_or_404(slug)
    sign_on = sign_on_of(member)
    initial = {"enforces_mfa": member.sso_enforces_mfa}
    if sign_on is not None:
        initial.update(
            kind=sign_on.kind, issuer=sign_on.app.settings.get("server_url", ""),
            client_id=sign_on.app.client_id,
            name=sign_on.app.name if sign_on.kind == SignOnKind.OTHER else "",
        )  # fmt: skip
    form = SignOnForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sso_services.sign_on_set(member=member, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"Single sign-on for {member.name} is saved.")
            return redirect("member_sign_on", slug=member.slug)
    callback = site_url(request, member, f"/accounts/oidc/{member.slug}/login/callback/")
    return render(
        request, "tenants/member_sign_on.html",
        {"member": member, "sign_on": sign_on, "form": form, "callback": callback},
    )  # fmt: skip


@login_required
@require_POST
@consortium_admin_required
def member_sign_on_remove(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn a member's single sign-on off, after a confirmation (its secret cannot come back)."""
    member = _member_or_404(slug)
    if sign_on_of(member) is None:
        messages.info(request, f"{member.name} has no single sign-on to turn off.")
        return redirect("member_sign_on", slug=member.slug)
    page = confirmation_page(
        request, title=f"Turn off single sign-on for {member.name}?",
        consequences=[
            "Its staff can no longer sign in through their organisation’s provider; they use "
            "their Commons password (or reset it).",
            "The client secret is deleted. To turn single sign-on back on you will need it "
            "again from the provider.",
        ],
        button="Turn off single sign-on", back=reverse("member_sign_on", args=[member.slug]),
        base_template="consortium_base.html",
    )  # fmt: skip
    if page is not None:
        return page
    sso_services.sign_on_remove(member=member, acting_user=request.user)
    messages.success(request, f"Single sign-on for {member.name} is off.")
    return redirect("member_sign_on", slug=member.slug)
