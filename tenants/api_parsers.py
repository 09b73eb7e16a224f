"""The API's JSON parser: refuses what the database cannot hold or Python cannot walk."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any payload the API takes (an agreement's criteria are two levels deep); far
# below the recursion limit of the parser and of the serialisers that walk the result.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
HAS_NUL = "The JSON holds a NUL character (\\u0000), which cannot be stored."


def _check(data: Any) -> None:
    """Walk without recursion: depth and NUL characters in keys and strings."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(HAS_NUL)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise ParseError(HAS_NUL)
            stack.append((item, depth + 1))


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 (not 500) for JSON nested too deep to parse or check,
    and for NUL characters, which PostgreSQL cannot store in text."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        _check(data)
        return data
