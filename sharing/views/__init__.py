"""Data sharing's pages: on a member's site, what is shared with it (``shared``) and its
agreements (``agreements``); the consortium's rules, read everywhere and changed by
consortium admins (``rules``); and the consortium admins' oversight of every agreement
(``oversight``: the register, the sharing map, agreement templates).

Views parse, authorise (sharing.permissions), call one service or selector, and render.
"""

from __future__ import annotations


def query_int(value: str | None) -> int | None:
    """A whole number from a query or form value; anything else is no value."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
