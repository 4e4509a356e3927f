"""The search log: misses, clicks and their effect on ranking, retention, the miss list."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from knowledgebase import search, services
from knowledgebase.models import Entry, SearchLog, SearchSettings, SynonymGroup
from knowledgebase.tests.factories import EntryFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("knowledgebase:search")
MISSES = reverse("knowledgebase:search_misses")


def test_a_search_is_logged_normalised_with_its_result_count(client, csr):
    # given
    EntryFactory(title="携号转网办理条件")
    client.force_login(csr)
    # when
    client.get(SEARCH, {"q": "  携号转网，  5G "})
    # then (no entry says 5G: the fallback found the one with the other words)
    log = SearchLog.objects.get()
    assert (log.user, log.query, log.result_count, log.fallback) == (csr, "携号转网 5g", 1, True)


def test_results_as_you_type_update_one_log_row_with_the_final_query(client, csr):
    EntryFactory(title="携号转网办理条件")
    client.force_login(csr)
    for typed in ["携", "携号", "携号转网"]:
        client.get(SEARCH, {"q": typed}, headers={"HX-Request": "true"})
    assert list(SearchLog.objects.values_list("query", "result_count")) == [("携号转网", 1)]


def test_a_new_query_after_the_coalescing_window_is_a_new_row(csr):
    now = timezone.now()
    services.search_log_record(user=csr, query="携号", result_count=1, fallback=False, now=now)
    services.search_log_record(
        user=csr,
        query="携号转网",
        result_count=1,
        fallback=False,
        now=now + timedelta(seconds=services.SEARCH_LOG_COALESCE_SECONDS + 1),
    )
    assert SearchLog.objects.count() == 2


def test_the_returned_log_row_is_the_stored_row(csr):
    log = services.search_log_record(user=csr, query=" 宽带 ", result_count=40000, fallback=True)
    stored = SearchLog.objects.get()
    fields = [f.attname for f in SearchLog._meta.concrete_fields]
    assert [getattr(log, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert (log.user_id, log.query, log.result_count, log.fallback) == (csr.pk, "宽带", 32767, True)


def _write_with(writer, **row):
    """Log a search through one of the two writers: the one-statement PostgreSQL path of
    search_log_record, or the ORM path it takes on SQLite."""
    row = {"result_count": 1, "fallback": False, "clicked_entry_id": None, **row}
    if writer == "sql":
        return services._search_log_write_pg(row, asynchronous_commit=False)
    return services._search_log_write(row).pk


@pytest.mark.parametrize("writer", ["sql", "orm"])
def test_both_log_writers_coalesce_alike(csr, reviewer, writer):
    now = timezone.now()
    window = timedelta(seconds=services.SEARCH_LOG_COALESCE_SECONDS)
    steps = [
        (csr, "携", now),
        (csr, "携号转网", now + timedelta(seconds=1)),  # grows: same row
        (csr, "携号", now + timedelta(seconds=2)),  # shrinks: same row
        (reviewer, "携号转", now + timedelta(seconds=3)),  # another user: own row
        (csr, "宽带", now + timedelta(seconds=4)),  # another query: new row
        (csr, "宽带故障", now + timedelta(seconds=4) + window + timedelta(seconds=1)),  # too late
    ]
    ids = [_write_with(writer, user_id=u.pk, query=q, created_at=t) for u, q, t in steps]
    assert ids[0] == ids[1] == ids[2] and len(set(ids)) == 4
    assert list(SearchLog.objects.order_by("id").values_list("user", "query", "result_count")) == [
        (csr.pk, "携号", 1),
        (reviewer.pk, "携号转", 1),
        (csr.pk, "宽带", 1),
        (csr.pk, "宽带故障", 1),
    ]
    # a clicked search is finished: the next keystroke starts a new row
    SearchLog.objects.filter(pk=ids[5]).update(clicked_entry=EntryFactory())
    later = steps[5][2] + timedelta(seconds=1)
    assert _write_with(writer, user_id=csr.pk, query="宽带故障报修", created_at=later) != ids[5]


def test_a_result_link_records_the_click_counts_it_once_and_redirects(client, csr):
    # given
    entry = EntryFactory(title="携号转网办理条件")
    client.force_login(csr)
    page = client.get(SEARCH, {"q": "携号转网"})
    log = SearchLog.objects.get()
    click_url = reverse("knowledgebase:search_click", args=[log.pk, entry.pk])
    assert click_url in page.content.decode()
    # when
    first = client.get(click_url)
    client.get(click_url)  # a reload
    # then
    assert first.status_code == 302 and first["Location"] == reverse(
        "knowledgebase:entry_detail", args=[entry.pk]
    )
    log.refresh_from_db()
    entry.refresh_from_db()
    assert log.clicked_entry == entry
    assert entry.click_count == 1


def test_a_click_on_somebody_elses_search_is_not_recorded(client, csr, reviewer):
    entry = EntryFactory(title="携号转网办理条件")
    log = services.search_log_record(
        user=reviewer, query="携号转网", result_count=1, fallback=False
    )
    client.force_login(csr)
    assert (
        client.get(reverse("knowledgebase:search_click", args=[log.pk, entry.pk])).status_code
        == 302
    )
    assert Entry.objects.get(pk=entry.pk).click_count == 0
    assert SearchLog.objects.get(pk=log.pk).clicked_entry is None


def test_click_link_404_for_an_unknown_entry_and_403_for_other_roles(client, csr, hr):
    client.force_login(csr)
    assert client.get(reverse("knowledgebase:search_click", args=[1, 999999])).status_code == 404
    client.force_login(hr)
    assert client.get(reverse("knowledgebase:search_click", args=[1, 1])).status_code == 403


def test_clicks_move_an_entry_ahead_of_equal_matches(client, csr):
    first = EntryFactory(title="流量日包办理")
    second = EntryFactory(title="流量日包办理")
    before = [h.entry_id for h in search.search("流量日包")]
    client.force_login(csr)
    client.get(SEARCH, {"q": "流量日包"})
    client.get(reverse("knowledgebase:search_click", args=[SearchLog.objects.get().pk, before[1]]))
    assert [h.entry_id for h in search.search("流量日包")] == [before[1], before[0]]
    assert {first.pk, second.pk} == set(before)


@pytest.mark.parametrize("age_days, kept", [(179, True), (181, False)])
def test_the_purge_deletes_searches_past_the_retention_setting(csr, age_days, kept):
    # given the default retention of 180 days
    assert SearchSettings.current().log_retention_days == 180
    now = timezone.now()
    services.search_log_record(
        user=csr,
        query="携号转网",
        result_count=0,
        fallback=False,
        now=now - timedelta(days=age_days),
    )
    # when
    from knowledgebase.tasks import search_log_purge_task

    result = search_log_purge_task.delay().get()
    # then
    assert SearchLog.objects.exists() is kept
    assert result == {"deleted": 0 if kept else 1}


def test_the_retention_is_the_admin_setting(csr):
    settings_row = SearchSettings.current()
    settings_row.log_retention_days = 7
    settings_row.save()
    services.search_log_record(
        user=csr,
        query="宽带",
        result_count=0,
        fallback=False,
        now=timezone.now() - timedelta(days=8),
    )
    assert services.search_log_purge() == 1


def test_the_purge_is_scheduled_nightly():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(task="knowledgebase.search_log_purge_task").enabled


def test_miss_page_groups_misses_by_query_for_operations_and_committee(
    client, csr, ops_manager, reviewer, hr
):
    # given
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        services.search_log_record(user=csr, query="靓号 回收", result_count=0, fallback=False)
    services.search_log_record(user=reviewer, query="靓号回收", result_count=0, fallback=False)
    services.search_log_record(user=ops_manager, query="靓号  回收", result_count=3, fallback=True)
    services.search_log_record(
        user=hr, query="携号转网", result_count=2, fallback=False
    )  # found: no miss
    # when / then
    for user in (ops_manager, reviewer):
        client.force_login(user)
        response = client.get(MISSES)
        assert response.status_code == 200
        rows = list(response.context["page"].object_list)
        assert [(r["query"], r["count"], r["zero_results"]) for r in rows] == [
            ("靓号 回收", 2, 1),
            ("靓号回收", 1, 1),
        ]
    client.force_login(csr)
    assert client.get(MISSES).status_code == 403
    client.force_login(hr)
    assert client.get(MISSES).status_code == 403
    assert client.post(MISSES).status_code == 405


def test_miss_page_creates_a_synonym_group_from_a_miss(client, ops_manager):
    EntryFactory(title="吉祥号回收规则")
    client.force_login(ops_manager)
    response = client.post(
        reverse("knowledgebase:synonym_from_miss"), {"query": "靓号", "synonyms": "吉祥号"}
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.filter(terms="靓号 吉祥号").exists()
    assert search.search("靓号回收")


def test_synonym_from_a_miss_is_refused_to_csrs_and_without_a_word(client, csr, ops_manager):
    client.force_login(csr)
    assert (
        client.post(
            reverse("knowledgebase:synonym_from_miss"), {"query": "靓号", "synonyms": "x"}
        ).status_code
        == 403
    )
    client.force_login(ops_manager)
    client.post(reverse("knowledgebase:synonym_from_miss"), {"query": "靓号", "synonyms": "靓号"})
    assert not SynonymGroup.objects.filter(terms__startswith="靓号").exists()


def test_a_proposal_from_a_miss_is_prefilled_with_the_query(client, reviewer):
    services.search_log_record(user=reviewer, query="靓号回收", result_count=0, fallback=False)
    client.force_login(reviewer)
    page = client.get(MISSES).content.decode()
    link = reverse("knowledgebase:propose_entry") + "?title=%E9%9D%93%E5%8F%B7%E5%9B%9E%E6%94%B6"
    assert link in page
    form = client.get(link).context["form"]
    assert form.initial["title"] == "靓号回收"


def test_miss_list_api_for_operations_and_committee_only(api, csr, ops_manager):
    services.search_log_record(user=csr, query="靓号回收", result_count=0, fallback=False)
    url = reverse("api-kb-search-misses")
    api.force_authenticate(csr)
    assert api.get(url).status_code == 403
    api.force_authenticate(ops_manager)
    response = api.get(url)
    assert response.status_code == 200
    assert [(r["query"], r["count"], r["zero_results"]) for r in response.json()["results"]] == [
        ("靓号回收", 1, 1)
    ]
    assert api.post(url).status_code == 405


def test_search_page_says_what_else_it_searched_and_when_it_fell_back(client, csr):
    EntryFactory(title="宽带包年退费规则")
    EntryFactory(title="宽带故障报修")
    client.force_login(csr)
    page = client.get(SEARCH, {"q": "退款"}).content.decode()
    assert "Also searched:" in page and "退费" in page
    response = client.get(SEARCH, {"q": "宽代故障"})
    assert response.context["fallback"] is True
    assert "closest matches" in response.content.decode()


def test_q_in_the_url_keeps_the_search_in_the_box(client, csr):
    client.force_login(csr)
    page = client.get(SEARCH + "?q=%E5%AE%BD%E5%B8%A6").content.decode()
    assert 'value="宽带"' in page


def test_api_search_reports_synonyms_and_fallback_and_logs(api, csr):
    EntryFactory(title="宽带包年退费规则")
    api.force_authenticate(csr)
    body = api.get(reverse("api-kb-search"), {"q": "退款"}).json()
    assert (
        "退费" in body["also_searched"] and body["fallback"] is False and len(body["results"]) == 1
    )
    assert SearchLog.objects.get().query == "退款"


def test_the_query_time_test_uses_the_same_search_with_synonyms(client, csr):
    from knowledgebase.tests.factories import QueryTaskFactory

    refund = EntryFactory(title="宽带包年退费规则")
    for _ in range(2 * 10):
        QueryTaskFactory()
    from knowledgebase.models import QueryTimeTest

    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    client.force_login(csr)
    client.post(reverse("knowledgebase:query_test_start"))
    from knowledgebase.models import QueryTestSession

    session = QueryTestSession.objects.get(employee=csr)
    response = client.get(
        reverse("knowledgebase:query_test_task", args=[session.pk]), {"q": "退款"}
    )
    assert [h.entry_id for h in response.context["hits"]] == [refund.pk]
    assert not SearchLog.objects.exists()  # test tasks are not real misses


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_log_alone_commits_without_waiting_for_the_disk_and_never_loosens_an_outer_transaction(
    csr,
):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    # when the log is written on its own (a search request), its transaction skips the flush
    with CaptureQueriesContext(connection) as alone:
        services.search_log_record(user=csr, query="宽带", result_count=3, fallback=False)
    assert any("'synchronous_commit', 'off'" in q["sql"] for q in alone.captured_queries)
    assert len(alone.captured_queries) == 1  # one statement, its own transaction
    # when it is written inside somebody else's transaction, that transaction keeps its setting
    with transaction.atomic(), CaptureQueriesContext(connection) as inside:
        services.search_log_record(user=csr, query="携号转网", result_count=1, fallback=False)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert not any("synchronous_commit" in q["sql"] for q in inside.captured_queries[:-1])
    assert SearchLog.objects.count() == 2
