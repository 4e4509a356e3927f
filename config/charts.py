"""The one home of the server-rendered SVG charts (no JavaScript, no CDN, no inline styles).

A chart is geometry only: the apps' chart functions compute coordinates with the helpers here
(scales, ticks, columns) and collect shapes on a ``Chart``; the shared template
``templates/charts/chart.html`` draws it, and every colour comes from the palette classes in
``static/css/app.css`` (level colours from /styles/levels.css). Nothing here writes a colour,
a ``style`` attribute or markup: the template escapes every label and title.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def linear(
    domain: tuple[float, float], pixels: tuple[float, float], *, digits: int = 1
) -> Callable[[float], float]:
    """A linear scale mapping ``domain`` (lo, hi) onto ``pixels`` (start, end), rounded to
    ``digits`` (0: a whole number); ``pixels`` may run backwards (an upward y axis). A zero-width
    domain maps every value onto ``start`` (nothing to spread)."""
    d0, d1 = float(domain[0]), float(domain[1])
    p0, p1 = float(pixels[0]), float(pixels[1])
    span = d1 - d0

    def scale(value: float) -> float:
        position = p0 if span == 0 else p0 + (p1 - p0) * (float(value) - d0) / span
        return round(position, digits) if digits else round(position)

    return scale


def top_of(values: Iterable[float]) -> float:
    """The largest value, for a 0..top axis; 1 when there is none or it is 0 (no division by
    zero, an empty chart stays flat)."""
    return max(values, default=0) or 1


def ticks(lo: float, hi: float, count: int) -> list[float]:
    """``count`` + 1 evenly spaced values from lo to hi inclusive (lo alone when count < 1)."""
    if count < 1:
        return [lo]
    step = (hi - lo) / count
    return [lo + step * i for i in range(count + 1)]


def length(value: float, top: float, pixels: float, *, digits: int = 1) -> float:
    """The length of a bar of ``value`` on a 0..top axis ``pixels`` long (0 for no value)."""
    return linear((0, top or 1), (0, pixels), digits=digits)(value or 0)


@dataclass
class Chart:
    """An SVG chart as an ordered list of shapes; ``css`` adds classes to the <svg> (layout
    only: colours come from the shapes' palette classes)."""

    width: float
    height: float
    label: str
    css: str = ""
    id: str = ""
    shapes: list[dict[str, Any]] = field(default_factory=list)

    def line(self, x1, y1, x2, y2, *, cls: str = "axis", title: str = "") -> Chart:
        self.shapes.append(
            {"kind": "line", "x1": x1, "y1": y1, "x2": x2, "y2": y2, "cls": cls, "title": title}
        )
        return self

    def rect(self, x, y, width, height, *, cls: str = "bar", title: str = "") -> Chart:
        self.shapes.append(
            {
                "kind": "rect",
                "x": x,
                "y": y,
                "width": width,
                "height": height,
                "cls": cls,
                "title": title,
            }
        )
        return self

    def dot(self, cx, cy, *, r: float = 4, cls: str = "dot", title: str = "") -> Chart:
        self.shapes.append(
            {"kind": "circle", "cx": cx, "cy": cy, "r": r, "cls": cls, "title": title}
        )
        return self

    def text(
        self, x, y, text, *, cls: str = "", anchor: str = "", baseline: str = "", rotate=None
    ) -> Chart:
        """``anchor``: start/middle/end; ``rotate``: degrees about (x, y)."""
        self.shapes.append(
            {
                "kind": "text",
                "x": x,
                "y": y,
                "text": text,
                "cls": cls,
                "anchor": anchor,
                "baseline": baseline,
                "transform": f"rotate({rotate} {x} {y})" if rotate is not None else "",
            }
        )
        return self

    def polyline(self, points: Sequence[tuple[float, float]], *, cls: str = "line") -> Chart:
        self.shapes.append(
            {
                "kind": "polyline",
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                "cls": cls,
            }
        )
        return self

    def count(self, kind: str) -> int:
        return sum(1 for s in self.shapes if s["kind"] == kind)


# --- ready-made charts (the apps' own compositions live next to their data) ----------------


def horizontal_bars(
    rows: Sequence[tuple[str, float]], *, label: str, width: int = 640, top: float | None = None
) -> Chart | None:
    """A horizontal bar per (label, share 0–1), in the given order, each with its percentage;
    the longest bar full width, or ``top`` (1: shares of a whole on a 0–100 % axis); None for
    no rows."""
    if not rows:
        return None
    row_h, label_w, value_w = 22, 170, 70
    top = top or top_of(w for _, w in rows)
    height = row_h * len(rows) + 10
    chart = Chart(width=width, height=height, label=label)
    for i, (name, share) in enumerate(rows):
        y = 5 + i * row_h
        size = length(share, top, width - label_w - value_w)
        chart.text(label_w - 6, y + 15, name, cls="label", anchor="end")
        chart.rect(label_w, y + 3, size, row_h - 6, title=f"{name}: {share:.2%}")
        chart.text(round(label_w + size + 4, 1), y + 15, f"{share:.1%}", cls="label tick")
    chart.line(label_w, 0, label_w, height)
    return chart


def columns(
    values: Sequence[tuple[str, int]], *, label: str, width: int = 360, height: int = 160
) -> Chart | None:
    """A column per (caption, count) with the count above it and the caption underneath;
    None for no values."""
    if not values:
        return None
    col_w = (width - 20) / len(values)
    top = top_of(count for _, count in values)
    plot_h, pad = height - 50, 18
    baseline = pad + plot_h
    chart = Chart(width=width, height=height, label=label)
    for i, (caption, count) in enumerate(values):
        h = length(count, top, plot_h)
        x = 10 + i * col_w
        middle = round(x + col_w / 2, 1)
        chart.rect(
            round(x + 3, 1),
            round(baseline - h, 1),
            round(col_w - 6, 1),
            h,
            title=f"{caption}: {count}",
        )
        chart.text(middle, round(baseline - h - 3, 1), count, anchor="middle")
        chart.text(middle, height - 12, caption, cls="label tick", anchor="middle")
    chart.line(10, baseline, width - 10, baseline)
    return chart


def step_line(
    series: Sequence[tuple[date, int]], *, label: str, width: int = 640, height: int = 220
) -> Chart | None:
    """A step line of a running value at the end of each day that has one (dates ascending),
    with a dot per day, the 0 line and the lowest/highest value and the first/last day on the
    axes; None for an empty series."""
    if not series:
        return None
    left, right, top, bottom = 50, 15, 15, 30
    first, last = series[0][0], series[-1][0]
    values = [v for _, v in series]
    lo, hi = min(0, *values), max(0, *values)
    if hi == lo:
        hi = lo + 1
    day_x = linear((0, max((last - first).days, 1)), (left, width - right))

    def x(day: date) -> float:
        return day_x((day - first).days)

    y = linear((hi, lo), (top, height - bottom))
    chart = Chart(width=width, height=height, label=label)
    chart.line(left, y(0), width - right, y(0))
    chart.line(left, top, left, height - bottom)
    chart.text(left - 6, round(y(hi) + 4, 1), hi, cls="tick", anchor="end")
    chart.text(left - 6, round(y(lo) + 4, 1), lo, cls="tick", anchor="end")
    chart.text(left, height - 8, first.isoformat(), cls="tick")
    chart.text(width - right, height - 8, last.isoformat(), cls="tick", anchor="end")
    if len(series) > 1:
        points, previous = [], None
        for day, value in series:
            if previous is not None:
                points.append((x(day), y(previous)))
            points.append((x(day), y(value)))
            previous = value
        chart.polyline(points)
    for day, value in series:
        chart.dot(x(day), y(value), r=3, title=f"{day.isoformat()}: {value}")
    return chart
