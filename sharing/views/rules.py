"""Pages for the consortium's sharing rules: admins change them on the consortium site (with a
preview of what a tightening would suspend); everyone reads them, in plain English, on the
consortium site and on every member's site. Writes go through sharing.rule_services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from sharing import rule_services
from sharing.forms import FieldRuleForm, PolicyForm, StandingAgreementForm
from sharing.models import (
    NEVER_SHAREABLE_FIELDS,
    SHAREABLE_FIELDS,
    FieldRule,
    Purpose,
    RecordType,
    RuleChange,
    StandingAgreement,
)
from sharing.permissions import can_change_rules, rules_changer_required
from sharing.rules import (
    agreements_breaking,
    field_label,
    field_limit_proposed,
    policy_proposed,
    rules_current,
    rules_summary,
)
from tenants.forms import form_errors_add


def _suspended_message(request: HttpRequest, saved: str, suspended: list) -> None:
    if suspended:
        titles = ", ".join(f"“{a.title}” ({a.provider.name})" for a in suspended)
        messages.warning(
            request,
            f"{saved} {len(suspended)} active agreement"
            f"{'s were' if len(suspended) != 1 else ' was'} suspended and "
            f"{'their' if len(suspended) != 1 else 'its'} parties told why: {titles}.",
        )
    else:
        messages.success(request, f"{saved} No active agreement breaks it.")


def _preview_or_save(request, form, template, context, *, proposed_rules, save):
    """The shared flow of a rule change: htmx asks for the preview as the form changes; a
    change that would suspend agreements shows them and asks to confirm; then it is saved."""
    would_suspend = agreements_breaking(proposed_rules)
    # The confirmation names exactly the agreements shown: if the choice or the agreements
    # changed since the preview, the admin sees the new preview instead of a silent save.
    token = ",".join(str(agreement.pk) for agreement, _ in would_suspend)
    context |= {"form": form, "would_suspend": would_suspend, "confirm_token": token}
    if request.htmx:
        return render(request, "sharing/_rule_preview.html", context)
    if would_suspend and request.POST.get("confirm") != token:
        context["confirming"] = True
        return render(request, template, context)
    return save()


# --- reading (everyone) ---------------------------------------------------------------------


def _rules_context() -> dict:
    return {
        "summary": rules_summary(),
        "changes": RuleChange.objects.all()[:50],
    }


@login_required
def rules_overview(request: HttpRequest) -> HttpResponse:
    """The consortium site: the rules, with edit links for consortium admins."""
    admin = can_change_rules(request.user)
    context = _rules_context() | {"is_admin": admin}
    if admin:
        context["field_rows"] = _field_rows()
        context["all_standing"] = StandingAgreement.objects.all()
    return render(request, "sharing/rules_admin.html", context)


def rules_page(request: HttpRequest) -> HttpResponse:
    """A member's site: "The consortium's rules", read-only."""
    return render(request, "sharing/rules_member.html", _rules_context())


def purpose_rules(request: HttpRequest) -> HttpResponse:
    """The rules an agreement of one purpose must keep: a fragment the agreement form loads
    (htmx) beside the purpose, so a manager sees them before saving."""
    purpose = request.GET.get("purpose", "")
    if purpose not in Purpose.values:
        return HttpResponse("")
    summary = rules_summary()
    context = {
        "label": Purpose(purpose).label,
        "policy": next(p for p in summary["policies"] if p["purpose"] == purpose),
        "limits": [limit for limit in summary["purpose_only"] if purpose not in limit.purposes],
    }
    return render(request, "sharing/_purpose_rules.html", context)


def _field_rows() -> list[dict]:
    rules = rules_current()
    rows = []
    for record_type in RecordType.values:
        for name in [*SHAREABLE_FIELDS[record_type], *NEVER_SHAREABLE_FIELDS[record_type]]:
            rows.append({"record_type": record_type, "field": name,
                         "what": RecordType(record_type).label,
                         "label": field_label(record_type, name),
                         "limit": rules.limit(record_type, name)})  # fmt: skip
    return rows


