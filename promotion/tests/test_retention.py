import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import UserFactory
from casebase.models import Case
from promotion import selectors
from promotion.models import Notification, PromotionEvent, RetentionPeriod
from promotion.services.common import ExamError
from promotion.services.exams import exam_start
from promotion.services.levels import employee_promote, promotion_history_backfill
from promotion.services.retention import retention_run_daily
from promotion.tasks import retention_daily_task
from promotion.tests.factories import (
    earn_points,
    fail_exam,
    make_test_cases,
    pair,
    pass_exam,
    ready_for,
    sit_query_test,
)

pytestmark = pytest.mark.django_db
PROMOTED_AT = datetime(2026, 1, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def promoted(csr):
    """csr promoted 0→1 at PROMOTED_AT through the real services."""
    with time_machine.travel(PROMOTED_AT - timedelta(days=1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        employee_promote(employee=csr, to_level=1)
    csr.refresh_from_db()
    return csr


def run(at: datetime) -> dict:
    with time_machine.travel(at, tick=False):
        return retention_run_daily()


@pytest.mark.parametrize("n, opened", [(334, False), (335, True)])
def test_the_retest_window_opens_335_days_after_promotion(promoted, n, opened):
    # when: the daily job runs n days after the promotion
    done = run(PROMOTED_AT + timedelta(days=n))
    # then
    period = RetentionPeriod.objects.get(employee=promoted)
    assert (period.status == "retest_open") is opened and done["opened"] == int(opened)
    assert Notification.objects.filter(recipient=promoted, kind="retest_open").exists() is opened


def test_running_the_job_twice_changes_nothing(promoted):
    first = run(PROMOTED_AT + timedelta(days=366))
    second = run(PROMOTED_AT + timedelta(days=366))
    assert first == {"opened": 1, "kept": 0, "demoted": 1, "reminded": 0}
    assert second == {"opened": 0, "kept": 0, "demoted": 0, "reminded": 0}
    assert PromotionEvent.objects.filter(employee=promoted, kind="demoted").count() == 1
    assert Notification.objects.filter(recipient=promoted, kind="demoted").count() == 1


@pytest.mark.parametrize("n, demoted", [(365, False), (366, True)])
def test_unmet_retention_demotes_after_the_due_date(promoted, n, demoted):
    # given: the window opened, nothing done
    run(PROMOTED_AT + timedelta(days=335))
    # when
    run(PROMOTED_AT + timedelta(days=n))  # day 365 is the due moment itself: still in time
    # then
    promoted.refresh_from_db()
    assert promoted.level == (0 if demoted else 1)
    if demoted:
        event = selectors.last_demotion(promoted)
        assert event.reason_display() == (
            "Points task not met: 0 of 200 points earned within the retention period. "
            "Re-test not passed: no passed level-1 re-test exam by the due date. "
            "Re-test not passed: no query-time result allowing level 1 in the re-test window."
        )
        assert RetentionPeriod.objects.get(employee=promoted).status == "failed"


def test_points_task_alone_missing_demotes_with_that_reason(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=336), tick=False):
        earn_points(promoted, 150, "ret")
        assert pass_exam(promoted, 1).passed
        sit_query_test(promoted, total_seconds=140)
    run(PROMOTED_AT + timedelta(days=366))
    promoted.refresh_from_db()
    assert promoted.level == 0
    assert selectors.last_demotion(promoted).reason_display() == (
        "Points task not met: 150 of 200 points earned within the retention period."
    )


def test_meeting_points_and_retest_keeps_the_level(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=340), tick=False):
        earn_points(promoted, 200, "ret")
        assert pass_exam(promoted, 1).passed
        sit_query_test(promoted, total_seconds=145)
    assert run(PROMOTED_AT + timedelta(days=341))["kept"] == 1
    run(PROMOTED_AT + timedelta(days=400))
    promoted.refresh_from_db()
    assert promoted.level == 1
    assert RetentionPeriod.objects.get(employee=promoted).status == "kept"


def test_a_query_time_result_from_before_the_window_does_not_count(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=340), tick=False):
        earn_points(promoted, 200, "ret")
        assert pass_exam(promoted, 1).passed
    run(PROMOTED_AT + timedelta(days=366))
    promoted.refresh_from_db()
    assert (
        promoted.level == 0
    )  # the query result that allowed the promotion is from before the window


def test_one_make_up_attempt_after_a_failed_retest(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=336), tick=False):
        earn_points(promoted, 200, "ret")
        sit_query_test(promoted, total_seconds=145)
        assert fail_exam(promoted, 1).status == "failed"
        # the make-up waits the retake period (72 hours by default)
        with pytest.raises(ExamError, match="You can start the next level-1 attempt from"):
            exam_start(employee=promoted, level=1)
    with time_machine.travel(PROMOTED_AT + timedelta(days=339), tick=False):
        make_up = pass_exam(promoted, 1)
        assert make_up.passed and make_up.purpose == "retention"
    assert run(PROMOTED_AT + timedelta(days=340))["kept"] == 1


