"""The Content-Security-Policy header: django-csp's middleware, plus where forms may go.

The policy is ``settings.CONTENT_SECURITY_POLICY``: scripts, styles and everything else
from our own origin only, and no inline script, inline style, ``style=`` attribute or
``on…=`` handler anywhere. Two things a fixed setting cannot say are added per response to
``form-action``:

* The consortium's own sites. A form posted on one site may be redirected to another
  (signing in on the consortium site hands over to the person's member site), and browsers
  check every step of a form's redirects against ``form-action``. Our sites are
  ``BASE_DOMAIN`` and its subdomains, on the scheme and port this request came on.
* Single sign-on. A view whose page posts to, or redirects a form to, an identity
  provider sets ``request.csp_form_action_extra`` to an iterable of origins (for example
  ``["https://login.microsoftonline.com"]``); they are allowed for that response only.
"""

from __future__ import annotations

from collections.abc import Iterable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

FORM_ACTION_EXTRA = "csp_form_action_extra"


def own_site_origins(request: HttpRequest) -> list[str]:
    """The consortium site and every member site, on this request's scheme and port."""
    try:
        host = request.get_host()
    except Exception:  # a disallowed Host: that response needs no other site
        return []
    _name, sep, port = host.rpartition(":")
    suffix = f":{port}" if sep and port.isdigit() else ""
    base = settings.BASE_DOMAIN
    return [f"{request.scheme}://{base}{suffix}", f"{request.scheme}://*.{base}{suffix}"]


class CommonsCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; ``form-action`` also allows our sites and the request's
    ``csp_form_action_extra`` origins (see the module's docstring)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        extra: Iterable[str] = getattr(request, FORM_ACTION_EXTRA, None) or ()
        origins = [*own_site_origins(request), *(str(origin) for origin in extra)]
        if origins:
            update = dict(parts.update or {})
            update["form-action"] = [*(update.get("form-action") or ()), *origins]
            parts.update = update
        return parts