# --- changing (consortium admins) ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rules_changer_required
def field_rule_edit(request: HttpRequest, record_type: str, field: str) -> HttpResponse:
    if record_type not in RecordType.values or field not in (
        SHAREABLE_FIELDS[record_type] | NEVER_SHAREABLE_FIELDS[record_type]
    ):
        raise Http404
    rule = FieldRule.objects.filter(record_type=record_type, field=field).first()
    initial = {"mode": rule.mode if rule else "any", "purposes": rule.purposes if rule else []}
    form = FieldRuleForm(request.POST or None, initial=initial)
    context = {
        "rule": rule, "record_type": record_type, "field": field,
        "label": field_label(record_type, field), "what": RecordType(record_type).label.lower(),
    }  # fmt: skip
    template = "sharing/rule_field_form.html"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            limit = field_limit_proposed(
                record_type=record_type, field=field, mode=data["mode"], purposes=data["purposes"]
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:

            def save() -> HttpResponse:
                _, suspended = rule_services.field_rule_set(
                    record_type=record_type, field=field, mode=data["mode"],
                    purposes=data["purposes"], acting_user=request.user,
                )  # fmt: skip
                _suspended_message(request, f"Saved: {limit.sentence()}", suspended)
                return redirect("sharing_rules")

            return _preview_or_save(request, form, template, context,
                                    proposed_rules=rules_current().with_field(limit),
                                    save=save)  # fmt: skip
    if request.htmx:
        return render(request, "sharing/_rule_preview.html", context | {"form": form})
    return render(request, template, context | {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@rules_changer_required
def policy_edit(request: HttpRequest, purpose: str) -> HttpResponse:
    if purpose not in Purpose.values:
        raise Http404
    policy = rules_current().policy(purpose)
    approval = {True: "yes", False: "no", None: ""}[policy.admin_approval]
    initial = policy.values() | {"admin_approval": approval}
    form = PolicyForm(request.POST or None, initial=initial)
    context = {"purpose": purpose, "label": Purpose(purpose).label, "policy": policy}
    template = "sharing/rule_policy_form.html"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposed = policy_proposed(purpose=purpose, **data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:

            def save() -> HttpResponse:
                _, suspended = rule_services.purpose_policy_set(
                    purpose=purpose, acting_user=request.user, **data
                )
                _suspended_message(request, f"Saved the rules for {context['label']}.", suspended)
                return redirect("sharing_rules")

            return _preview_or_save(request, form, template, context,
                                    proposed_rules=rules_current().with_policy(proposed),
                                    save=save)  # fmt: skip
    if request.htmx:
        return render(request, "sharing/_rule_preview.html", context | {"form": form})
    return render(request, template, context | {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@rules_changer_required
def standing_edit(request: HttpRequest, standing_id: int | None = None) -> HttpResponse:
    standing = get_object_or_404(StandingAgreement, pk=standing_id) if standing_id else None
    if standing is not None and request.method == "POST" and request.POST.get("offer"):
        offered = rule_services.standing_agreement_offer(standing=standing,
                                                         acting_user=request.user)  # fmt: skip
        messages.success(request, (
            f"Asked {offered} member{'s' if offered != 1 else ''} to join “{standing.name}”: "
            "it waits for each one's manager to sign." if offered
            else "Every current member already takes part in it (or has been asked)."
        ))  # fmt: skip
        return redirect("sharing_standing_edit", standing_id=standing.pk)
    form = StandingAgreementForm(request.POST or None, instance=standing)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rule_services.standing_agreement_save(
                acting_user=request.user, standing=standing, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(
                request,
                f"Saved “{saved.name}”. Members who join from now on take part in it; "
                "agreements members already made under it are theirs to change.",
            )
            return redirect("sharing_rules")
    joined = standing.agreements.exclude(status="superseded").count() if standing else 0
    return render(request, "sharing/rule_standing_form.html",
                  {"form": form, "standing": standing, "joined": joined})  # fmt: skip
