from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledgebase import services
from knowledgebase.models import QueryTestSession, QueryTimeTest, QueryTimeThreshold
from knowledgebase.selectors import latest_query_time_result
from knowledgebase.tests.factories import EntryFactory, QueryTaskFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    "seconds, level",
    [("0", 5), ("119.9", 5), ("120", 4), ("129.9", 4), ("130", 2), ("139.9", 2), ("140", 1), ("149.9", 1),
     ("150", 0), ("600", 0)],
)
def test_thresholds_map_total_time_to_the_highest_level(seconds, level):
    assert QueryTimeThreshold.level_for(Decimal(seconds)) == level


@settings(max_examples=50, deadline=None)
@given(a=st.decimals(min_value=0, max_value=300, places=1), b=st.decimals(min_value=0, max_value=300, places=1))
def test_a_faster_time_never_allows_a_lower_level(a, b):
    fast, slow = min(a, b), max(a, b)
    assert QueryTimeThreshold.level_for(fast) >= QueryTimeThreshold.level_for(slow)


def sit_test(employee, *, answers_after: list[float], wrong: set[int] = frozenset()):
    """Start at START and answer task i after answers_after[i] seconds (server clock)."""
    with time_machine.travel(START, tick=False) as clock:
        session = services.query_test_start(employee=employee)
        for i, at in enumerate(answers_after, start=1):
            clock.move_to(START + timedelta(seconds=at))
            answer = session.answers.get(position=i)
            entry_id = answer.task.answer_id if i not in wrong else EntryFactory().pk
            session = services.query_test_answer(session_id=session.pk, employee=employee, position=i,
                                                 entry_id=entry_id)
    session.refresh_from_db()
    return session


@pytest.fixture
def three_task_test():
    QueryTimeTest.objects.filter(pk=1).update(task_count=3, wrong_answer_penalty_seconds=Decimal("10"))
    QueryTaskFactory.create_batch(5)


@pytest.mark.parametrize("finish_at, level", [(119.9, 5), (120, 4), (130, 2), (140, 1), (150, 0)])
def test_server_measured_total_time_decides_the_allowed_level(csr, three_task_test, finish_at, level):
    session = sit_test(csr, answers_after=[10, 20, finish_at])
    assert session.total_seconds == Decimal(str(finish_at))
    assert session.allowed_level == level
    assert session.wrong_count == 0


def test_each_wrong_answer_adds_the_configured_penalty(csr, three_task_test):
    session = sit_test(csr, answers_after=[10, 20, 100], wrong={1, 3})
    assert session.wrong_count == 2
    assert session.elapsed_seconds == Decimal("100")
    assert session.total_seconds == Decimal("120")
    assert session.allowed_level == 4


def test_a_task_cannot_be_answered_twice_or_out_of_order(csr, three_task_test):
    session = services.query_test_start(employee=csr)
    first = session.answers.get(position=1)
    services.query_test_answer(session_id=session.pk, employee=csr, position=1, entry_id=first.task.answer_id)
    with pytest.raises(services.QueryTestError, match="already answered"):
        services.query_test_answer(session_id=session.pk, employee=csr, position=1, entry_id=first.task.answer_id)
    with pytest.raises(services.QueryTestError):
        services.query_test_answer(session_id=session.pk, employee=csr, position=3, entry_id=first.task.answer_id)


def test_somebody_elses_session_cannot_be_answered(csr, reviewer, three_task_test):
    session = services.query_test_start(employee=csr)
    with pytest.raises(QueryTestSession.DoesNotExist):
        services.query_test_answer(session_id=session.pk, employee=reviewer, position=1, entry_id=1)


def test_starting_again_resumes_the_running_test(csr, three_task_test):
    first = services.query_test_start(employee=csr)
    assert services.query_test_start(employee=csr).pk == first.pk
    assert first.answers.count() == 3 and len({a.task_id for a in first.answers.all()}) == 3


def test_not_enough_tasks_is_a_clear_error(csr):
    QueryTimeTest.objects.filter(pk=1).update(task_count=100)
    QueryTaskFactory.create_batch(2)
    with pytest.raises(services.QueryTestError, match="100 needed, 2 available"):
        services.query_test_start(employee=csr)


def test_default_test_has_100_tasks():
    assert QueryTimeTest.current().task_count == 100


def test_latest_result_is_the_most_recent_finished_test(csr, three_task_test):
    assert latest_query_time_result(csr) is None
    sit_test(csr, answers_after=[10, 20, 160])
    later = START + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        session = services.query_test_start(employee=csr)  # running, unfinished
    result = latest_query_time_result(csr)
    assert result.allowed_level == 0 and result.pk != session.pk
