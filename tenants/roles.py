"""Consortium-wide roles as Django groups; member roles live on Membership.role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django_tenants.utils import get_public_schema_name

CONSORTIUM_ADMINS = "Consortium admins"
RESEARCHERS = "Researchers"
DATA_PROTECTION_LEADS = "Consortium data protection leads"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CONSORTIUM_ADMINS: [
        "tenants.administer_consortium",
        "tenants.add_member",
        "tenants.change_member",
        "tenants.view_member",
        "tenants.view_membership",
        "tenants.view_auditentry",
    ],
    RESEARCHERS: ["tenants.access_research"],
    DATA_PROTECTION_LEADS: ["tenants.lead_data_protection"],
}


def roles_ensure(**_: Any) -> None:
    """Create the consortium groups with their permissions (idempotent, public schema only)."""
    if getattr(connection, "schema_name", None) != get_public_schema_name():
        return
    # tenants is listed before auth, so on a fresh database this handler runs before auth's
    # own post_migrate handler has made this app's permissions: make them first.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    create_permissions(apps.get_app_config("tenants"), verbosity=0)
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
