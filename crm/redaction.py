"""Taking a person's name out of free text that stays (an interaction with other people, a
survey answer), when that person is erased.

Pure functions: no database, no schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[name removed]"
# Shorter terms (initials, "Jo") would take pieces of other words and other people's names.
MIN_TERM_LENGTH = 3


def redaction_terms(contact: Any) -> list[str]:
    """What identifies ``contact`` in free text: full names (with the preferred name too),
    e-mail addresses and phone numbers; longest first, so "Ada King Lovelace" goes whole."""
    first = [n for n in (contact.first_name, contact.preferred_name) if n]
    names = [f"{f} {contact.last_name}".strip() for f in first] or [contact.last_name]
    names += [f"{contact.title} {contact.last_name}".strip()] if contact.title else []
    terms = [*names, contact.email, *contact.other_emails, contact.phone, contact.mobile]
    unique = {t.strip() for t in terms if t and len(t.strip()) >= MIN_TERM_LENGTH}
    return sorted(unique, key=lambda t: (-len(t), t))


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    parts = [r"\s+".join(re.escape(w) for w in t.split()) for t in terms if t.strip()]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def text_redact(text: str, terms: Iterable[str]) -> str:
    """``text`` with every whole occurrence of a term (any case, any spacing) replaced."""
    pattern = _pattern(terms)
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)
