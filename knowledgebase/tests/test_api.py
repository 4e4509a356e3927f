import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from knowledgebase.tests.factories import CategoryFactory, EntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_search_api_returns_ranked_highlighted_hits(api, csr):
    entry = EntryFactory(title="国际漫游开通方式", body="发送KTGJMY开通。")
    EntryFactory(title="宽带报修")
    api.force_authenticate(csr)
    response = api.get(reverse("api-kb-search"), {"q": "漫游"})
    assert response.status_code == 200
    assert [h["id"] for h in response.json()["results"]] == [entry.pk]
    assert (
        "漫游</mark>" in response.json()["results"][0]["title_html"]
    )  # 国际漫游: a seeded synonym


def test_search_api_filters_by_category_and_validates_it(api, csr):
    cat = CategoryFactory()
    inside = EntryFactory(title="积分兑换", category=cat)
    EntryFactory(title="积分查询")
    api.force_authenticate(csr)
    assert [
        h["id"]
        for h in api.get(reverse("api-kb-search"), {"q": "积分", "category": cat.pk}).json()[
            "results"
        ]
    ] == [inside.pk]
    assert api.get(reverse("api-kb-search"), {"q": "积分", "category": 999999}).status_code == 400
    assert api.get(reverse("api-kb-search"), {"q": "积分", "category": "x"}).status_code == 400


def test_kb_api_permissions_and_methods(api, csr, hr):
    entry = EntryFactory()
    api.force_authenticate(hr)
    assert api.get(reverse("api-kb-search"), {"q": "a"}).status_code == 403
    assert api.get(reverse("api-kb-entry", args=[entry.pk])).status_code == 403
    api.force_authenticate(csr)
    assert api.get(reverse("api-kb-entry", args=[entry.pk])).json()["version"] == 1
    assert api.get(reverse("api-kb-entry", args=[999999])).status_code == 404
    assert api.post(reverse("api-kb-search")).status_code == 405
    assert api.delete(reverse("api-kb-entry", args=[entry.pk])).status_code == 405
    api.force_authenticate(None)
    assert api.get(reverse("api-kb-search"), {"q": "a"}).status_code in (401, 403)


def test_search_hits_are_written_as_the_declared_fields_would_write_them():
    from rest_framework import serializers

    from knowledgebase.search import SearchHit
    from knowledgebase.serializers import SearchHitSerializer

    hit = SearchHit(
        entry_id=7,
        title="宽带<故障>",
        category="家庭宽带",
        version=3,
        title_html=search_highlight("宽带<故障>"),
        snippet_html=search_highlight("报修 宽带"),
    )
    serializer = SearchHitSerializer()
    by_fields = serializers.Serializer.to_representation(serializer, hit)
    assert serializer.to_representation(hit) == by_fields
    assert list(serializer.to_representation(hit)) == list(serializer.fields)


def search_highlight(text):
    from knowledgebase.search import highlight

    return highlight(text, ["宽带"])
