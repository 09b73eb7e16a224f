"""One confirmation step for every POST that cannot be undone (cancel, terminate,
release...): the first POST shows what will happen, the confirmation does it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "yes"


def confirmation_page(
    request: HttpRequest, *, title: str, consequences: Iterable[str], button: str, back: str,
    back_label: str = "Go back", keep: Iterable[str] = (), base_template: str = "",
    action: str = "", danger: bool = True, context: dict[str, Any] | None = None,
) -> HttpResponse | None:  # fmt: skip
    """None when this request is the confirmation (a POST with ``confirm=yes``); otherwise
    the page that asks. ``keep`` names the posted fields to send again with it."""
    if request.method == "POST" and request.POST.get("confirm") == CONFIRMED:
        return None
    confirm = {
        "title": title, "consequences": list(consequences), "button": button, "back": back,
        "back_label": back_label, "action": action or request.path, "danger": danger,
        "keep": [(name, request.POST[name]) for name in keep if request.POST.get(name)],
    }  # fmt: skip
    return render(request, "confirm_action.html", {
        **(context or {}), "confirm": confirm,
        "base_template": base_template or "member_base.html",
    })  # fmt: skip
