"""Server-rendered SVG charts (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = "#0b6bcb"


# Named so xgettext sees the msgids (it cannot read _() nested inside f-strings).
def weights_label() -> str:
    return _("Weight of each competency item")


def distribution_label() -> str:
    return _("Forced quasi-normal distribution")


AXIS = "#5b6575"


def weight_bars_svg(rows: Sequence[tuple[str, float]], *, width: int = 640) -> SafeString:
    """A horizontal bar per (label, weight), in the given order; an empty string for no rows."""
    if not rows:
        return mark_safe("")
    row_h, label_w, value_w = 22, 170, 70
    bar_w = width - label_w - value_w
    top = max(w for _, w in rows) or 1
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(weights_label())}">'
    ]
    for i, (label, weight) in enumerate(rows):
        y = 5 + i * row_h
        length = bar_w * (weight / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 6}" fill="{BAR}">'
            f"<title>{escape(label)}: {weight:.2%}</title></rect>"
            f'<text x="{label_w + length + 4:.1f}" y="{y + 15}" font-size="12" fill="{AXIS}">{weight:.1%}</text>'
        )
    parts.append(
        f'<line x1="{label_w}" y1="0" x2="{label_w}" y2="{height}" stroke="{AXIS}"/></svg>'
    )
    return mark_safe("".join(parts))


def distribution_svg(columns: Sequence[int], *, width: int = 360, height: int = 160) -> SafeString:
    """Column sizes of the forced distribution as a histogram with scores -k..+k underneath."""
    if not columns:
        return mark_safe("")
    k = (len(columns) - 1) // 2
    col_w = (width - 20) / len(columns)
    top = max(columns) or 1
    plot_h = height - 50
    pad = 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(distribution_label())}">'
    ]
    for i, size in enumerate(columns):
        h = plot_h * size / top
        x = 10 + i * col_w
        score = i - k
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{pad + plot_h - h:.1f}" width="{col_w - 6:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{score:+d}: {size}</title></rect>"
            f'<text x="{x + col_w / 2:.1f}" y="{pad + plot_h - h - 3:.1f}" text-anchor="middle" font-size="11">{size}</text>'
            f'<text x="{x + col_w / 2:.1f}" y="{height - 12}" text-anchor="middle" font-size="12" fill="{AXIS}">{score:+d}</text>'
        )
    parts.append(
        f'<line x1="10" y1="{pad + plot_h}" x2="{width - 10}" y2="{pad + plot_h}" stroke="{AXIS}"/></svg>'
    )
    return mark_safe("".join(parts))
