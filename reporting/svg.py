"""Charts drawn on the server as SVG: bars, stacked bars and lines. The numbers go in a
table beside each chart for screen readers, so the SVG is one labelled image."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from crm.dashboard import Chart

PALETTE = ["#1f5f8b", "#e07b39", "#3a8f5c", "#8e5ea2", "#c0392b", "#7f8c8d", "#d4a017",
           "#16a085"]  # fmt: skip
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 70


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def chart_svg(chart: Chart) -> SafeString:
    """The chart as inline SVG (role="img", titled); empty charts draw nothing."""
    if chart.is_empty:
        return mark_safe("")
    names = list(chart.series)
    palette = chart.colours or PALETTE
    n = len(chart.categories)
    stacked = chart.kind == "stacked"
    if stacked:
        top = max(sum(s[i] for s in chart.series.values()) for i in range(n))
    else:
        top = max(max(s) for s in chart.series.values())
    top = _nice_max(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT + 24 * ((len(names) + 2) // 3)}" role="img" '
        f'aria-labelledby="chart-{escape(chart.key)}-title" class="chart" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-{escape(chart.key)}-title">{escape(chart.title)} '
        "(the numbers are in the table beside it)</title>",
    ]
    for step in range(5):
        value = top * step / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#d6dbe3"/>')  # fmt: skip
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#556070">{_fmt(value)}{escape(chart.unit)}</text>'
        )
    slot = plot_w / n
    if chart.kind == "line":
        for index, name in enumerate(names):
            colour = palette[index % len(palette)]
            points = " ".join(f"{LEFT + slot * (i + 0.5):.1f},{y(v):.1f}"
                              for i, v in enumerate(chart.series[name]))  # fmt: skip
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         'stroke-width="2.5"/>')  # fmt: skip
            for i, v in enumerate(chart.series[name]):
                parts.append(f'<circle cx="{LEFT + slot * (i + 0.5):.1f}" cy="{y(v):.1f}" '
                             f'r="3" fill="{colour}"/>')  # fmt: skip
    else:
        group = len(names) if not stacked else 1
        bar_w = max(2.0, slot * 0.7 / group)
        for i in range(n):
            base = 0.0
            for index, name in enumerate(names):
                value = chart.series[name][i]
                colour = palette[index % len(palette)]
                if stacked:
                    x = LEFT + slot * i + slot * 0.15
                    y0, y1 = y(base + value), y(base)
                    base += value
                else:
                    x = LEFT + slot * i + slot * 0.15 + bar_w * index
                    y0, y1 = y(value), y(0)
                if value:
                    parts.append(
                        f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                        f'height="{max(0.0, y1 - y0):.1f}" fill="{colour}"/>'
                    )
    every = max(1, n // 12)
    for i, label in enumerate(chart.categories):
        if i % every:
            continue
        x = LEFT + slot * (i + 0.5)
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 12}" font-size="11" fill="#1d2433" '
                     f'text-anchor="end" transform="rotate(-35 {x:.1f} {TOP + plot_h + 12})">'
                     f"{escape(short)}</text>")  # fmt: skip
    if len(names) > 1:
        for index, name in enumerate(names):
            lx = LEFT + (index % 3) * 200
            ly = HEIGHT + 4 + 24 * (index // 3)
            parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" '
                         f'fill="{palette[index % len(palette)]}"/>')  # fmt: skip
            parts.append(f'<text x="{lx + 18}" y="{ly + 11}" font-size="12" fill="#1d2433">'
                         f"{escape(name)}</text>")  # fmt: skip
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
