from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledgebase import services
from knowledgebase.models import QueryTestSession, QueryTimeTest, QueryTimeThreshold
from knowledgebase.selectors import counting_query_time_result
from knowledgebase.tests.factories import EntryFactory, QueryTaskFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    "task_count, total, level",
    [
        (100, "0", 5),
        (100, "120.0", 5),
        (100, "120.1", 4),
        (100, "130.0", 4),
        (100, "130.1", 2),
        (100, "140.0", 2),
        (100, "140.1", 1),
        (100, "150.0", 1),
        (100, "150.1", 0),
        (100, "600", 0),
        (10, "12.0", 5),
        (10, "12.1", 4),
        (10, "15.0", 1),
        (10, "15.1", 0),
        (10, "34.6", 0),
    ],
)
def test_bands_allow_the_level_of_seconds_per_task_times_the_task_count(task_count, total, level):
    assert (
        QueryTimeThreshold.level_for(total_seconds=Decimal(total), task_count=task_count) == level
    )


def test_seeded_bands_are_the_domain_defaults_in_seconds_per_task():
    assert list(QueryTimeThreshold.objects.values_list("seconds_per_task", "allowed_level")) == [
        (Decimal("1.20"), 5),
        (Decimal("1.30"), 4),
        (Decimal("1.40"), 2),
        (Decimal("1.50"), 1),
    ]


@settings(max_examples=50, deadline=None)
@given(
    a=st.decimals(min_value=0, max_value=300, places=1),
    b=st.decimals(min_value=0, max_value=300, places=1),
    n=st.integers(min_value=10, max_value=500),
)
def test_a_faster_time_never_allows_a_lower_level(a, b, n):
    fast, slow = min(a, b), max(a, b)
    assert QueryTimeThreshold.level_for(
        total_seconds=fast, task_count=n
    ) >= QueryTimeThreshold.level_for(total_seconds=slow, task_count=n)


def sit_test(
    employee, *, answers_after: list[float], wrong: set[int] = frozenset(), start: datetime = START
):
    """Start at ``start`` and answer task i after answers_after[i] seconds (server clock)."""
    with time_machine.travel(start, tick=False) as clock:
        session = services.query_test_start(employee=employee)
        for i, at in enumerate(answers_after, start=1):
            clock.move_to(start + timedelta(seconds=at))
            answer = session.answers.get(position=i)
            entry_id = answer.task.answer_id if i not in wrong else EntryFactory().pk
            session = services.query_test_answer(
                session_id=session.pk, employee=employee, position=i, entry_id=entry_id
            )
    session.refresh_from_db()
    return session


def finish_after(seconds: float, n: int = 10) -> list[float]:
    """Answer times of an n-task test finishing after ``seconds``."""
    return [seconds * i / n for i in range(1, n + 1)]


@pytest.fixture
def ten_task_test():
    QueryTimeTest.objects.filter(pk=1).update(
        task_count=10, wrong_answer_penalty_seconds=Decimal("10")
    )
    QueryTaskFactory.create_batch(22)  # the pool: 2 × N by default


def test_a_10_task_test_finished_in_34_6_s_no_longer_allows_level_5(csr, ten_task_test):
    # when: the time that allowed level 5 against the 100-task totals (34.6 s < 120 s)
    session = sit_test(csr, answers_after=finish_after(34.6))
    # then: 3.46 s per task is slower than every band
    assert (session.task_count, session.total_seconds, session.allowed_level) == (
        10,
        Decimal("34.6"),
        0,
    )


def test_a_10_task_test_at_the_per_task_pace_of_level_5_allows_level_5(csr, ten_task_test):
    session = sit_test(csr, answers_after=finish_after(12.0))
    assert (session.total_seconds, session.seconds_per_task, session.allowed_level) == (
        Decimal("12.0"),
        Decimal("1.200"),
        5,
    )


