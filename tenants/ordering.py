"""How lists of names are ordered: as people read them, whatever the case or accents.

The database's own collation may be ``C`` (the embedded PostgreSQL has no ICU, so no
``und-x-icu``), where "BEDALE ADVICE" comes before "abbey". Every list of names orders by
``public.commons_fold`` (lower-case, accents removed; tenants migration 0003) first, then by
the name as written, so names that fold alike ("abbey", "Ábbey") keep one stable order.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, OrderBy


class Fold(models.Func):
    """``public.commons_fold``: lower-case, accents removed (tenants migration 0003)."""

    function = "public.commons_fold"
    output_field = models.TextField()


def name_order(*fields: str) -> list[OrderBy]:
    """ORDER BY terms for text ``fields`` (a leading ``-`` sorts descending), each folded and
    then as written: ``order_by(*name_order("last_name", "first_name"), "id")``."""
    terms: list[OrderBy] = []
    for field in fields:
        descending = field.startswith("-")
        name = field.lstrip("-")
        for expression in (Fold(F(name)), F(name)):
            terms.append(expression.desc() if descending else expression.asc())
    return terms
