"""What a search box query most likely is."""

from __future__ import annotations

import re

from .validators import is_uk_postcode


def query_kind(query: str) -> str:
    """``email``, ``postcode`` (a full postcode or an outward code) or ``text``."""
    if "@" in query:
        return "email"
    if is_uk_postcode(query) or re.fullmatch(r"[A-Za-z]{1,2}\d[A-Za-z\d]?", query.strip()):
        return "postcode"
    return "text"
