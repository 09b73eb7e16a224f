"""Legal hold on a contact, an organisation or an interaction: placed or lifted by the
member's managers and data protection leads, with a reason, after a confirmation.

A record the user may not see answers 404 before anything else (not found before not
allowed). Runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import LegalHoldForm
from crm.models import Contact, Interaction, Organisation
from crm.permissions import can_set_legal_hold
from tenants.confirm import confirmation_page
from tenants.permissions import permission_require

from .common import contact_or_404, organisation_or_404

HoldRecord = Contact | Organisation | Interaction


def interaction_or_404(request: HttpRequest, interaction_id: int) -> Interaction:
    try:
        return selectors.interactions_visible_to(user=request.user).get(pk=interaction_id)
    except Interaction.DoesNotExist as exc:
        raise Http404 from exc


def _hold(request: HttpRequest, record: HoldRecord, back: str) -> HttpResponse:
    permission_require(can_set_legal_hold(request.user), services.holds.NOT_A_HOLDER)
    hold = request.POST.get("hold") == "on"
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect(back)
    kind = record._meta.verbose_name
    if hold:
        consequences = [
            f"Retention schedules will never anonymise or delete this {kind}.",
            "The hold and your reason are kept in the audit log.",
        ]
    else:
        consequences = [
            f"Retention schedules may anonymise or delete this {kind} once it is due.",
            "Lifting the hold and your reason are kept in the audit log.",
        ]
    ask = confirmation_page(
        request, title=f"{'Put this ' + kind + ' on' if hold else 'Lift the'} legal hold?",
        button="Place the hold" if hold else "Lift the hold", back=back,
        consequences=consequences, keep=("hold", "reason"), danger=not hold,
    )  # fmt: skip
    if ask is not None:
        return ask
    try:
        services.legal_hold_set(record=record, hold=hold, reason=form.cleaned_data["reason"],
                                acting_user=request.user)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Legal hold placed." if hold else "Legal hold lifted.")
    return redirect(back)


@require_POST
def contact_hold(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    return _hold(request, contact, contact.get_absolute_url())


@require_POST
def organisation_hold(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_or_404(organisation_id)
    return _hold(request, organisation, organisation.get_absolute_url())


@require_POST
def interaction_hold(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = interaction_or_404(request, interaction_id)
    return _hold(request, interaction, interaction.get_absolute_url())