def test_failing_the_retest_and_the_make_up_demotes_at_once(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=336), tick=False):
        fail_exam(promoted, 1)
    with time_machine.travel(PROMOTED_AT + timedelta(days=339), tick=False):
        fail_exam(promoted, 1)
    with time_machine.travel(PROMOTED_AT + timedelta(days=343), tick=False):
        with pytest.raises(ExamError, match="All 2 re-test attempts were used."):
            exam_start(employee=promoted, level=1)
    run(PROMOTED_AT + timedelta(days=343))
    promoted.refresh_from_db()
    assert promoted.level == 0
    assert selectors.last_demotion(promoted).reason_display() == (
        "Re-test failed: all 2 attempts (including the make-up) were used."
    )


def test_the_retest_cannot_start_before_the_window_opens(promoted):
    with time_machine.travel(PROMOTED_AT + timedelta(days=300), tick=False):
        with pytest.raises(ExamError, match="Your level-1 re-test window is not open."):
            exam_start(employee=promoted, level=1)


def test_a_reminder_is_sent_once_before_the_due_date(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    assert run(PROMOTED_AT + timedelta(days=350))["reminded"] == 0
    assert run(PROMOTED_AT + timedelta(days=352))["reminded"] == 1
    assert run(PROMOTED_AT + timedelta(days=353))["reminded"] == 0
    note = Notification.objects.get(recipient=promoted, kind="retest_due")
    assert note.text() == (
        "Reminder: your level-1 retention is due on 2027-01-15. Points: 0 of 200; "
        "re-test passed: ✗."
    )


def test_a_new_promotion_closes_the_running_retention_period(promoted):
    ready_for(promoted, 2)
    employee_promote(employee=promoted, to_level=2)
    statuses = dict(
        RetentionPeriod.objects.filter(employee=promoted).values_list("level", "status")
    )
    assert statuses == {1: "closed", 2: "active"}


def test_the_daily_task_is_registered_with_beat_and_calls_the_service(promoted):
    task = PeriodicTask.objects.get(task="promotion.retention_daily_task")
    assert task.enabled and task.crontab.hour == "2"
    with time_machine.travel(PROMOTED_AT + timedelta(days=335), tick=False):
        assert retention_daily_task.delay().get()["opened"] == 1


needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL and not os.environ.get("CI"),
    reason="REDIS_URL is not set (allowed outside CI only)",
)


@pytest.mark.real_worker
@needs_redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_retention_task_runs_through_a_real_worker(real_worker):
    # given: a promotion 340 days ago (history), its re-test window not yet opened
    user = UserFactory(level=1, roles=["CSR"])
    promotion_history_backfill(
        employee=user,
        kind="promoted",
        from_level=0,
        to_level=1,
        at=timezone.now() - timedelta(days=340),
        with_retention=True,
    )
    # when
    result = retention_daily_task.delay().get(timeout=30)
    # then
    assert result["opened"] == 1
    assert RetentionPeriod.objects.get(employee=user).status == "retest_open"


# --- evidence after the due date, and the apprentice task ---------------------------------


def test_points_earned_after_the_due_date_do_not_save_the_level(promoted):
    # given: the re-test passed in the window, but only 150 points by the due date
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=340), tick=False):
        earn_points(promoted, 150, "ret")
        assert pass_exam(promoted, 1).passed
        sit_query_test(promoted, total_seconds=145)
    # when: the missing 50 points arrive a day late, before the (late) daily job runs
    with time_machine.travel(PROMOTED_AT + timedelta(days=366), tick=False):
        earn_points(promoted, 60, "late")
    run(PROMOTED_AT + timedelta(days=367))
    # then
    promoted.refresh_from_db()
    assert promoted.level == 0
    assert selectors.last_demotion(promoted).reason_display() == (
        "Points task not met: 150 of 200 points earned within the retention period."
    )


def test_a_query_time_result_after_the_due_date_does_not_count(promoted):
    run(PROMOTED_AT + timedelta(days=335))
    with time_machine.travel(PROMOTED_AT + timedelta(days=340), tick=False):
        earn_points(promoted, 200, "ret")
        assert pass_exam(promoted, 1).passed
    sit_query_test(promoted, total_seconds=145, start=PROMOTED_AT + timedelta(days=365, hours=1))
    run(PROMOTED_AT + timedelta(days=367))
    promoted.refresh_from_db()
    assert promoted.level == 0
    assert (
        "no query-time result allowing level 1 in the re-test window"
        in selectors.last_demotion(promoted).reason_display()
    )


def test_the_seeded_rules_ask_for_one_apprentice_where_promotion_asked_for_apprentices():
    from promotion.models import LevelRequirement

    rows = dict(LevelRequirement.objects.values_list("level__number", "retention_apprentices"))
    assert rows == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}


