"""The competency pages' SVG charts: ready-made charts of config.charts (drawn by
templates/charts/chart.html, colours from the palette in static/css/app.css)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from config import charts
from config.charts import Chart


# Named so xgettext sees the msgids.
def weights_label() -> str:
    return _("Weight of each competency item")


def distribution_label() -> str:
    return _("Forced quasi-normal distribution")


def weight_bars(rows: Sequence[tuple[str, float]]) -> Chart | None:
    """A horizontal bar per (item, weight), in the given order; None for no rows."""
    return charts.horizontal_bars(rows, label=weights_label())


def distribution(sizes: Sequence[int]) -> Chart | None:
    """Column sizes of the forced distribution with scores -k..+k underneath; None for none."""
    k = (len(sizes) - 1) // 2
    return charts.columns(
        [(f"{i - k:+d}", size) for i, size in enumerate(sizes)], label=distribution_label()
    )
