"""Likely duplicates, and merging two records into one.

Runs on the member's own site, behind tenants.middleware (membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crm import merging, selectors

from .common import contact_or_404, organisation_or_404


def duplicates(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/duplicates.html", {
        "contact_pairs": selectors.contact_duplicates(user=request.user),
        "organisation_pairs": selectors.organisation_duplicates(),
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, record_type: str, keep_id: int, drop_id: int) -> HttpResponse:
    if record_type == "contact":
        keep, drop = contact_or_404(request, keep_id), contact_or_404(request, drop_id)
    elif record_type == "organisation":
        keep, drop = organisation_or_404(keep_id), organisation_or_404(drop_id)
    else:
        raise Http404
    if request.method == "POST":
        try:
            if record_type == "contact":
                kept = merging.contact_merge(keep=keep, drop=drop, acting_user=request.user)
            else:
                kept = merging.organisation_merge(keep=keep, drop=drop, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("crm:duplicates")
        messages.success(request, f"Merged into {kept}. Everything attached to both was kept.")
        return redirect(kept)
    return render(request, "crm/merge_confirm.html",
                  {"keep": keep, "drop": drop, "record_type": record_type})  # fmt: skip