@pytest.fixture
def senior_teacher(ops_manager):
    """A level-3 CSR whose retention period (opened by a real promotion record) needs 1
    apprentice brought from level 0 to 1, and an apprentice paired with them."""
    mentor = UserFactory(staff_id="MEN300", level=3, roles=["CSR"])
    promotion_history_backfill(
        employee=mentor,
        kind="promoted",
        from_level=2,
        to_level=3,
        at=PROMOTED_AT,
        with_retention=True,
    )
    apprentice = UserFactory(staff_id="APP300", level=0, roles=["CSR"])
    pair(mentor, apprentice, by=ops_manager, at=PROMOTED_AT + timedelta(days=1))
    return mentor, apprentice


def _retest_done(employee, level: int, day: int) -> None:
    if not Case.objects.testing().filter(level=level).exists():
        make_test_cases(level)
    with time_machine.travel(PROMOTED_AT + timedelta(days=day), tick=False):
        earn_points(employee, 200, f"ret{level}")
        assert pass_exam(employee, level).passed
    sit_query_test(employee, total_seconds=125, start=PROMOTED_AT + timedelta(days=day, hours=2))


def test_retention_after_a_promotion_that_needed_apprentices_needs_one_apprentice(senior_teacher):
    # given: points, re-test exam and query time all met, but no apprentice brought up
    mentor, _apprentice = senior_teacher
    period = RetentionPeriod.objects.get(employee=mentor)
    assert (period.apprentices_task, period.apprentice_from_level) == (1, 0)
    run(PROMOTED_AT + timedelta(days=335))
    _retest_done(mentor, 3, 340)
    # when
    assert (
        run(PROMOTED_AT + timedelta(days=341))["kept"] == 0
    )  # not kept early: the apprentice is missing
    run(PROMOTED_AT + timedelta(days=366))
    # then
    mentor.refresh_from_db()
    assert mentor.level == 2
    assert selectors.last_demotion(mentor).reason_display() == (
        "Apprentice task not met: 0 of 1 apprentices brought up within the retention period."
    )


def test_an_apprentice_brought_up_within_the_year_keeps_the_level(senior_teacher, client):
    # given
    mentor, apprentice = senior_teacher
    with time_machine.travel(PROMOTED_AT + timedelta(days=100), tick=False):
        ready_for(apprentice, 1)
    with time_machine.travel(PROMOTED_AT + timedelta(days=101), tick=False):
        employee_promote(employee=apprentice, to_level=1)
    run(PROMOTED_AT + timedelta(days=335))
    _retest_done(mentor, 3, 340)
    # when
    done = run(PROMOTED_AT + timedelta(days=341))
    # then
    assert done["kept"] == 1
    mentor.refresh_from_db()
    assert mentor.level == 3
    assert RetentionPeriod.objects.get(employee=mentor).status == "kept"


def test_an_apprentice_brought_up_after_the_due_date_does_not_count(senior_teacher):
    mentor, apprentice = senior_teacher
    run(PROMOTED_AT + timedelta(days=335))
    _retest_done(mentor, 3, 340)
    with time_machine.travel(PROMOTED_AT + timedelta(days=365), tick=False):
        ready_for(apprentice, 1)
    with time_machine.travel(PROMOTED_AT + timedelta(days=366), tick=False):
        employee_promote(employee=apprentice, to_level=1)
    run(PROMOTED_AT + timedelta(days=367))
    mentor.refresh_from_db()
    assert mentor.level == 2
    assert "Apprentice task not met: 0 of 1" in selectors.last_demotion(mentor).reason_display()


def test_my_level_page_and_api_show_the_apprentice_task(senior_teacher, client, api):
    mentor, _apprentice = senior_teacher
    with time_machine.travel(PROMOTED_AT + timedelta(days=10), tick=False):
        client.force_login(mentor)
        html = client.get(reverse("promotion:my_level")).content.decode()
        api.force_authenticate(mentor)
        data = api.get("/api/promotion/me/").json()
    assert (
        'id="retention-apprentices"' in html
        and "0 / 1 apprentices brought from level 0 to 1" in html
    )
    assert (
        data["retention"]["apprentices_task"] == 1 and data["retention"]["apprentices_brought"] == 0
    )


def test_the_make_up_waits_but_can_always_be_finished_before_the_due_date(promoted):
    # given: the re-test failed one day before the due date (2027-01-15 10:00)
    run(PROMOTED_AT + timedelta(days=335))
    due = PROMOTED_AT + timedelta(days=365)
    with time_machine.travel(due - timedelta(days=1), tick=False):
        fail_exam(promoted, 1)
    # when / then: the 72-hour wait is cut to the last start that still ends by the due date
    with time_machine.travel(due - timedelta(hours=2), tick=False):
        with pytest.raises(ExamError) as exc:
            exam_start(employee=promoted, level=1)
        assert exc.value.messages == [
            "You can start the next level-1 attempt from 2027-01-15 09:20: there is a "
            "waiting period of 72 hours after each attempt."
        ]
    with time_machine.travel(due - timedelta(minutes=40), tick=False):
        make_up = pass_exam(promoted, 1)
    assert make_up.passed and make_up.purpose == "retention"
    assert make_up.deadline == due
