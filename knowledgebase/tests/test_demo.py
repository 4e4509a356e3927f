import io

import pytest

import review.demo
from knowledgebase.models import Entry, QueryTask, QueryTimeTest
from knowledgebase.search import search
from review.models import CommitteeMembership, Proposal

pytestmark = pytest.mark.django_db


def load_demo():
    import accounts.demo
    import knowledgebase.demo
    import review.demo

    for module in (accounts.demo, knowledgebase.demo, review.demo):
        module.load(stdout=io.StringIO())


def test_demo_loads_twice_with_a_searchable_kb_an_applied_revision_and_open_proposals():
    load_demo()
    load_demo()
    assert Entry.objects.count() == 61  # 60 loaded + one an operations manager added
    assert QueryTask.objects.count() >= QueryTimeTest.current().task_count == 10
    assert search("携号转网")[0].title == "携号转网办理条件"
    applied = Proposal.objects.get(status="applied", reason=review.demo.APPLIED[3])
    assert Entry.objects.get(pk=applied.target_id).history.count() == 2
    # each approving member chose the proposer's points: 4, 5, 3 → the lower median 4
    assert sorted(applied.votes.values_list("extra__points", flat=True)) == [3, 4, 5]
    assert applied.proposer.points_entries.get(source=f"proposal:{applied.pk}:proposer").amount == 4
    # three KB proposals and the senior CSR's committee application are open
    assert Proposal.objects.open().filter(kind__startswith="kb_").count() == 3
    assert Proposal.objects.open().filter(kind="committee_application").count() == 1
    assert set(
        CommitteeMembership.objects.filter(active=True).values_list("member__staff_id", flat=True)
    ) == {"HB9201", "HB9202", "HB9203", "HB0005", "HB0006"}


def test_demo_query_time_results_give_the_calibration_page_numbers():
    from accounts.models import User
    from knowledgebase.models import QueryTestSession
    from knowledgebase.selectors import query_time_calibration

    load_demo()
    load_demo()
    # then: every demo CSR has results (loaded once), all 10-task tests like the demo settings
    assert set(QueryTestSession.objects.values_list("task_count", flat=True)) == {10}
    calibration = query_time_calibration()
    csrs = User.objects.filter(groups__name="CSR").distinct().count()
    assert calibration.employee_count == csrs and calibration.result_count > csrs
    assert calibration.reference_count > 20
    assert all(c.observed_percent is not None for c in calibration.reference)
    assert all(s.suggested is not None for s in calibration.suggestions)
    assert sum(1 for b in calibration.bands if b.employees) >= 4  # results spread over the bands


def test_demo_operations_managers_maintain_the_kb_directly():
    from knowledgebase.demo import MAINTAINED, OUTDATED_PROPOSAL
    from knowledgebase.models import EntryChange

    load_demo()
    load_demo()
    # then: each direct change was made once, by its operations manager, with its reason
    direct = EntryChange.objects.filter(via=EntryChange.Via.WEB)
    assert direct.count() == len(MAINTAINED) + 1
    assert set(direct.values_list("author__staff_id", flat=True)) == {"HB9201", "HB9202", "HB9203"}
    retired = Entry.objects.get(title="4G老套餐停售说明")
    assert retired.is_retired and retired.pk not in [hit.entry_id for hit in search("4G老套餐停售")]
    # the CSR's open proposal on the entry HB9202 revised went stale
    assert Proposal.objects.get(reason=OUTDATED_PROPOSAL[2]).status == Proposal.Status.STALE
    assert search("eSIM一号双终端")[0].title == "eSIM一号双终端办理"


def test_demo_csrs_searches_the_kb_could_not_answer_fill_the_misses_list():
    from knowledgebase.models import SearchLog
    from knowledgebase.selectors import search_misses

    load_demo()
    load_demo()
    # then: twelve searches logged once each (the second load searches nothing again), by the
    # real writer; the misses list (90 days, as the pages and the API show it) has bars of
    # different heights, the most asked first
    assert SearchLog.objects.count() == 12
    misses = {row["query"]: row["count"] for row in search_misses(days=90)}
    assert {"卫星电话": 4, "数字人民币": 3, "靓号回收": 1}.items() <= misses.items()
    assert next(iter(search_misses(days=90)))["query"] == "卫星电话"
    assert len(misses) >= 4
