"""The member dashboard's charts, supplied by any app.

Each chart is a function of the request (on the member's schema) returning a :class:`Chart`
or ``None`` for nothing to show. Apps register theirs with ``chart_register`` (reporting its
own, events its attendance); ``reporting`` draws them in order on the home page. ``crm``
holds the registry so that a plug-in never imports the app that draws it, and renders
nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, overload

from django.http import HttpRequest
from django.utils import timezone


@dataclass
class Chart:
    """A chart and the same numbers as a table. ``series`` maps a series name to one value
    per category; kind is "bar", "stacked" or "line"."""

    key: str
    title: str
    categories: list[str]
    series: dict[str, list[Any]]
    kind: str = "bar"
    unit: str = ""
    note: str = ""
    empty_text: str = "Nothing to show yet."
    colours: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(v for v in s) for s in self.series.values())

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        return [(c, [s[i] for s in self.series.values()]) for i, c in enumerate(self.categories)]


# chart(request) -> the chart, or None for nothing to show on this site
ChartFunction = Callable[[HttpRequest], Chart | None]
_charts: list[tuple[int, ChartFunction]] = []


@overload
def chart_register(function: ChartFunction, *, order: int = 100) -> ChartFunction: ...


@overload
def chart_register(
    function: None = None, *, order: int = 100
) -> Callable[[ChartFunction], ChartFunction]: ...


def chart_register(
    function: ChartFunction | None = None, *, order: int = 100
) -> ChartFunction | Callable[[ChartFunction], ChartFunction]:
    """Register a dashboard chart (usable as ``@chart_register`` or with an order)."""

    def add(fn: ChartFunction) -> ChartFunction:
        if all(existing is not fn for _, existing in _charts):
            _charts.append((order, fn))
            _charts.sort(key=lambda pair: pair[0])
        return fn

    return add(function) if function is not None else add


def charts_registered() -> list[ChartFunction]:
    """Every registered chart function, in the order the dashboard draws them."""
    return [fn for _, fn in _charts]


def months_back(count: int, today: date | None = None) -> list[date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))
