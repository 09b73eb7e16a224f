"""Absolute addresses of the consortium's and members' sites, on the port in use."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .models import Member, MemberKind


def site_member(request: HttpRequest | None) -> Member | None:
    """The member whose site ``request`` came to, or ``None`` for the consortium site (and
    for work with no request, such as a test client's ``force_login``)."""
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, Member) and tenant.kind == MemberKind.MEMBER else None


def site_url(request: HttpRequest, member: Member | None, path: str = "/") -> str:
    host = member.primary_domain_name if member is not None else settings.BASE_DOMAIN
    # The port the browser used, from the Host header (behind a proxy SERVER_PORT is not it).
    _host, _sep, port = request.get_host().rpartition(":")
    port = port if _sep and port.isdigit() else ""
    default_port = "443" if request.is_secure() else "80"
    netloc = host if port in ("", default_port) else f"{host}:{port}"
    return f"{request.scheme}://{netloc}{path}"
