"""The workforce page's SVG charts (drawn by templates/charts/chart.html, like every chart):
stacked columns of employees per level per month, and paired columns of promotions and
demotions per month. No JavaScript, no colours here (levels.css and the palette in app.css)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from config import charts
from config.charts import Chart

LEFT, TOP, BOTTOM, COLUMN, GAP = 40, 12, 28, 34, 12
HEIGHT = 180
PLOT = HEIGHT - TOP - BOTTOM
BASELINE = TOP + PLOT


def _x(index: int) -> int:
    return LEFT + GAP + index * (COLUMN + GAP)


def _frame(months: Sequence, tallest: float, *, label: str, id: str) -> Chart:
    chart = Chart(
        width=_x(len(months)) + GAP, height=HEIGHT, label=label, css="workforce-chart", id=id
    )
    chart.line(LEFT, BASELINE, chart.width, BASELINE)
    chart.text(4, TOP + 8, tallest)
    return chart


def level_columns(months: Sequence) -> Chart:
    """One stacked column per promotion.forecast.MonthLevels: a segment per level (0 at the
    bottom) in the level's badge colour (class level-fill level-N of /styles/levels.css)."""
    tallest = charts.top_of(sum(m.counts) for m in months)
    chart = _frame(
        months, tallest, label=_("Employees per level at the end of each month"), id="chart-levels"
    )
    for i, month in enumerate(months):
        y = BASELINE
        for level, count in enumerate(month.counts):
            if not count:
                continue
            h = charts.length(count, tallest, PLOT)
            y = round(y - h, 1)
            title = f"{month.month:%Y-%m} · " + _("level %(level)s: %(n)s") % {
                "level": level,
                "n": count,
            }
            chart.rect(_x(i), y, COLUMN, h, cls=f"level-fill level-{level}", title=title)
        chart.text(_x(i) + COLUMN // 2, BASELINE + 14, month.month.month, anchor="middle")
    return chart


def move_columns(months: Sequence) -> Chart:
    """Two columns per promotion.forecast.MonthMoves: promotions, then demotions."""
    tallest = charts.top_of(max(m.promoted, m.demoted) for m in months)
    chart = _frame(months, tallest, label=_("Promotions and demotions per month"), id="chart-moves")
    half = COLUMN // 2
    for i, month in enumerate(months):
        up = charts.length(month.promoted, tallest, PLOT)
        down = charts.length(month.demoted, tallest, PLOT)
        if up:
            chart.rect(
                _x(i),
                round(BASELINE - up, 1),
                half - 2,
                up,
                cls="bar bar-up",
                title=f"{month.month:%Y-%m} · {_('Promoted')}: {month.promoted}",
            )
        if down:
            chart.rect(
                _x(i) + half,
                round(BASELINE - down, 1),
                half - 2,
                down,
                cls="bar bar-down",
                title=f"{month.month:%Y-%m} · {_('Demoted')}: {month.demoted}",
            )
        chart.text(_x(i) + half, BASELINE + 14, month.month.month, anchor="middle")
    return chart


def weight_bars(rows: Sequence[tuple[str, float]]) -> Chart | None:
    """The exam blueprint's weights: a horizontal bar per (item, weight); None for no rows."""
    return charts.horizontal_bars(rows, label=_("Weight of each competency item"))


def checklist_progress(items: Sequence) -> list[tuple[object, float]]:
    """(item, share done 0–1) per checklist item (promotion.selectors.ChecklistItem): the
    numeric ones (points, training cases, apprentices) done ÷ needed, at most 1, the others
    (exam, query time) 1 when met, else 0. A met item is always 1."""
    from promotion.forecast import NUMERIC

    rows = []
    for item in items:
        if item.met:
            share = 1.0
        elif item.code in NUMERIC:
            done_key, needed_key = NUMERIC[item.code]
            needed = float(item.evidence.get(needed_key) or 0)
            done = float(item.evidence.get(done_key) or 0)
            share = min(max(done / needed, 0.0), 1.0) if needed > 0 else 1.0
        else:
            share = 0.0
        rows.append((item, share))
    return rows


def forecast_bars(forecast, *, width: int = 560) -> Chart | None:
    """My level's forecast: a bar per requirement of the next promotion, its share done on a
    0–100 % track (the pale track is what is left), the detail ("620 / 800 points") beside it;
    met requirements in the "up" colour, the bottleneck outlined. None without a next level."""
    rows = checklist_progress(forecast.items)
    if not rows:
        return None
    row_h, label_w, value_w = 24, 150, 150
    track = width - label_w - value_w
    chart = Chart(
        width=width,
        height=row_h * len(rows) + 10,
        label=_("Progress towards the next level"),
        id="forecast-chart",
    )
    for i, (item, share) in enumerate(rows):
        y = 5 + i * row_h
        chart.text(label_w - 6, y + 16, item.label, cls="label", anchor="end")
        chart.rect(label_w, y + 4, track, row_h - 8, cls="bar-exam", title=item.detail)
        size = charts.length(share, 1, track)
        if size:
            cls = "bar bar-up" if item.met else "bar"
            if forecast.bottleneck is not None and item.code == forecast.bottleneck.code:
                cls += " flagged"
            chart.rect(label_w, y + 4, size, row_h - 8, cls=cls, title=f"{item.label}: {share:.0%}")
        chart.text(label_w + track + 6, y + 16, item.detail, cls="label tick")
    chart.line(label_w, 0, label_w, chart.height)
    return chart
