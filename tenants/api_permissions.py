"""The API's door: the same membership rule as the pages."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import MemberKind
from .permissions import is_signed_in, membership_of


class IsMemberHere(BasePermission):
    """On a member's site: a membership there. On the consortium site: signed in (each
    endpoint then asks its own question)."""

    message = "You do not work at this member."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not is_signed_in(request.user):
            return False
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.kind != MemberKind.MEMBER:
            return True
        membership = membership_of(request.user, tenant)
        request._request.membership = membership  # the "me" endpoint shows its role
        return membership is not None
