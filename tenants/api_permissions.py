"""The API's door: the same membership rule as the pages."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .models import MemberKind, Membership


class IsMemberHere(BasePermission):
    """On a member's site: a membership there. On the consortium site: signed in."""

    message = "You do not work at this member."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.kind != MemberKind.MEMBER:
            return True
        membership = Membership.objects.filter(user=user, member=tenant).first()
        request._request.membership = membership
        return membership is not None
