import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from knowledgebase.models import QueryTimeTest
from knowledgebase.tests.factories import CategoryFactory, EntryFactory, QueryTaskFactory
from review.models import Proposal
from review.tests.factories import RevisionProposalFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def entry():
    return EntryFactory(title="携号转网办理条件", body="入网满120天。")


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("knowledgebase:search", []),
        ("knowledgebase:entry_detail", ["entry"]),
        ("knowledgebase:propose_revision", ["entry"]),
        ("knowledgebase:propose_entry", []),
        ("knowledgebase:my_proposals", []),
        ("knowledgebase:query_test", []),
    ],
)
def test_pages_are_open_to_csrs_and_closed_to_other_roles(client, csr, hr, entry, url_name, args):
    url = reverse(url_name, args=[entry.pk if a == "entry" else a for a in args])
    client.force_login(csr)
    assert client.get(url).status_code == 200
    client.force_login(hr)
    assert client.get(url).status_code == 403


def test_entry_pages_404_for_unknown_entries(client, csr):
    client.force_login(csr)
    assert client.get(reverse("knowledgebase:entry_detail", args=[999999])).status_code == 404
    assert client.get(reverse("knowledgebase:propose_revision", args=[999999])).status_code == 404
    assert client.get(reverse("knowledgebase:entry_diff", args=[999999])).status_code == 404


def test_search_page_rejects_post_with_405(client, csr):
    client.force_login(csr)
    assert client.post(reverse("knowledgebase:search")).status_code == 405


