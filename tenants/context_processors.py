from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .models import MemberKind
from .navigation import header_counts, member_nav
from .permissions import is_consortium_admin, is_consortium_data_protection_lead, is_researcher


def site(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    on_member_site = tenant is not None and tenant.kind == MemberKind.MEMBER
    user = getattr(request, "user", None)
    return {
        "current_member": tenant if on_member_site else None,
        "membership": getattr(request, "membership", None),
        "on_member_site": on_member_site,
        # Consortium roles matter on the consortium site only (and cost two queries).
        "is_consortium_admin": bool(user and not on_member_site and is_consortium_admin(user)),
        "is_researcher": bool(user and not on_member_site and is_researcher(user)),
        "is_consortium_dp_lead": bool(
            user and not on_member_site and is_consortium_data_protection_lead(user)
        ),
        "consortium_name": settings.CONSORTIUM_NAME,
        "member_nav": member_nav(request) if on_member_site else [],
        "header_counts": header_counts(request) if on_member_site else [],
    }
