"""How a member's web address (its slug) names its database schema and its site's domain.

Pure functions of the slug and settings: no database, no schema.
"""

from __future__ import annotations

from django.conf import settings


def schema_name_for(slug: str) -> str:
    """The schema of the member with this slug (PostgreSQL names take no hyphen unquoted)."""
    return slug.replace("-", "_")


def member_domain_for(slug: str) -> str:
    """The host name of the member's own site, under the consortium's domain."""
    return f"{slug}.{settings.BASE_DOMAIN}"
