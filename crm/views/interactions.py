"""Recording an interaction with a contact or an organisation, and one interaction's page.

Runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crm import selectors, services
from crm.forms import InteractionForm, LegalHoldForm
from crm.models import Interaction
from crm.permissions import can_set_legal_hold

from .common import contact_or_404, int_or_none, organisation_or_404
from .holds import interaction_or_404


@require_http_methods(["GET", "POST"])
def interaction_create(request: HttpRequest) -> HttpResponse:
    contact_id = int_or_none(request.GET.get("contact") or request.POST.get("contact"))
    org_id = int_or_none(request.GET.get("organisation") or request.POST.get("organisation"))
    contact = contact_or_404(request, contact_id) if contact_id else None
    org = organisation_or_404(org_id) if org_id else None
    form = InteractionForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        services.interaction_create(
            acting_user=request.user, contacts=[contact] if contact else [],
            organisations=[org] if org else [], **form.cleaned_data,
        )  # fmt: skip
        messages.success(request, "Interaction recorded.")
        return redirect(contact or org or "crm:contact_list")
    return render(request, "crm/interaction_form.html",
                  {"form": form, "contact": contact, "org": org})  # fmt: skip


@require_http_methods(["GET"])
def interaction_detail(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """One interaction the user may see whole (one hidden person hides it: 404)."""
    interaction: Interaction = interaction_or_404(request, interaction_id)
    return render(request, "crm/interaction_detail.html", {
        "interaction": interaction,
        "people": selectors.contacts_visible_to(user=request.user).filter(
            interactions=interaction),
        "may_hold": can_set_legal_hold(request.user), "hold_form": LegalHoldForm(),
    })  # fmt: skip
