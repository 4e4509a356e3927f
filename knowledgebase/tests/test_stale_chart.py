"""The knowledge-work page charts its open stale items per category and waiting time, in the
viewer's scope: known counts, known bar lengths, on a hand-made set of flags."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from casebase.models import CaseCitation
from casebase.tests.factories import CaseFactory
from knowledgebase.charts import stale_chart
from knowledgebase.models import StaleFlag
from knowledgebase.selectors import StaleCount, stale_counts, stale_flags_for
from knowledgebase.tests.test_stale import revise, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(world, ops_manager):  # noqa: F811
    """Open flags: two billing cases (2 and 40 days old), one emotion case (1 day), one query
    task of the KB category 资费 (10 days); one resolved billing flag that never counts."""
    case3 = CaseFactory(category=world.billing, title="账单重复", level=2, split="training")
    CaseCitation.objects.create(case=case3, entry=world.a)
    revise(world.a, ops_manager, body="次月生效。")
    revise(world.b, ops_manager, body="48小时内上门。")
    now = timezone.now()
    for filters, days in [
        ({"case": world.case1}, 2),
        ({"case": case3}, 40),
        ({"case": world.case2}, 1),
        ({"query_task": world.task}, 10),
    ]:
        StaleFlag.objects.filter(**filters).update(created_at=now - dt.timedelta(days=days))
    resolved = StaleFlag.objects.get(case=world.case1)
    StaleFlag.objects.create(
        entry=resolved.entry,
        base_version=0,
        change=resolved.change,
        case=case3,
        status=StaleFlag.Status.REVIEWED,
        created_at=now - dt.timedelta(days=3),
    )
    return world


def bars(chart):
    """(title, x, width) of the bar segments (the legend's swatches have no title)."""
    return [
        (s["title"], s["x"], s["width"]) for s in chart.shapes if s["kind"] == "rect" and s["title"]
    ]


def test_counts_per_category_and_age_band(flagged, ops_manager):
    counts = stale_counts(stale_flags_for(ops_manager))
    assert counts == [
        StaleCount("case", "账单争议", (1, 0, 1)),
        StaleCount("case", "情绪安抚", (1, 0, 0)),
        StaleCount("query_task", "资费", (0, 1, 0)),
    ]


def test_the_chart_draws_the_bands_with_known_lengths(flagged, ops_manager):
    with translation.override("en"):
        chart = stale_chart(stale_counts(stale_flags_for(ops_manager)))
    # the track is 640 − 190 − 40 = 410 pixels; the longest bar (2 items) fills it
    assert bars(chart) == [
        ("账单争议 (under 7 days): 1", 190, 205.0),
        ("账单争议 (over 30 days): 1", 395.0, 205.0),
        ("情绪安抚 (under 7 days): 1", 190, 205.0),
        ("资费 (7 to 30 days): 1", 190, 205.0),
    ]
    labels = [s["text"] for s in chart.shapes if s["kind"] == "text" and s["anchor"] == "end"]
    assert labels == ["账单争议 · case", "情绪安抚 · case", "资费 · query task"]
    # each total 4 pixels after its bar
    totals = [
        (s["x"], s["text"])
        for s in chart.shapes
        if s["kind"] == "text" and s["cls"] == "label tick" and s["y"] > 24
    ]
    assert totals == [(604.0, 2), (399.0, 1), (399.0, 1)]
    assert [s["cls"] for s in chart.shapes if s["kind"] == "rect" and s["title"]] == [
        "bar",
        "bar-down",
        "bar",
        "bar-warn",
    ]


def test_no_flags_no_chart():
    assert stale_chart([]) is None


def test_the_page_charts_only_the_viewers_categories(client, flagged, ops_manager):
    url = reverse("knowledgebase:knowledge_work")
    client.force_login(flagged.case_expert)  # billing cases only
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert bars(page.context["stale_chart"]) == [
        ("账单争议 (under 7 days): 1", 190, 205.0),
        ("账单争议 (over 30 days): 1", 395.0, 205.0),
    ]
    assert "Open stale items per category and waiting time" in page.content.decode()
    client.force_login(flagged.kb_expert)  # the query task of 资费 only
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert bars(page.context["stale_chart"]) == [("资费 (7 to 30 days): 1", 190, 410.0)]
    client.force_login(flagged.outsider)  # an expert of nothing: no items, no chart
    page = client.get(url)
    assert page.status_code == 200 and page.context["stale_chart"] is None
    client.force_login(ops_manager)
    assert len(bars(client.get(url).context["stale_chart"])) == 4