def test_search_page_shows_highlighted_results_and_a_partial_for_live_search(client, csr, entry):
    client.force_login(csr)
    # a plain GET (no JavaScript, a reload, a shared link): the whole page, results included
    response = client.get(reverse("knowledgebase:search"), {"q": "携号转网"})
    page = response.content.decode()
    assert "<mark>携号转网</mark>" in page and "<html" in page
    assert (
        'hx-get="/kb/"' in page and 'hx-replace-url="true"' in page and 'aria-live="polite"' in page
    )
    assert 'value="携号转网"' in page  # the query stays in the box
    assert "HX-Request" in response["Vary"]
    # the same URL asked by htmx (results as you type): only the result list
    partial = client.get(
        reverse("knowledgebase:search"), {"q": "携号转网"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert (
        "<mark>携号转网</mark>" in partial.content.decode()
        and "<html" not in partial.content.decode()
    )
    assert "HX-Request" in partial["Vary"]


def test_htmx_history_restore_of_a_search_gets_the_whole_page(client, csr, entry):
    client.force_login(csr)
    response = client.get(
        reverse("knowledgebase:search"),
        {"q": "携号转网"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert (
        "<html" in response.content.decode()
        and "<mark>携号转网</mark>" in response.content.decode()
    )


def test_live_search_partial_honours_the_category_in_the_url(client, csr):
    # given: two entries with the same word in different categories
    inside, outside = CategoryFactory(name="国际业务"), CategoryFactory(name="宽带")
    EntryFactory(title="漫游流量包", category=inside)
    EntryFactory(title="漫游说明宽带版", category=outside)
    client.force_login(csr)
    # when
    partial = client.get(
        reverse("knowledgebase:search"),
        {"q": "漫游", "category": inside.pk},
        headers={"HX-Request": "true"},
    ).content.decode()
    # then
    assert "漫游流量包" in partial.replace("<mark>", "").replace("</mark>", "")
    assert "宽带版" not in partial


def test_search_page_query_count_is_bounded(client, csr, django_assert_max_num_queries):
    for i in range(30):
        EntryFactory(title=f"流量套餐说明{i}")
    client.force_login(csr)
    # incl. the candidates whose title opens with the query, and the search log's look-up and
    # write in a transaction of its own (a savepoint pair here, inside the test's transaction)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("knowledgebase:search"), {"q": "流量套餐"})
    assert len(response.context["hits"]) == 20


def test_propose_preview_shows_the_diff_without_saving(client, csr, entry):
    client.force_login(csr)
    data = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": "",
        "body": "入网满120天且无欠费。",
        "reason": "更完整",
        "base_version": 1,
        "preview": "1",
    }
    response = client.post(reverse("knowledgebase:propose_revision", args=[entry.pk]), data)
    assert response.status_code == 200
    assert "<ins>且无欠费</ins>" in response.content.decode()
    assert not Proposal.objects.exists()
    data.pop("preview")
    response = client.post(reverse("knowledgebase:propose_revision", args=[entry.pk]), data)
    assert response.status_code == 302
    assert Proposal.objects.get().payload["body"] == "入网满120天且无欠费。"


def test_propose_on_an_outdated_version_shows_the_rebase_message(client, csr, entry):
    client.force_login(csr)
    data = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": "",
        "body": "改",
        "reason": "r",
        "base_version": 1,
    }
    entry.version = 2
    entry.save()
    response = client.post(reverse("knowledgebase:propose_revision", args=[entry.pk]), data, **EN)
    assert response.status_code == 200
    assert "Rebase your proposal on the current version." in response.content.decode()


def test_my_proposals_lists_only_mine_with_a_rebase_link_for_stale_ones(
    client, csr, django_assert_max_num_queries
):
    stale = RevisionProposalFactory(proposer=csr, status=Proposal.Status.STALE)
    for _ in range(5):
        RevisionProposalFactory(proposer=csr)
    RevisionProposalFactory()  # somebody else's
    client.force_login(csr)
    # incl. the candidates whose title opens with the query, and the search log's look-up and
    # write in a transaction of its own (a savepoint pair here, inside the test's transaction)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("knowledgebase:my_proposals"))
    assert response.context["page"].paginator.count == 6
    assert reverse("knowledgebase:proposal_rebase", args=[stale.pk]) in response.content.decode()


def test_rebase_page_is_only_for_ones_own_stale_proposal(client, csr):
    stale = RevisionProposalFactory(proposer=csr, status=Proposal.Status.STALE)
    client.force_login(csr)
    assert client.get(reverse("knowledgebase:proposal_rebase", args=[stale.pk])).status_code == 200
    client.force_login(UserFactory(roles=["CSR"]))
    assert client.get(reverse("knowledgebase:proposal_rebase", args=[stale.pk])).status_code == 404


def test_entry_diff_between_two_versions(client, csr, entry):
    entry.body = "入网满120天，无欠费。"
    entry.version = 2
    entry.save()
    client.force_login(csr)
    response = client.get(
        reverse("knowledgebase:entry_diff", args=[entry.pk]), {"from": 1, "to": 2}
    )
    assert response.status_code == 200
    assert "<ins>，无欠费</ins>" in response.content.decode()


def test_query_test_flow_through_the_pages(client, csr):
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    tasks = QueryTaskFactory.create_batch(20)  # the pool: 2 × N
    client.force_login(csr)
    response = client.post(reverse("knowledgebase:query_test_start"))
    session_url = response.url
    for _ in range(10):
        page = client.get(session_url)
        answer = page.context["answer"]
        response = client.post(
            session_url + "answer/", {"position": answer.position, "entry": answer.task.answer_id}
        )
    assert response.status_code == 302 and response.url.endswith("/result/")
    result = client.get(response.url)
    assert result.context["session"].wrong_count == 0
    assert result.context["session"].allowed_level == 5
    drawn = {a.task_id for a in result.context["answers"]}
    assert len(drawn) == 10 and drawn <= {t.pk for t in tasks}


def test_query_test_pages_of_somebody_else_are_404(client, csr):
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    QueryTaskFactory.create_batch(20)
    client.force_login(csr)
    url = client.post(reverse("knowledgebase:query_test_start")).url
    client.force_login(UserFactory(roles=["CSR"]))
    assert client.get(url).status_code == 404
    assert client.get(reverse("knowledgebase:query_test_start")).status_code == 405


@pytest.mark.parametrize("log_pk", [None, 1, 987654321, 19876543210])
def test_result_links_are_what_reverse_gives_for_each_hit(log_pk):
    from django.urls import reverse

    from knowledgebase.models import SearchLog
    from knowledgebase.search import SearchHit
    from knowledgebase.views import hit_rows

    hits = [
        SearchHit(entry_id=pk, title="t", category="c", version=1, title_html="", snippet_html="")
        for pk in (1, 42, 987654321, 9876543210)
    ]
    log = None if log_pk is None else SearchLog(pk=log_pk)
    expected = [
        reverse("knowledgebase:entry_detail", args=[hit.entry_id])
        if log is None
        else reverse("knowledgebase:search_click", args=[log.pk, hit.entry_id])
        for hit in hits
    ]
    assert [link for _hit, link in hit_rows(hits, log)] == expected
