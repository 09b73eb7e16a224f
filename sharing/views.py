"""Pages for data sharing on a member's site: agreements, what is shared with us, what we
share. Visibility comes from sharing.selectors; every write from sharing.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crm import services as crm_services
from crm.exporting import FORMATS, csv_bytes
from tenants.confirm import confirmation_page
from tenants.models import Member

from . import selectors, services
from .forms import AgreementForm, ReasonForm
from .models import (
    SHAREABLE_FIELDS,
    AccessMode,
    Agreement,
    AgreementEvent,
    AgreementTemplate,
    DisclosureAction,
    PartyRole,
    RecordType,
    SharedRecord,
    Status,
)
from .rules import agreement_breaches, rules_current


def _is_manager(request: HttpRequest) -> bool:
    return getattr(request.membership, "role", "") == "manager"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _personal(records: list[SharedRecord]) -> list[SharedRecord]:
    return [r for r in records if r.holds_personal_data]


# --- shared with us ------------------------------------------------------------------------


def shared_list(request: HttpRequest) -> HttpResponse:
    member = request.tenant
    filters = {
        "search": request.GET.get("q", "").strip(),
        "provider_id": _int(request.GET.get("provider")),
        "agreement_id": _int(request.GET.get("agreement")),
        "record_type": request.GET.get("type", "") if request.GET.get("type") in RecordType else "",
    }
    records = selectors.shared_records_for(member=member, **filters)
    page = Paginator(records, 25).get_page(request.GET.get("page"))
    shown = _personal(list(page.object_list))
    if shown:
        services.disclosure_record(
            actor=request.user,
            member=member,
            records=shown,
            action=DisclosureAction.VIEW,
            reason="shared directory list",
        )
    agreements = selectors.agreements_received_by(member=member).select_related("provider")
    providers = sorted({a.provider for a in agreements}, key=lambda m: m.name)
    return render(
        request,
        "sharing/shared_list.html",
        {
            "capped": bool(filters["search"]) and page.paginator.count >= selectors.SEARCH_CAP,
            "page": page,
            "filters": filters,
            "agreements": agreements,
            "providers": providers,
            "query": request.GET.urlencode(),
        },
    )


def _shared_or_404(request: HttpRequest, shared_id: int) -> SharedRecord:
    try:
        return selectors.shared_record_get_for(member=request.tenant, shared_id=shared_id)
    except SharedRecord.DoesNotExist as exc:
        raise Http404 from exc


def _cell(value: object) -> object:
    """A shared value as one spreadsheet cell: lists joined, a role at an organisation as
    "Name (role)"."""
    if isinstance(value, list):
        return "; ".join(
            f"{v.get('name', '')} ({v['role']})".strip() if isinstance(v, dict) and v.get("role")
            else str(v.get("name", "")) if isinstance(v, dict) else str(v)
            for v in value
        )  # fmt: skip
    return value


def shared_detail(request: HttpRequest, shared_id: int) -> HttpResponse:
    record = _shared_or_404(request, shared_id)
    if _personal([record]):
        services.disclosure_record(
            actor=request.user,
            member=request.tenant,
            records=[record],
            action=DisclosureAction.VIEW,
            reason="record page",
        )
    labels = SHAREABLE_FIELDS[record.record_type]
    return render(
        request,
        "sharing/shared_detail.html",
        {
            "record": record,
            "agreement": record.agreement,
            "fields": record.facts(),
            "agreed_fields": [labels[f] for f in record.agreement.fields_for(record.record_type)],
            "can_copy": record.agreement.access_mode == AccessMode.COPY,
        },
    )


def shared_export(request: HttpRequest) -> HttpResponse:
    """Records whose agreement allows export, as CSV; every export is logged."""
    records = [
        r
        for r in selectors.shared_records_for(member=request.tenant)
        if r.agreement.access_mode in (AccessMode.EXPORT, AccessMode.COPY)
    ]
    if records:
        services.disclosure_record(
            actor=request.user,
            member=request.tenant,
            records=records,
            action=DisclosureAction.EXPORT,
            reason="CSV export",
        )
    # Columns and values as people read them (field labels, choice labels), as on the page.
    facts = [(r, dict(r.facts())) for r in records]
    labels: list[str] = []
    for _, shown in facts:
        labels.extend(label for label in shown if label not in labels)
    rows = []
    for r, shown in facts:
        values = [_cell(shown.get(label, "")) for label in labels]
        kind = "Contact" if r.record_type == RecordType.CONTACT else "Organisation"
        rows.append([r.agreement.provider.name, r.agreement.title, kind, *values])
    data = csv_bytes(["Provider", "Agreement", "Type", *labels], rows)
    response = HttpResponse(data, content_type=FORMATS["csv"][0])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="shared-with-us-{stamp}.csv"'
    return response


@require_POST
def shared_copy(request: HttpRequest, shared_id: int) -> HttpResponse:
    """Copy a shared record into our own CRM, where the agreement allows it."""
    record = _shared_or_404(request, shared_id)
    if record.agreement.access_mode != AccessMode.COPY:
        raise PermissionDenied
    data = record.data
    note = (
        f"Copied from {record.agreement.provider.name} under the agreement "
        f"“{record.agreement.title}” (v{record.agreement.version}) on "
        f"{timezone.localdate():%d %B %Y}. Their record, while it is shared with us: "
        f"{request.build_absolute_uri(reverse('sharing:shared_detail', args=[record.pk]))}"
    )
    if record.record_type == RecordType.CONTACT:
        fields = {
            k: data[k]
            for k in (
                "first_name",
                "last_name",
                "preferred_name",
                "email",
                "phone",
                "mobile",
                "town",
                "postcode",
            )
            if data.get(k)
        }
        fields.setdefault("last_name", record.display_name)
        copy = crm_services.contact_create(acting_user=request.user, notes=note, **fields)
    else:
        fields = {
            k: data[k]
            for k in (
                "name",
                "email",
                "phone",
                "address_line1",
                "town",
                "postcode",
                "district",
                "website",
            )
            if data.get(k)
        }
        fields.setdefault("name", record.display_name)
        for key in ("other_names", "areas_of_work", "beneficiaries"):
            if data.get(key):
                fields[key] = list(data[key])
        identifiers = [tuple(i.rsplit("-", 1)) for i in data.get("identifiers", []) if "-" in i]
        try:
            copy = crm_services.organisation_create(
                acting_user=request.user, notes=note, identifiers=identifiers, **fields
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages) + " It may already be in your CRM.")
            return redirect("sharing:shared_detail", shared_id=record.pk)
    if record.record_type == RecordType.ORGANISATION:
        # The copy stays linked to the provider's record: its page shows their updates.
        from .matching import organisation_link_confirm

        organisation_link_confirm(member=request.tenant, organisation=copy, record=record,
                                  reason="copied", acting_user=request.user)  # fmt: skip
    services.disclosure_record(
        actor=request.user,
        member=request.tenant,
        records=[record],
        action=DisclosureAction.COPY,
        reason="copied into own CRM",
    )
    messages.success(request, "Copied into your CRM, with a note of where it came from.")
    return redirect(copy)


# --- agreements ------------------------------------------------------------------------------


def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = selectors.agreements_of(member=request.tenant)
    return render(
        request,
        "sharing/agreement_list.html",
        {"agreements": agreements, "is_manager": _is_manager(request)},
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
    if not _is_manager(request):
        raise PermissionDenied
    if base is not None and base.provider_id != request.tenant.pk:
        raise PermissionDenied
    initial = {}
    template_id = _int(request.GET.get("template"))
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
    manager = _is_manager(request)
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
            "can_suspend": manager
            and mine is not None
            and services.agreement_may_stop(agreement, Status.SUSPENDED),
            "can_terminate": manager
            and mine is not None
            and services.agreement_may_stop(agreement, Status.TERMINATED),
            "can_resume": manager
            and provider
            and agreement.status == Status.SUSPENDED
            and not breaches,
            "can_amend": manager
            and provider
            and agreement.status in (Status.ACTIVE, Status.DRAFT, Status.SUSPENDED),
            "reason_form": ReasonForm(),
            "in_force": agreement.is_in_force(),
        },
    )


@require_POST
def agreement_action(request: HttpRequest, agreement_id: int, action: str) -> HttpResponse:
    agreement = _agreement_or_404(request, agreement_id)
    member: Member = request.tenant
    reason = request.POST.get("reason", "")[:500]
    if (action == "terminate" and _is_manager(request)
            and services.agreement_may_stop(agreement, Status.TERMINATED)):  # fmt: skip
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


@require_POST
def shared_link(request: HttpRequest, shared_id: int) -> HttpResponse:
    """Confirm that a shared organisation is the same as one of ours."""
    from crm.models import Organisation

    from .matching import organisation_link_confirm

    record = _shared_or_404(request, shared_id)
    if record.record_type != RecordType.ORGANISATION:
        raise Http404
    organisation = Organisation.objects.filter(pk=_int(request.POST.get("organisation"))).first()
    if organisation is None:
        raise Http404
    organisation_link_confirm(
        member=request.tenant,
        organisation=organisation,
        record=record,
        reason=request.POST.get("reason", ""),
        acting_user=request.user,
    )
    messages.success(
        request,
        f"Linked: you will see {record.agreement.provider.name}'s updates beside your record.",
    )
    return redirect(organisation)
