"""A password validator for what Django's own miss: keyboard runs, one character repeated,
and the consortium's or a member's name with digits ("Password2026!", "qwertyuiop12",
"commons2026", "aaaaaaaaaaaa"). Pass-phrases of any length are welcome.

Tenant assumptions: reads member names from the public schema (members are consortium-wide).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz")
# Words everyone tries first, and the site's own name.
GUESSABLE_WORDS = ("password", "letmein", "welcome", "commons", "consortium", "admin")
RUN_LENGTH = 4
# Letters a password must keep once the guessable words are taken out of it.
LEFT_OVER = 5

TOO_GUESSABLE = (
    "Choose a password that is harder to guess: this one is mostly {reason}. A few unrelated "
    "words together make a good one."
)
HELP = (
    "At least 12 characters. Avoid keyboard runs (qwerty, 1234), one letter repeated, and "
    "names such as your organisation's with a number; a few unrelated words work well."
)


def _runs(text: str) -> int:
    """How many characters of ``text`` sit in a keyboard or alphabet run of RUN_LENGTH or
    more (either direction), or in one character repeated RUN_LENGTH times or more."""
    covered = [False] * len(text)
    for match in re.finditer(rf"(.)\1{{{RUN_LENGTH - 1},}}", text):
        covered[match.start() : match.end()] = [True] * (match.end() - match.start())
    rows = [*KEYBOARD_ROWS, *(row[::-1] for row in KEYBOARD_ROWS)]
    for start in range(len(text) - RUN_LENGTH + 1):
        if any(text[start : start + RUN_LENGTH] in row for row in rows):
            covered[start : start + RUN_LENGTH] = [True] * RUN_LENGTH
    return sum(covered)


def _member_words() -> list[str]:
    from .models import Member

    words: list[str] = []
    for name, slug in Member.objects.values_list("name", "slug"):
        words.append(slug.lower())
        words.extend(w for w in re.findall(r"[a-z]+", name.lower()) if len(w) >= 5)
    return words


class PatternValidator:
    """Refuses passwords that are mostly a keyboard run or repeat, or a guessable word (the
    site's, a member's, "password") dressed up with digits and symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        letters = re.sub(r"[^a-z]", "", lowered.replace("0", "o"))
        if _runs(lowered) * 2 >= len(lowered):
            raise ValidationError(
                TOO_GUESSABLE.format(reason="a keyboard run or one character repeated"),
                code="password_pattern",
            )
        rest = letters
        for word in sorted({*GUESSABLE_WORDS, *_member_words()}, key=len, reverse=True):
            rest = rest.replace(word, "")
        if len(rest) < LEFT_OVER and len(rest) < len(letters):
            raise ValidationError(
                TOO_GUESSABLE.format(reason="a name or word that is easy to guess"),
                code="password_pattern",
            )

    def get_help_text(self) -> str:
        return HELP
