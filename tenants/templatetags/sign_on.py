"""``{% sign_on_offer %}``: on a member's sign-in page, its own provider's button (tenants.sso)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tenants.sso import request_sign_on, sign_on_label

register = template.Library()


@register.inclusion_tag("tenants/sign_on_offer.html", takes_context=True)
def sign_on_offer(context: template.Context) -> dict[str, Any]:
    """The button posts to allauth's provider sign-in (a GET there only asks again)."""
    request = context.get("request")
    sign_on = request_sign_on(request)
    if sign_on is None:
        return {"sign_on": None}
    return {
        "sign_on": sign_on,
        "label": sign_on_label(sign_on),
        "action": reverse("openid_connect_login", kwargs={"provider_id": sign_on.app.provider_id}),
        "next": context.get("redirect_field_value") or "",
        "csrf_token": context.get("csrf_token"),
    }