@pytest.mark.parametrize(
    "finish_at, level",
    [(11.0, 5), (12.0, 5), (12.01, 4), (13.0, 4), (14.0, 2), (15.0, 1), (15.01, 0)],
)
def test_server_measured_time_is_rounded_up_and_decides_the_allowed_level(
    csr, ten_task_test, finish_at, level
):
    session = sit_test(csr, answers_after=finish_after(finish_at))
    assert session.elapsed_seconds == Decimal(str(finish_at)).quantize(
        Decimal("0.1"), rounding="ROUND_CEILING"
    )
    assert session.allowed_level == level
    assert session.wrong_count == 0


@pytest.mark.parametrize("wrong, level", [(set(), 5), ({3}, 4), ({1, 3}, 2)])
def test_each_wrong_answer_adds_the_configured_penalty_before_the_bands_apply(
    csr, ten_task_test, wrong, level
):
    # given: 0.8 s per wrong answer; 11.5 s measured = 1.15 s per task
    QueryTimeTest.objects.filter(pk=1).update(wrong_answer_penalty_seconds=Decimal("0.8"))
    # when
    session = sit_test(csr, answers_after=finish_after(11.5), wrong=wrong)
    # then: 11.5 / 12.3 / 13.1 s over 10 tasks
    assert session.wrong_count == len(wrong)
    assert session.elapsed_seconds == Decimal("11.5")
    assert session.total_seconds == Decimal("11.5") + Decimal("0.8") * len(wrong)
    assert session.allowed_level == level


def test_a_finished_test_keeps_the_task_count_it_was_taken_with(csr, ten_task_test):
    # given: a 20-task test running when the admin lowers the task count to 10
    QueryTaskFactory.create_batch(20)
    QueryTimeTest.objects.filter(pk=1).update(task_count=20)
    with time_machine.travel(START, tick=False):
        session = services.query_test_start(employee=csr)
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    # when: it is finished at 24.0 s
    with time_machine.travel(START + timedelta(seconds=24), tick=False):
        for answer in session.answers.order_by("position"):
            services.query_test_answer(
                session_id=session.pk,
                employee=csr,
                position=answer.position,
                entry_id=answer.task.answer_id,
            )
    # then: judged over its own 20 tasks (1.2 s per task), not 10 (2.4 s per task)
    session.refresh_from_db()
    assert (session.task_count, session.seconds_per_task, session.allowed_level) == (
        20,
        Decimal("1.200"),
        5,
    )


def test_a_task_cannot_be_answered_twice_or_out_of_order(csr, ten_task_test):
    session = services.query_test_start(employee=csr)
    first = session.answers.get(position=1)
    services.query_test_answer(
        session_id=session.pk, employee=csr, position=1, entry_id=first.task.answer_id
    )
    with pytest.raises(services.QueryTestConflict, match="already answered"):
        services.query_test_answer(
            session_id=session.pk, employee=csr, position=1, entry_id=first.task.answer_id
        )
    with pytest.raises(services.QueryTestConflict, match="already answered"):
        services.query_test_answer(
            session_id=session.pk, employee=csr, position=3, entry_id=first.task.answer_id
        )


def test_somebody_elses_session_cannot_be_answered(csr, reviewer, ten_task_test):
    session = services.query_test_start(employee=csr)
    with pytest.raises(QueryTestSession.DoesNotExist):
        services.query_test_answer(session_id=session.pk, employee=reviewer, position=1, entry_id=1)


def test_starting_again_resumes_the_running_test_with_the_same_tasks_and_clock(csr, ten_task_test):
    # given: a started test whose first task was looked at
    with time_machine.travel(START, tick=False):
        first = services.query_test_start(employee=csr)
    drawn = list(first.answers.order_by("position").values_list("task_id", flat=True))
    # when: "start" is pressed again a minute later, hoping for other tasks
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        again = services.query_test_start(employee=csr)
    # then: the same test, same tasks, same start time
    assert again.pk == first.pk and again.started_at == START
    assert list(again.answers.order_by("position").values_list("task_id", flat=True)) == drawn
    assert len(set(drawn)) == 10


