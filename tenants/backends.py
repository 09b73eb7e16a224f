"""Object permissions that answer "no" outside a member's schema instead of raising."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name
from guardian.backends import ObjectPermissionBackend


def _in_member_schema() -> bool:
    return getattr(connection, "schema_name", get_public_schema_name()) != (
        get_public_schema_name()
    )


class MemberObjectPermissionBackend(ObjectPermissionBackend):
    """Guardian's backend, limited to member schemas, where its tables live.

    In the public schema there is nothing it guards, so every object check is a plain "no".
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is None or not _in_member_schema():
            return False
        return super().has_perm(user_obj, perm, obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is None or not _in_member_schema():
            return set()
        return set(super().get_group_permissions(user_obj, obj))

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is None or not _in_member_schema():
            return set()
        return set(super().get_all_permissions(user_obj, obj))
