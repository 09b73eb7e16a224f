"""Which site a request is for, and whether the signed-in user may work there."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from .models import MemberKind, Membership

# Paths on a member's site that anyone may reach, signed in or not. /respond/ is a survey
# answered through an organisation's own unguessable link.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/respond/")
# What a person whose membership is suspended may still reach: the way to their other members.
SUSPENDED_OPEN_PATHS = ("/switch/",)


NUL = "\x00"


def nul_found(request: HttpRequest) -> str | None:
    """Where a NUL character sits in the request's address or form, if anywhere."""
    if NUL in request.path_info:
        return "the address"
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            return f"the address's “{key.replace(NUL, '')}” parameter"
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, values in request.POST.lists():
            if NUL in key or any(NUL in value for value in values):
                return f"the form's “{key.replace(NUL, '')}” field"
    return None


class RefuseNulMiddleware:
    """A NUL character (``%00``) anywhere in the path, the query string or a submitted form
    is answered 400 before any view runs: PostgreSQL cannot store or compare it in text, so
    no page can do anything useful with it, and each would otherwise fail on its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_found(request)
        if where is None:
            return self.get_response(request)
        message = (
            f"{where[0].upper()}{where[1:]} holds a NUL character (%00), which is not "
            "allowed. Remove it and try again."
        )
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        body = render_to_string("400_input.html", {"message": message})
        return HttpResponse(body, status=400)


class HostNotAllowed(SuspiciousOperation):
    """A Host header outside ALLOWED_HOSTS: answered 400, before any tenant lookup."""


class MemberTenantMiddleware(TenantMainMiddleware):
    """django-tenants' routing, with two changes.

    A host outside ``ALLOWED_HOSTS`` gets 400 (the library answers 404), and only the
    consortium and active members are reachable: never the template schema.
    """

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        try:
            return remove_www(request.get_host().split(":")[0])
        except DisallowedHost as exc:
            raise HostNotAllowed(str(exc)) from exc

    def get_tenant(self, domain_model, hostname):
        domain = domain_model.objects.select_related("tenant").get(
            domain=hostname,
            tenant__is_active=True,
            tenant__kind__in=[MemberKind.PUBLIC, MemberKind.MEMBER],
        )
        return domain.tenant

    def no_tenant_found(self, request, hostname):
        """A member that is closed (it is leaving the consortium, or was closed by the
        consortium) keeps its address for a while: its site says it is closed (410), rather
        than that there is no such site. Any other unknown host is the library's 404."""
        from .models import Domain

        domain = (
            Domain.objects.select_related("tenant")
            .filter(domain=hostname, tenant__is_active=False, tenant__kind=MemberKind.MEMBER)
            .first()
        )
        if domain is None:
            return super().no_tenant_found(request, hostname)
        context = {"closed_member": domain.tenant, "consortium_url": settings.SITE_URL}
        return render(request, "tenants/closed.html", context, status=410)


class MembershipMiddleware:
    """On a member's site: anonymous users sign in; users with no membership get 403, and a
    suspended membership a page that says why (the one place page access is decided).

    API paths answer for themselves (token authentication happens in the API layer),
    through the same membership rule in ``tenants.api_permissions``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.kind != MemberKind.MEMBER:
            return self.get_response(request)
        path = request.path_info
        if path.startswith(OPEN_PREFIXES) or path.startswith("/api/"):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = (
            Membership.objects.filter(user=user, member=tenant).select_related("member").first()
        )
        if membership is None:
            return render(request, "403.html", {"member": tenant}, status=403)
        if membership.is_suspended:
            if path in SUSPENDED_OPEN_PATHS:
                return self.get_response(request)
            return render(
                request, "tenants/suspended.html", {"member": tenant, "membership": membership},
                status=403,
            )  # fmt: skip
        request.membership = membership
        return self.get_response(request)
