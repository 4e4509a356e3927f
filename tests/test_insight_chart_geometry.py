"""The insight scatters drawn on known figures: each dot where its two figures put it.

The statistics behind them have known-answer tests of their own (review/tests/test_insights.py,
promotion/tests/test_item_stats.py); these check the drawing."""

from decimal import Decimal
from types import SimpleNamespace

from promotion.item_stats import ItemStats, scatter_chart
from review.insights import agreement_chart


def _figures(name, agreement, approval):
    return SimpleNamespace(
        member=SimpleNamespace(name=name, staff_id=name.upper()),
        agreement=None if agreement is None else Decimal(agreement),
        approval_rate=None if approval is None else Decimal(approval),
    )


def r(pixels: float) -> float:
    return round(pixels, 1)  # the charts round to a tenth of a pixel


def _dots(chart):
    return [(s["cx"], s["cy"]) for s in chart.shapes if s["kind"] == "circle"]


def test_agreement_against_approval_one_dot_per_member_with_both_figures():
    # plot 256 px square from (44, 12): approval across, agreement up
    chart = agreement_chart(
        [
            _figures("a", "75", "80"),
            _figures("b", "100", "0"),
            _figures("c", None, "50"),  # no decided vote yet: not drawn
        ]
    )
    assert _dots(chart) == [(r(44 + 0.8 * 256), r(12 + 0.25 * 256)), (44.0, 12.0)]
    titles = [s["title"] for s in chart.shapes if s["kind"] == "circle"]
    assert titles[0].startswith("a (A): ") and "75" in titles[0] and "80" in titles[0]
    assert agreement_chart([_figures("c", None, "50")]) is None


def test_difficulty_against_discrimination_with_the_floor_and_flagged_rings():
    config = SimpleNamespace(item_discrimination_floor=Decimal("0.20"))
    rows = [
        ItemStats(case_id=1, title="易", level=2, exposure=7, difficulty=0.6, discrimination=0.5),
        ItemStats(
            case_id=2,
            title="难",
            level=3,
            exposure=5,
            difficulty=0.2,
            discrimination=-0.5,
            flags=["low_discrimination"],
        ),
        ItemStats(case_id=3, title="未答", level=3, exposure=0),  # no figures: not drawn
    ]
    chart = scatter_chart(rows, config)
    # x: 0–1 over 44–548 px; y: 1 at 12 px down to −1 at 286 px
    assert _dots(chart) == [
        (r(44 + 0.6 * 504), r(12 + 0.25 * 274)),
        (r(44 + 0.2 * 504), r(12 + 0.75 * 274)),
    ]
    classes = [s["cls"] for s in chart.shapes if s["kind"] == "circle"]
    assert classes == ["level-dot level-2", "level-dot level-3 flagged"]
    floor = next(s for s in chart.shapes if s.get("cls") == "band-line")
    assert floor["y1"] == floor["y2"] == r(12 + 0.4 * 274)  # discrimination 0.20
    assert scatter_chart(rows[2:], config) is None
