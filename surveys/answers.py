"""A survey response's answers, checked against the wave's questions: what each kind of
question accepts, and the messages for what it refuses (the tests reuse them).

Tenant assumptions: the connection is on the member's schema (the wave's questions are read).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from .models import QuestionKind, Wave

REQUIRED = "Answer this question."
NOT_A_CHOICE = "Choose one of the options given."
NOT_A_NUMBER = "Enter a number, like 12 or 3.5."
NEGATIVE = "Enter zero or more."
TOO_LONG = "Keep this under 5,000 characters."


def _number(value: Any) -> int | float:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(NOT_A_NUMBER) from exc
    if not number.is_finite():
        raise ValueError(NOT_A_NUMBER)
    if number < 0:
        raise ValueError(NEGATIVE)
    return int(number) if number == number.to_integral_value() else float(number)


def answers_clean(*, wave: Wave, raw: dict[str, Any]) -> dict[str, Any]:
    """Check raw answers (question code -> str or list of str) against the wave's questions;
    returns clean values (lists for multiple choice, numbers for numbers, Likert 1-5).
    Raises ValidationError keyed by question code."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for question in wave.questions.all():
        value = raw.get(question.code)
        if question.kind == QuestionKind.MULTIPLE:
            values = [v for v in (value or []) if v] if isinstance(value, list) else (
                [value] if value else [])  # fmt: skip
            if any(v not in question.options for v in values):
                errors[question.code] = [NOT_A_CHOICE]
            elif values:
                clean[question.code] = values
            elif question.required:
                errors[question.code] = [REQUIRED]
            continue
        if isinstance(value, list):
            value = value[0] if value else ""
        value = (value or "").strip() if isinstance(value, str) else value
        if value in ("", None):
            if question.required:
                errors[question.code] = [REQUIRED]
            continue
        if question.kind == QuestionKind.SINGLE:
            if value not in question.options:
                errors[question.code] = [NOT_A_CHOICE]
            else:
                clean[question.code] = value
        elif question.kind == QuestionKind.LIKERT:
            try:
                level = int(value)
            except (TypeError, ValueError):
                level = 0
            if not 1 <= level <= 5:
                errors[question.code] = [NOT_A_CHOICE]
            else:
                clean[question.code] = level
        elif question.kind == QuestionKind.NUMBER:
            try:
                clean[question.code] = _number(value)
            except ValueError as exc:
                errors[question.code] = [str(exc)]
        else:
            if len(str(value)) > 5000:
                errors[question.code] = [TOO_LONG]
            else:
                clean[question.code] = str(value)
    if errors:
        raise ValidationError(errors)
    return clean
