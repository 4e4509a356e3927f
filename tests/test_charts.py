"""The one chart home (config/charts.py + templates/charts/chart.html + the palette in
static/css/app.css): geometry with known inputs, and no colour or style in any chart markup."""

import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from config import charts
from config.charts import Chart

ROOT = Path(settings.BASE_DIR)
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def templates():
    return [
        p
        for p in ROOT.rglob("templates/**/*.html")
        if ".venv" not in p.parts and "node_modules" not in p.parts
    ]


def test_a_linear_scale_maps_the_domain_onto_the_pixels_either_way():
    x = charts.linear((0, 10), (40, 240))
    assert (x(0), x(5), x(10), x(2.5)) == (40, 140, 240, 90)
    y = charts.linear((0, 100), (212, 12))  # upward axis
    assert (y(0), y(100), y(25)) == (212, 12, 162)
    assert charts.linear((0, 3), (0, 100))(1) == 33.3  # one decimal by default
    assert charts.linear((0, 3), (0, 100), digits=0)(1) == 33
    assert isinstance(charts.linear((0, 3), (0, 100), digits=0)(1), int)


def test_a_zero_width_domain_puts_everything_at_the_start():
    same = charts.linear((5, 5), (10, 90))
    assert (same(5), same(7)) == (10, 10)


def test_top_of_ticks_and_lengths():
    assert charts.top_of([3, 7, 2]) == 7
    assert charts.top_of([]) == 1 and charts.top_of([0, 0]) == 1  # no division by zero
    assert charts.ticks(0, 1, 4) == [0, 0.25, 0.5, 0.75, 1]
    assert charts.ticks(-1, 1, 2) == [-1, 0, 1]
    assert charts.ticks(3, 9, 0) == [3]
    assert charts.length(5, 10, 160) == 80 and charts.length(0, 10, 160) == 0
    assert charts.length(None, 0, 160) == 0


def test_ready_made_charts_are_none_without_data():
    assert charts.horizontal_bars([], label="x") is None
    assert charts.columns([], label="x") is None
    assert charts.step_line([], label="x") is None


def test_horizontal_bars_scale_to_the_longest_bar():
    chart = charts.horizontal_bars([("A", 0.5), ("B", 0.25)], label="Weights", width=640)
    bars = [s for s in chart.shapes if s["kind"] == "rect"]
    # 640 − 170 label − 70 value = 400 px for the longest bar; half of it for half the weight
    assert [(b["x"], b["y"], b["width"], b["height"]) for b in bars] == [
        (170, 8, 400, 16),
        (170, 30, 200, 16),
    ]
    assert [b["title"] for b in bars] == ["A: 50.00%", "B: 25.00%"]
    assert (chart.width, chart.height) == (640, 54)


def test_horizontal_bars_on_a_fixed_axis():
    chart = charts.horizontal_bars([("A", 0.5), ("B", 0.25)], label="Matched", top=1)
    # 400 px is 100 %: half of it for 50 %, a quarter for 25 %
    assert [s["width"] for s in chart.shapes if s["kind"] == "rect"] == [200, 100]


def test_columns_stand_on_one_baseline():
    chart = charts.columns([("-1", 2), ("+0", 4), ("+1", 0)], label="Sizes", width=320, height=160)
    bars = [s for s in chart.shapes if s["kind"] == "rect"]
    # plot 110 px high from y 18: the tallest column fills it, a column of 0 has no height
    assert [(b["y"], b["height"]) for b in bars] == [(73.0, 55), (18.0, 110), (128.0, 0)]
    assert {round(b["y"] + b["height"], 1) for b in bars} == {128}


def test_a_step_line_of_a_single_point_is_one_dot_and_no_line():
    chart = charts.step_line([(date(2026, 1, 5), 10)], label="Balance", width=640, height=220)
    assert chart.count("polyline") == 0 and chart.count("circle") == 1
    dot = next(s for s in chart.shapes if s["kind"] == "circle")
    # one day only: x at the left edge; 10 is the top of a 0..10 axis
    assert (dot["cx"], dot["cy"], dot["title"]) == (50, 15, "2026-01-05: 10")


