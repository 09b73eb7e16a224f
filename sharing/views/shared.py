"""Pages for what other members share with us: the shared directory, one record, its
export, copying a record into our own CRM and linking it to one of our organisations.
Visibility comes from sharing.selectors; every write from a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import services as crm_services
from crm.exporting import FORMATS, csv_bytes
from sharing import selectors, services
from sharing.matching import organisation_link_confirm
from sharing.models import SHAREABLE_FIELDS, DisclosureAction, RecordType, SharedRecord
from sharing.permissions import can_copy_shared_record
from tenants.permissions import permission_require

from . import query_int


def _personal(records: list[SharedRecord]) -> list[SharedRecord]:
    return [r for r in records if r.holds_personal_data]


def shared_list(request: HttpRequest) -> HttpResponse:
    member = request.tenant
    filters = {
        "search": request.GET.get("q", "").strip(),
        "provider_id": query_int(request.GET.get("provider")),
        "agreement_id": query_int(request.GET.get("agreement")),
        "record_type": request.GET.get("type", "") if request.GET.get("type") in RecordType else "",
    }
    records = selectors.shared_records_for(member=member, **filters)
    page = Paginator(records, 25).get_page(request.GET.get("page"))
    shown = _personal(list(page.object_list))
    if shown:
        services.disclosure_record(
            acting_user=request.user,
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
            acting_user=request.user,
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
            "can_copy": can_copy_shared_record(request.user, record),
        },
    )


def shared_export(request: HttpRequest) -> HttpResponse:
    """Records whose agreement allows export, as CSV; every export is logged."""
    records = list(selectors.shared_records_exportable_for(member=request.tenant))
    if records:
        services.disclosure_record(
            acting_user=request.user,
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
    permission_require(can_copy_shared_record(request.user, record))
    data = record.data
    note = (
        f"Copied from {record.agreement.provider.name} under the agreement "
        f"“{record.agreement.title}” (v{record.agreement.version}) on "
        f"{timezone.localdate():%d %B %Y}. Their record, while it is shared with us: "
        f"{request.build_absolute_uri(reverse('sharing:shared_detail', args=[record.pk]))}"
    )
    # The copy keeps a link back to the provider's record (plain ids), for Art. 19 notices.
    origin = {"copied_from_member_id": record.provider_id,
              "copied_from_record_id": record.record_id}  # fmt: skip
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
        copy = crm_services.contact_create(acting_user=request.user, notes=note, **origin, **fields)
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
                acting_user=request.user,
                notes=note,
                identifiers=identifiers,
                **origin,
                **fields,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages) + " It may already be in your CRM.")
            return redirect("sharing:shared_detail", shared_id=record.pk)
    if record.record_type == RecordType.ORGANISATION:
        # The copy stays linked to the provider's record: its page shows their updates.
        organisation_link_confirm(member=request.tenant, organisation=copy, record=record,
                                  reason="copied", acting_user=request.user)  # fmt: skip
    services.disclosure_record(
        acting_user=request.user,
        member=request.tenant,
        records=[record],
        action=DisclosureAction.COPY,
        reason="copied into own CRM",
    )
    messages.success(request, "Copied into your CRM, with a note of where it came from.")
    return redirect(copy)


@require_POST
def shared_link(request: HttpRequest, shared_id: int) -> HttpResponse:
    """Confirm that a shared organisation is the same as one of ours."""
    from crm.models import Organisation

    record = _shared_or_404(request, shared_id)
    if record.record_type != RecordType.ORGANISATION:
        raise Http404
    organisation_id = query_int(request.POST.get("organisation"))
    organisation = Organisation.objects.filter(pk=organisation_id).first()
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