def test_not_enough_tasks_is_a_clear_error(csr):
    QueryTimeTest.objects.filter(pk=1).update(task_count=100)
    QueryTaskFactory.create_batch(2)
    with pytest.raises(services.QueryTestError, match="200 needed, 2 available"):
        services.query_test_start(employee=csr)


@pytest.mark.parametrize("pool, starts", [(19, False), (20, True)])
def test_a_test_needs_a_pool_of_twice_its_tasks_so_a_retake_is_no_memory_test(csr, pool, starts):
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    QueryTaskFactory.create_batch(pool)
    if starts:
        assert services.query_test_start(employee=csr).task_count == 10
    else:
        with pytest.raises(services.QueryTestError, match="20 needed, 19 available"):
            services.query_test_start(employee=csr)
        assert not QueryTestSession.objects.filter(employee=csr).exists()


def test_the_result_page_does_not_show_the_right_entries(client, csr, ten_task_test):
    with time_machine.travel(START, tick=False) as clock:
        session = services.query_test_start(employee=csr)
        wrong_entry = EntryFactory(title="一个错误的口径")
        for answer in session.answers.order_by("position"):
            clock.shift(1)
            services.query_test_answer(
                session_id=session.pk,
                employee=csr,
                position=answer.position,
                entry_id=wrong_entry.pk,
            )
        client.force_login(csr)
        html = client.get(
            reverse("knowledgebase:query_test_result", args=[session.pk])
        ).content.decode()
    assert "一个错误的口径" in html and "✘" in html
    for answer in session.answers.select_related("task__answer"):
        assert answer.task.answer.title not in html


def test_default_test_has_100_tasks_a_24_hour_wait_and_the_latest_result_counts():
    config = QueryTimeTest.current()
    assert (
        config.task_count,
        config.retake_wait_hours,
        config.counting_rule,
        config.best_window_days,
    ) == (100, 24, "latest", 30)
    assert config.time_limit_seconds_per_task == Decimal("6.00")


# --- waiting period ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after, allowed",
    [(timedelta(hours=24) - timedelta(seconds=1), False), (timedelta(hours=24), True)],
)
def test_a_new_start_waits_24_hours_after_the_previous_start(csr, ten_task_test, after, allowed):
    # given: a test started (and finished) at 09:00 Shanghai time
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    sit_test(csr, answers_after=finish_after(14.0), start=start)
    # when
    with time_machine.travel(start + after, tick=False):
        if allowed:
            assert services.query_test_start(employee=csr).started_at == start + after
            return
        with pytest.raises(services.RetakeTooSoon) as refused:
            services.query_test_start(employee=csr)
    # then: the message gives the local date and time of the next allowed start
    assert str(refused.value) == (
        "You can start the next query-time test from 2026-03-03 09:00 (one start every "
        "24 hours; an abandoned test counts as a start)."
    )
    assert refused.value.next_allowed_at == start + timedelta(hours=24)
    assert QueryTestSession.objects.filter(employee=csr).count() == 1


def test_the_start_page_refuses_a_quick_retake_with_the_date_and_shows_it(
    client, csr, ten_task_test
):
    # given
    sit_test(csr, answers_after=finish_after(14.0))
    client.force_login(csr)
    # when: a retake an hour later, hoping for a luckier run
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        response = client.post(reverse("knowledgebase:query_test_start"), follow=True)
    # then
    assert response.redirect_chain[-1][0] == reverse("knowledgebase:query_test")
    assert [str(m) for m in response.context["messages"]] == [
        "You can start the next query-time test from 2026-03-03 09:00 (one start every 24 hours; "
        "an abandoned test counts as a start)."
    ]
    assert "Next test from 2026-03-03 09:00." in response.content.decode()
    assert QueryTestSession.objects.filter(employee=csr).count() == 1


