"""The client's real address, the one place Commons asks for it.

Behind the documented nginx (deploy/nginx.conf.example) every request reaches gunicorn from
the proxy, so ``REMOTE_ADDR`` is the proxy's address; the client's is the entry the trusted
proxies appended to ``X-Forwarded-For``. ``COMMONS_TRUSTED_PROXY_COUNT`` (allauth's
``ALLAUTH_TRUSTED_PROXY_COUNT``) says how many proxies to trust; allauth's adapter reads the
header accordingly, so allauth's own rate limits and Commons' agree on who a client is.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address rate limits and the audit log count by; never raises.

    A forwarded header shorter than the trusted proxy count (a client that reached the
    server round the proxy, or a hostile header) counts by the connection's own address.
    """
    try:
        return get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):
        return request.META.get("REMOTE_ADDR") or "unknown"
