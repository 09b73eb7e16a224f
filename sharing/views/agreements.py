"""Pages for a member's data-sharing agreements: its register, an agreement, a new one or a
new version, its signatures and state changes, and what the member shares. Visibility comes
from sharing.selectors; every write from sharing.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from sharing import selectors, services
from sharing.forms import AgreementForm, ReasonForm
from sharing.models import (
    SHAREABLE_FIELDS,
    Agreement,
    AgreementEvent,
    AgreementTemplate,
    PartyRole,
    Status,
)
from sharing.permissions import can_manage_agreements
from sharing.rules import agreement_breaches, rules_current
from tenants.confirm import confirmation_page
from tenants.models import Member
from tenants.permissions import permission_require

from . import query_int


def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = selectors.agreements_of(member=request.tenant)
    manager = can_manage_agreements(request.user, request.tenant)
    return render(
        request,
        "sharing/agreement_list.html",
        {"agreements": agreements, "is_manager": manager},
    )


def _agreement_or_404(request: HttpRequest, agreement_id: int) -> Agreement:
    try:
        return selectors.agreement_get_for(member=request.tenant, agreement_id=agreement_id)
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc


@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, agreement_id: int | None = None) -> HttpResponse:
    """A new agreement (or a new version of one of ours)."""
    # Another member's agreement is not found, whoever asks (before the role check).
    base = _agreement_or_404(request, agreement_id) if agreement_id else None
    permission_require(can_manage_agreements(request.user, request.tenant))
    permission_require(base is None or base.provider_id == request.tenant.pk)  # ours to amend
    initial = {}
    template_id = query_int(request.GET.get("template"))
    if base is None and template_id:
        template = AgreementTemplate.objects.filter(pk=template_id).first()
        if template is not None:
            initial = template.as_initial()
    if base is not None:
        initial["recipients"] = [
            p.member_id for p in base.parties.all() if p.role == PartyRole.RECIPIENT
        ]
    form = AgreementForm(
        request.POST or None, instance=base, initial=initial, provider=request.tenant
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        recipients = [m.pk for m in data.pop("recipients")]
        try:
            if base is None:
                agreement = services.agreement_create(
                    provider=request.tenant,
                    acting_user=request.user,
                    recipient_ids=recipients,
                    **data,
                )
            else:
                form.instance.refresh_from_db()
                agreement = services.agreement_amend(
                    agreement=base, acting_user=request.user, **data
                )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Saved as a draft. Propose it when it is ready to sign.")
            return redirect(agreement)
    return render(
        request,
        "sharing/agreement_form.html",
        {"form": form, "base": base, "templates": AgreementTemplate.objects.all()},
    )


def agreement_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = _agreement_or_404(request, agreement_id)
    parties = list(agreement.parties.select_related("member", "signed_by"))
    mine = next((p for p in parties if p.member_id == request.tenant.pk), None)
    manager = can_manage_agreements(request.user, request.tenant)
    provider = agreement.provider_id == request.tenant.pk
    events = list(AgreementEvent.objects.filter(agreement_id=agreement.pk))
    breaches = {}
    if agreement.status in (Status.DRAFT, Status.AWAITING, Status.ACTIVE, Status.SUSPENDED):
        recipients = [p.member_id for p in parties if p.role == PartyRole.RECIPIENT]
        breaches = agreement_breaches(agreement, recipient_ids=recipients, rules=rules_current())
    rule_suspension = next(
        (e for e in reversed(events) if e.action == services.RULES_SUSPENDED), None
    )
    return render(
        request,
        "sharing/agreement_detail.html",
        {
            "agreement": agreement,
            "parties": parties,
            "mine": mine,
            "events": events,
            "breaches": [m for messages in breaches.values() for m in messages],
            "rule_suspension": rule_suspension if agreement.status == Status.SUSPENDED else None,
            "contact_fields": [SHAREABLE_FIELDS["contact"][f] for f in agreement.contact_fields],
            "organisation_fields": [
                SHAREABLE_FIELDS["organisation"][f] for f in agreement.organisation_fields
            ],
            "can_propose": manager and provider and agreement.status == Status.DRAFT,
            "can_sign": manager
            and agreement.status == Status.AWAITING
            and mine is not None
            and mine.signed_at is None,
            "can_suspend": manager and mine is not None and agreement.may_stop(Status.SUSPENDED),
            "can_terminate": manager and mine is not None and agreement.may_stop(Status.TERMINATED),
            "can_resume": manager
            and provider
            and agreement.status == Status.SUSPENDED
            and not breaches,
            "can_amend": manager
            and provider
            and agreement.status in (Status.ACTIVE, Status.DRAFT, Status.SUSPENDED),
            "reason_form": ReasonForm(),
            "in_force": selectors.agreement_in_force(agreement=agreement),
        },
    )


@require_POST
def agreement_action(request: HttpRequest, agreement_id: int, action: str) -> HttpResponse:
    agreement = _agreement_or_404(request, agreement_id)
    member: Member = request.tenant
    reason = request.POST.get("reason", "")[:500]
    if (action == "terminate" and can_manage_agreements(request.user, member)
            and agreement.may_stop(Status.TERMINATED)):  # fmt: skip
        asking = confirmation_page(
            request, title=f"Terminate “{agreement.title}”?", button="Terminate the agreement",
            consequences=[
                "Nothing is shared under it any more: recipients lose sight of every record "
                "at once.",
                "Every party sees that it was terminated, by whom and why.",
                "It cannot be resumed: sharing again needs a new agreement, signed again.",
            ],
            keep=["reason"], back=agreement.get_absolute_url(), back_label="Keep it",
        )  # fmt: skip
        if asking:
            return asking
    try:
        if action == "propose":
            services.agreement_propose(agreement=agreement, acting_user=request.user)
            messages.success(request, "Sent to every party to sign.")
        elif action == "sign":
            services.agreement_sign(
                agreement=agreement,
                member=member,
                acting_user=request.user,
                signed_role=request.membership.get_role_display(),
            )
            messages.success(request, f"Signed for {member.name}.")
        elif action == "suspend":
            services.agreement_suspend(
                agreement=agreement, member=member, acting_user=request.user, reason=reason
            )
            messages.success(request, "Suspended: nothing is shared under it now.")
        elif action == "terminate":
            services.agreement_terminate(
                agreement=agreement, member=member, acting_user=request.user, reason=reason
            )
            messages.success(request, "Terminated: nothing is shared under it any more.")
        elif action == "resume":
            services.agreement_resume(agreement=agreement, acting_user=request.user)
            messages.success(request, "Resumed.")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(agreement)


def what_we_share(request: HttpRequest) -> HttpResponse:
    member = request.tenant
    return render(
        request,
        "sharing/what_we_share.html",
        {
            "agreements": selectors.shared_by(member=member),
            "disclosures": selectors.disclosures_of(provider=member),
            "members": {m.pk: m for m in Member.objects.all()},
        },
    )
