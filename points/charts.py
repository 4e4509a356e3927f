"""Server-rendered SVG chart of a balance over time (no JavaScript, no CDN)."""

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

LINE = "#0b6bcb"
AXIS = "#5b6575"


def balance_chart_label() -> str:
    return _("Points balance over time")


def cumulative_svg(
    series: Sequence[tuple[date, int]], *, width: int = 640, height: int = 220
) -> SafeString:
    """A step line of the balance at the end of each day with entries; "" for no entries."""
    if not series:
        return mark_safe("")
    left, right, top, bottom = 50, 15, 15, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = series[0][0], series[-1][0]
    span = max((last - first).days, 1)
    values = [v for _, v in series]
    lo, hi = min(0, *values), max(0, *values)
    if hi == lo:
        hi = lo + 1

    def x(day: date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: int) -> float:
        return top + plot_h * (hi - value) / (hi - lo)

    points, previous = [], None
    for day, value in series:
        if previous is not None:
            points.append(f"{x(day):.1f},{y(previous):.1f}")
        points.append(f"{x(day):.1f},{y(value):.1f}")
        previous = value
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(balance_chart_label())}">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="{AXIS}"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{AXIS}"/>',
        f'<text x="{left - 6}" y="{y(hi) + 4:.1f}" text-anchor="end" font-size="11" fill="{AXIS}">{hi}</text>',
        f'<text x="{left - 6}" y="{y(lo) + 4:.1f}" text-anchor="end" font-size="11" fill="{AXIS}">{lo}</text>',
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="{AXIS}">{first.isoformat()}</text>',
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11" fill="{AXIS}">'
        f"{last.isoformat()}</text>",
    ]
    if len(series) > 1:
        parts.append(
            f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="{" ".join(points)}"/>'
        )
    for day, value in series:
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{LINE}">'
            f"<title>{day.isoformat()}: {value}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
