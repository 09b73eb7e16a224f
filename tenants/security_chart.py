"""A small bar chart of security events per day, drawn on the server as SVG.

Like reporting's charts (reporting/svg.py, which tenants may not import): one labelled image
whose numbers are also in a table beside it; colours and sizes are SVG attributes, never
inline styles (the Content-Security-Policy allows no inline style).
"""

from __future__ import annotations

import datetime as dt

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 360, 160
LEFT, RIGHT, TOP, BOTTOM = 32, 8, 10, 28
BAR = "#1f5f8b"
GRID = "#d6dbe3"
INK = "#556070"


def events_per_day_svg(days: list[tuple[dt.date, int]], *, title: str) -> SafeString:
    """Bars for ``days`` (date, count), oldest on the left; nothing when there are none."""
    if not days or not any(count for _day, count in days):
        return mark_safe("")
    top = max(count for _day, count in days)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="events-chart-title" '
        'class="chart" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="events-chart-title">{escape(title)} (the numbers are in the table beside '
        "it)</title>",
    ]
    for value in sorted({0, top}):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="{GRID}"/>')  # fmt: skip
        parts.append(f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="10" fill="{INK}">{value}</text>')  # fmt: skip
    for index, (_day, count) in enumerate(days):
        if count:
            x = LEFT + slot * index + slot * 0.15
            parts.append(
                f'<rect x="{x:.1f}" y="{y(count):.1f}" width="{max(1.0, slot * 0.7):.1f}" '
                f'height="{y(0) - y(count):.1f}" fill="{BAR}"/>'
            )
    for index in sorted({0, len(days) - 1}):
        day = days[index][0]
        anchor = "start" if index == 0 else "end"
        x = LEFT if index == 0 else WIDTH - RIGHT
        parts.append(f'<text x="{x}" y="{HEIGHT - 8}" font-size="10" fill="{INK}" '
                     f'text-anchor="{anchor}">{day:%-d %b %Y}</text>')  # fmt: skip
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped or a number
