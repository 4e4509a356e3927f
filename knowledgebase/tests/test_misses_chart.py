"""The knowledge-work page draws its top search misses as columns: known counts, known heights."""

import pytest
from django.urls import reverse

from knowledgebase.charts import misses_chart
from knowledgebase.models import SearchLog

pytestmark = pytest.mark.django_db


def test_the_knowledge_work_page_charts_the_top_misses(client, ops_manager, csr):
    for query, zero, fallback in [("携号转网到外省怎么办", 3, 0), ("宽带", 0, 1)]:
        for _n in range(zero):
            SearchLog.objects.create(user=csr, query=query, result_count=0)
        for _n in range(fallback):
            SearchLog.objects.create(user=csr, query=query, result_count=2, fallback=True)
    SearchLog.objects.create(user=csr, query="找到了", result_count=3)  # not a miss
    client.force_login(ops_manager)
    page = client.get(reverse("knowledgebase:knowledge_work"), HTTP_ACCEPT_LANGUAGE="en")
    chart = page.context["misses_chart"]
    columns = [s for s in chart.shapes if s["kind"] == "rect"]
    # 3 searches fill the 110-pixel plot, 1 search a third of it; captions cut to 5 characters
    assert [(c["title"], c["height"]) for c in columns] == [
        ("携号转网…: 3", 110.0),
        ("宽带: 1", 36.7),
    ]
    assert "<svg" in page.content.decode()


def test_no_misses_no_chart():
    assert misses_chart([]) is None