def test_many_quick_retakes_leave_one_result(csr, ten_task_test):
    sit_test(csr, answers_after=finish_after(14.0))
    for minutes in (5, 30, 120, 600):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            with pytest.raises(services.RetakeTooSoon):
                services.query_test_start(employee=csr)
    assert QueryTestSession.objects.filter(employee=csr).count() == 1


# --- abandoned tests -------------------------------------------------------------------------


def test_an_abandoned_test_is_closed_at_its_deadline_as_a_level_0_result(csr, ten_task_test):
    # given: a good result, then a new test where one task is answered and the rest left
    sit_test(csr, answers_after=finish_after(11.0))
    later = START + timedelta(days=2)
    session = sit_test(csr, answers_after=[1.0], start=later)
    assert session.deadline_at == later + timedelta(seconds=60)  # 10 tasks × 6 s
    # when: the scheduled job runs after the deadline, twice
    assert services.query_test_expire_overdue(now=later + timedelta(seconds=59)) == 0
    assert services.query_test_expire_overdue(now=later + timedelta(seconds=61)) == 1
    assert services.query_test_expire_overdue(now=later + timedelta(seconds=62)) == 0
    # then: closed at the deadline, 9 unanswered tasks wrong, level 0, and it is the result that
    # counts
    session.refresh_from_db()
    assert session.expired and session.finished_at == session.deadline_at
    assert (
        session.wrong_count,
        session.elapsed_seconds,
        session.total_seconds,
        session.allowed_level,
    ) == (9, Decimal("60.0"), Decimal("150.0"), 0)
    assert counting_query_time_result(csr) == session


def test_abandoning_and_restarting_gives_no_new_tasks_and_no_free_retake(csr, ten_task_test):
    # given: a test started, its first task seen, then left
    with time_machine.travel(START, tick=False):
        session = services.query_test_start(employee=csr)
    # when: the employee comes back after the time limit and presses start
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        with pytest.raises(services.RetakeTooSoon, match="from 2026-03-03 09:00"):
            services.query_test_start(employee=csr)
    # then: the abandoned test was closed as a level-0 result and no new test was drawn
    session.refresh_from_db()
    assert session.expired and session.allowed_level == 0
    assert QueryTestSession.objects.filter(employee=csr).count() == 1


def test_answering_after_the_deadline_closes_the_test_instead(client, csr, ten_task_test):
    with time_machine.travel(START, tick=False):
        session = services.query_test_start(employee=csr)
    answer = session.answers.get(position=1)
    client.force_login(csr)
    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        response = client.post(
            reverse("knowledgebase:query_test_answer", args=[session.pk]),
            {"position": 1, "entry": answer.task.answer_id},
            follow=True,
        )
    answer.refresh_from_db()
    assert answer.answered_at is None
    assert response.redirect_chain[-1][0] == reverse(
        "knowledgebase:query_test_result", args=[session.pk]
    )
    assert [str(m) for m in response.context["messages"]] == [services.MSG_TIME_UP]
    assert response.context["session"].expired and response.context["session"].allowed_level == 0
    assert 'id="abandoned"' in response.content.decode()


def test_the_expiry_job_is_scheduled_with_beat_and_calls_the_service(csr, ten_task_test):
    from django_celery_beat.models import PeriodicTask

    from knowledgebase.tasks import query_test_expire_overdue_task

    task = PeriodicTask.objects.get(task="knowledgebase.query_test_expire_overdue_task")
    assert task.enabled and task.crontab.minute == "*/5"
    with time_machine.travel(START, tick=False):
        services.query_test_start(employee=csr)
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        assert query_test_expire_overdue_task.delay().get() == {"closed": 1}


# --- which result counts --------------------------------------------------------------------


