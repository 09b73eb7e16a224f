"""Cache keys: per member, except the few that must hold across the whole consortium.

django-tenants' key function puts the schema in every key, so nothing cached while serving
one member reaches another. Rate limits and lockouts are the exception: an account or an
address must meet the same limit on every member's site and the consortium's, so keys under
``CONSORTIUM_WIDE_PREFIXES`` (allauth's, and ours) are kept once for all.
"""

from __future__ import annotations

from django_tenants import cache as tenant_cache

CONSORTIUM_WIDE_PREFIXES = ("allauth:", "commons:limit:")
CONSORTIUM_WIDE = "consortium-wide"


def make_key(key: str, key_prefix: str, version: int) -> str:
    if key.startswith(CONSORTIUM_WIDE_PREFIXES):
        return f"{CONSORTIUM_WIDE}:{key_prefix}:{version}:{key}"
    return tenant_cache.make_key(key, key_prefix, version)


def reverse_key(key: str) -> str:
    return tenant_cache.reverse_key(key)
