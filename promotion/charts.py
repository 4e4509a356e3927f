"""Coordinates of the workforce page's SVG charts, rendered by templates (as the gap and
query-time calibration charts are): stacked columns of employees per level per month, and
paired columns of promotions and demotions per month. No JavaScript."""

from __future__ import annotations

from collections.abc import Sequence

LEFT, TOP, BOTTOM, COLUMN, GAP = 40, 12, 28, 34, 12
HEIGHT = 180


def _x(index: int) -> int:
    return LEFT + GAP + index * (COLUMN + GAP)


def level_columns(months: Sequence, colours: dict[int, str]) -> dict:
    """One stacked column per promotion.forecast.MonthLevels: a segment per level (0 at the
    bottom) in the level's badge colour."""
    tallest = max((sum(m.counts) for m in months), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    columns = []
    for i, month in enumerate(months):
        y = TOP + plot
        segments = []
        for level, count in enumerate(month.counts):
            if not count:
                continue
            h = round(plot * count / tallest, 1)
            y = round(y - h, 1)
            segments.append(
                {
                    "level": level,
                    "count": count,
                    "y": y,
                    "height": h,
                    "colour": colours.get(level, "#999999"),
                }
            )
        columns.append(
            {
                "x": _x(i),
                "label_x": _x(i) + COLUMN // 2,
                "month": month.month,
                "total": sum(month.counts),
                "segments": segments,
            }
        )
    return {
        "columns": columns,
        "width": _x(len(months)) + GAP,
        "height": HEIGHT,
        "baseline": TOP + plot,
        "left": LEFT,
        "column": COLUMN,
        "tallest": tallest,
        "top": TOP,
        "legend": [{"level": level, "colour": colour} for level, colour in sorted(colours.items())],
    }


def move_columns(months: Sequence) -> dict:
    """Two columns per promotion.forecast.MonthMoves: promotions, then demotions."""
    tallest = max((max(m.promoted, m.demoted) for m in months), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    half = COLUMN // 2
    columns = []
    for i, month in enumerate(months):
        up, down = (
            round(plot * month.promoted / tallest, 1),
            round(plot * month.demoted / tallest, 1),
        )
        columns.append(
            {
                "x": _x(i),
                "x2": _x(i) + half,
                "label_x": _x(i) + half,
                "month": month.month,
                "promoted": month.promoted,
                "demoted": month.demoted,
                "up_y": round(TOP + plot - up, 1),
                "up_h": up,
                "down_y": round(TOP + plot - down, 1),
                "down_h": down,
            }
        )
    return {
        "columns": columns,
        "width": _x(len(months)) + GAP,
        "height": HEIGHT,
        "baseline": TOP + plot,
        "left": LEFT,
        "half": half - 2,
        "tallest": tallest,
        "top": TOP,
    }