def result_at(employee, days: int, seconds: float):
    """A 10-task result finished ``days`` after START (through the real services)."""
    return sit_test(
        employee, answers_after=finish_after(seconds), start=START + timedelta(days=days)
    )


def test_latest_finished_result_counts_by_default_even_when_worse(csr, ten_task_test):
    assert counting_query_time_result(csr) is None
    good = result_at(csr, 0, 11.0)
    worse = result_at(csr, 3, 14.5)
    with time_machine.travel(START + timedelta(days=5), tick=False):
        services.query_test_start(employee=csr)  # running, unfinished: not a result
    assert (good.allowed_level, worse.allowed_level) == (5, 1)
    assert counting_query_time_result(csr) == worse


@pytest.mark.parametrize("gap_days, counts", [(10, "good"), (30, "good"), (31, "worse")])
def test_best_within_n_days_before_the_latest_result_counts(csr, ten_task_test, gap_days, counts):
    # given
    QueryTimeTest.objects.filter(pk=1).update(counting_rule="best_recent", best_window_days=30)
    results = {"good": result_at(csr, 0, 11.0), "worse": result_at(csr, gap_days, 14.5)}
    # then
    assert counting_query_time_result(csr) == results[counts]


def test_best_rule_prefers_the_higher_level_then_the_faster_time(csr, ten_task_test):
    QueryTimeTest.objects.filter(pk=1).update(counting_rule="best_recent", best_window_days=30)
    result_at(csr, 0, 14.5)
    fastest = result_at(csr, 2, 11.0)
    result_at(csr, 4, 11.5)
    assert counting_query_time_result(csr) == fastest


def test_counting_result_only_considers_results_finished_within_since_and_until(csr, ten_task_test):
    first, second = result_at(csr, 0, 11.0), result_at(csr, 10, 14.5)
    assert counting_query_time_result(csr, since=START + timedelta(days=1)) == second
    assert counting_query_time_result(csr, until=START + timedelta(days=9)) == first
    assert counting_query_time_result(csr, since=START + timedelta(days=11)) is None


@pytest.mark.parametrize("rule", ["latest", "best_recent"])
def test_counting_result_needs_at_most_three_queries(
    csr, ten_task_test, rule, django_assert_max_num_queries
):
    QueryTimeTest.objects.filter(pk=1).update(counting_rule=rule)
    for day in range(0, 12, 2):
        result_at(csr, day, 12.0 + day / 10)
    with django_assert_max_num_queries(3):
        assert counting_query_time_result(csr).finished_at is not None


def test_the_promotion_checklist_follows_the_counting_rule(csr, ten_task_test):
    from promotion.selectors import promotion_checklist

    def query_item():
        return next(i for i in promotion_checklist(csr, level=5) if i.code == "query_time")

    # given: a level-5 result, then a worse one
    good = result_at(csr, 0, 11.0)
    result_at(csr, 3, 14.5)
    # then: latest counts by default; best within 30 days counts when configured
    assert not query_item().met
    QueryTimeTest.objects.filter(pk=1).update(counting_rule="best_recent")
    assert query_item().met and query_item().evidence["query_result"] == good.pk


def test_an_abandoned_test_allows_level_0_even_if_the_bands_were_loosened_meanwhile(
    csr, ten_task_test
):
    # given: no penalty; a test started, then the level-1 band loosened past the time limit
    # (bypassing admin)
    QueryTimeTest.objects.filter(pk=1).update(wrong_answer_penalty_seconds=0)
    with time_machine.travel(START, tick=False):
        session = services.query_test_start(employee=csr)
    QueryTimeThreshold.objects.filter(allowed_level=1).update(seconds_per_task=Decimal("10.00"))
    # when: it is abandoned
    services.query_test_expire_overdue(now=START + timedelta(minutes=2))
    # then
    session.refresh_from_db()
    assert session.expired and session.allowed_level == 0
    assert QueryTimeThreshold.level_for(total_seconds=session.total_seconds, task_count=10) == 1
