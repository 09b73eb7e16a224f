"""Bring a database to a working consortium: public schema, the consortium row, the template.

Idempotent: running it again migrates what changed and creates nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_exists

from .models import Domain, Member, MemberKind
from .provisioning import quote_ident, template_check


def consortium_bootstrap(*, verbosity: int = 1) -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
    # The shared cache's table, when the cache is the database (settings.CACHES): rate limits
    # and lockouts live there. A no-op for Redis.
    call_command("createcachetable", verbosity=verbosity)
    with transaction.atomic():
        public, _ = Member.objects.get_or_create(
            schema_name=get_public_schema_name(),
            defaults={"kind": MemberKind.PUBLIC, "name": settings.CONSORTIUM_NAME,
                      "slug": "consortium"},
        )  # fmt: skip
        Domain.objects.get_or_create(
            domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        template, _ = Member.objects.get_or_create(
            schema_name=settings.TEMPLATE_SCHEMA_NAME,
            defaults={"kind": MemberKind.TEMPLATE, "name": "Template for new members",
                      "slug": "template"},
        )  # fmt: skip
    if not schema_exists(template.schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_ident(template.schema_name)}")
    # Migrates every tenant schema, the template included, so clones are never stale.
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
    template_check(template.schema_name)
    _roles_with_permissions()


def _roles_with_permissions() -> None:
    """The consortium groups with their permissions. On a fresh database the post_migrate
    hook can run before auth has created the permissions it names, so make sure here."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .roles import roles_ensure

    connection.set_schema_to_public()
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    roles_ensure()