def test_a_step_line_holds_the_value_until_the_next_day():
    series = [(date(2026, 1, 1), 0), (date(2026, 1, 3), 10), (date(2026, 1, 5), 5)]
    chart = charts.step_line(series, label="Balance", width=250, height=145)
    # x: 4 days over 50..235; y: 0..10 over 115..15
    line = next(s for s in chart.shapes if s["kind"] == "polyline")
    assert line["points"] == "50.0,115.0 142.5,115.0 142.5,15.0 235.0,15.0 235.0,65.0"


def test_the_template_draws_every_shape_with_classes_only():
    chart = Chart(width=100, height=50, label="A <label>", css="extra", id="c1")
    chart.line(0, 40, 100, 40).rect(10, 10, 5, 30, title="t & t").dot(50, 20, cls="dot flagged")
    chart.text(5, 5, "<b>", anchor="end", rotate=-90).polyline([(0, 0), (1, 2)])
    html = render_to_string("charts/chart.html", {"chart": chart})
    assert (
        'class="chart chart-framed extra" id="c1" role="img" aria-label="A &lt;label&gt;"' in html
    )
    assert (
        '<rect class="bar" x="10" y="10" width="5" height="30"><title>t &amp; t</title></rect>'
        in html
    )
    assert '<line class="axis" x1="0" y1="40" x2="100" y2="40">' in html
    assert '<circle class="dot flagged" cx="50" cy="20" r="4">' in html
    assert 'text-anchor="end" transform="rotate(-90 5 5)">&lt;b&gt;</text>' in html
    assert '<polyline class="line" points="0.0,0.0 1.0,2.0">' in html
    assert "style=" not in html and not HEX.search(html) and "fill=" not in html
    assert render_to_string("charts/chart.html", {"chart": None}).strip() == ""


def test_no_template_writes_a_colour_or_a_style_inside_an_svg():
    offenders = []
    for path in templates():
        for svg in SVG.findall(path.read_text(encoding="utf-8")):
            if HEX.search(svg) or "style=" in svg or re.search(r"\b(fill|stroke)=", svg):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_chart_code_writes_no_colour():
    sources = [ROOT / "config/charts.py"] + [
        p for p in ROOT.glob("*/charts.py") if ".venv" not in p.parts
    ]
    assert [str(p) for p in sources if HEX.search(p.read_text(encoding="utf-8"))] == []


def test_no_app_loads_another_apps_stylesheet():
    # every page gets static/css/app.css from base.html; an app may load only its own file
    # (the printable certificate's print rules), never another app's
    link = re.compile(r"""\{%\s*static\s+['"]([^'"]+\.css)['"]\s*%\}""")
    wrong = []
    for path in templates():
        relative = path.relative_to(ROOT)
        app = relative.parts[0]
        for css in link.findall(path.read_text(encoding="utf-8")):
            if not (css.startswith("css/") or (app != "templates" and css.startswith(app + "/"))):
                wrong.append(f"{relative}: {css}")
    assert wrong == []


def test_workforce_columns_take_their_level_colour_from_the_level_stylesheet(client, hr):
    from accounts.tests.factories import UserFactory
    from promotion.models import Level

    # given level 3 has a badge colour and one employee holds level 3
    Level.objects.filter(number=3).update(badge_colour="#123456")
    UserFactory(roles=["CSR"], level=3)
    client.force_login(hr)
    html = client.get(reverse("promotion:workforce")).content.decode()
    # then: the column's segment and its legend swatch carry the level's class, no colour
    chart = SVG.findall(html[html.index('id="chart-levels"') - 200 :])[0]
    assert 'class="level-fill level-3"' in chart and not HEX.search(chart)
    assert 'class="level-fill level-3" width="10" height="10"' in html
    # and the level stylesheet colours that class
    css = client.get(reverse("theme_css")).content.decode()
    assert ".level-fill.level-3 { fill:#123456; }" in css
