"""The result cache of the search page and API (search.search_outcome_cached): a repeated
search reads no table, and every change a search can show — a revision, a retirement, a new
entry, a category renamed, a synonym group — is visible at the next search, not a minute later."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from knowledgebase import search, services
from knowledgebase.models import SearchLog
from knowledgebase.tests.factories import CategoryFactory, EntryFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("knowledgebase:search")
API = reverse("api-kb-search")


def cached_ids(query, **kwargs):
    return [hit.entry_id for hit in search.search_outcome_cached(query, **kwargs).hits]


def test_a_repeated_search_reads_no_table_and_gives_the_same_hits():
    entry = EntryFactory(title="携号转网办理条件", body="在网满90天可办理。")
    first = search.search_outcome_cached("携号转网")
    with CaptureQueriesContext(connection) as queries:
        again = search.search_outcome_cached("携号转网怎么办")  # the same terms, typed differently
    assert [h.entry_id for h in first.hits] == [h.entry_id for h in again.hits] == [entry.pk]
    assert again.hits[0].title_html == first.hits[0].title_html
    assert len(queries) == 0


def test_a_different_category_or_page_is_a_different_search():
    billing, network = CategoryFactory(name="账单"), CategoryFactory(name="网络")
    bill = EntryFactory(title="话费账单查询", category=billing)
    EntryFactory(title="话费充值渠道", category=network)
    assert len(cached_ids("话费")) == 2
    assert cached_ids("话费", category_ids={billing.pk}) == [bill.pk]
    assert cached_ids("话费", offset=20) == []


def test_a_revision_shows_at_the_next_search(ops_manager):
    entry = EntryFactory(title="话费充值渠道", body="充值一般实时到账。")
    assert cached_ids("充值渠道") == [entry.pk]
    services.entry_revise(
        author=ops_manager,
        entry_id=entry.pk,
        base_version=1,
        title="国际漫游开通",
        body="出国前开通漫游。",
        keywords="",
        category_id=entry.category_id,
        reason="渠道更名",
    )
    assert cached_ids("充值渠道") == []
    assert cached_ids("漫游开通") == [entry.pk]


def test_a_retired_entry_leaves_the_cached_results_at_once(ops_manager):
    entry = EntryFactory(title="话费充值渠道")
    assert cached_ids("充值") == [entry.pk]
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=1, reason="下线")
    assert cached_ids("充值") == []


def test_a_new_entry_and_a_renamed_category_show_at_once():
    first = EntryFactory(title="宽带故障报修")
    assert cached_ids("宽带") == [first.pk]
    second = EntryFactory(title="宽带资费说明")
    assert sorted(cached_ids("宽带")) == sorted([first.pk, second.pk])
    category = first.category
    category.name = "家庭宽带"
    category.save()
    hits = search.search_outcome_cached("宽带").hits
    assert {h.category for h in hits if h.entry_id == first.pk} == {"家庭宽带"}


def test_a_new_synonym_group_applies_at_the_next_search():
    entry = EntryFactory(title="彩云相册扩容")
    assert cached_ids("云图库") == []
    services.synonym_group_create(terms="云图库 彩云相册")
    outcome = search.search_outcome_cached("云图库")
    assert [h.entry_id for h in outcome.hits] == [entry.pk]
    assert outcome.also_searched == ["彩云相册"]


def test_an_entry_coming_into_force_tomorrow_is_found_tomorrow_not_from_todays_cache():
    today = timezone.localdate()
    EntryFactory(title="新资费生效规则", effective_from=today + timedelta(days=1))
    assert cached_ids("新资费") == []
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert len(cached_ids("新资费")) == 1


def test_a_cached_search_is_still_logged_on_the_page_and_in_the_api(client, csr):
    EntryFactory(title="携号转网办理条件")
    client.force_login(csr)
    client.get(API, {"q": "携号转网"})
    client.get(API, {"q": "携号转网"})
    assert SearchLog.objects.filter(user=csr, query="携号转网").count() == 1  # coalesced row
    log = SearchLog.objects.get()
    assert log.result_count == 1


def test_the_cache_can_be_turned_off(settings):
    settings.KB_SEARCH_CACHE_SECONDS = 0
    EntryFactory(title="携号转网办理条件")
    search.search_outcome_cached("携号转网")
    with CaptureQueriesContext(connection) as queries:
        assert len(cached_ids("携号转网")) == 1
    assert len(queries) > 0
