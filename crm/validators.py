"""Validation of UK postcodes and other values that arrive from spreadsheets."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# The published UK postcode format (with GIR 0AA), spaces optional on input.
POSTCODE_RE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
INVALID_POSTCODE = "“{value}” is not a UK postcode (e.g. YO1 7HH)."


def normalise_postcode(value: str) -> str:
    """``yo17hh`` -> ``YO1 7HH``; returns the input upper-cased if it is not a postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if len(compact) >= 5 and POSTCODE_RE.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return (value or "").strip().upper()


def is_uk_postcode(value: str) -> bool:
    return bool(POSTCODE_RE.match(normalise_postcode(value)))


def validate_uk_postcode(value: str) -> None:
    if value and not is_uk_postcode(value):
        raise ValidationError(INVALID_POSTCODE.format(value=value), code="postcode")
