"""The CSR's home panel (accounts.dashboard_csr.csr_dashboard, accounts/home/_csr.html)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard_csr import csr_dashboard, note_own_write
from accounts.models import User
from accounts.tests.factories import UserFactory
from casebase.services.study import case_mark_studied
from curriculum.models import Enrolment
from curriculum.tests.factories import (
    EnrolmentFactory,
    MapCourseFactory,
    MapTopicFactory,
    PositionFactory,
)
from points.tests.factories import PointsEntryFactory
from promotion.models import PromotionEvent, RetentionPeriod
from promotion.selectors import promotion_checklist
from promotion.tests.factories import earn_points, make_test_cases, make_training_cases
from review.models import Proposal
from review.tests.factories import RevisionProposalFactory

pytestmark = pytest.mark.django_db


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_bar_shows_the_share_of_the_checklist_met(client, csr):
    # given a level-0 CSR with the points of level 1 and one of three training cases studied
    first, *_ = make_training_cases(1, 3)
    earn_points(csr, 800, "bar")
    case_mark_studied(employee=csr, case_id=first.pk)
    checklist = promotion_checklist(csr)
    # when
    dashboard = csr_dashboard(csr)
    # then: the same checklist as "my level", one of its items met
    assert [bar.item.code for bar in dashboard.bars] == [item.code for item in checklist]
    assert (dashboard.met, dashboard.total) == (1, len(checklist))
    bars = {bar.item.code: bar.percent for bar in dashboard.bars}
    assert bars["points"] == 100 and bars["exam"] == 0
    needed = next(item for item in checklist if item.code == "training_cases").evidence["needed"]
    assert bars["training_cases"] == round(100 * 1 / needed)
    html = _home(client, csr)
    assert f'<progress id="csr-progress" value="1" max="{len(checklist)}">' in html
    assert f"1 of {len(checklist)} requirements met" in html


def test_study_next_lists_unstudied_training_cases_of_the_next_level_never_test_cases(client, csr):
    # given level-1 training cases (one studied), level-1 test cases and a level-2 training case
    studied, *unstudied = make_training_cases(1, 3)
    case_mark_studied(employee=csr, case_id=studied.pk)
    secret = make_test_cases(1, 3)
    later = make_training_cases(2, 1)
    # when
    dashboard = csr_dashboard(csr)
    # then
    assert {case.pk for case in dashboard.next_cases} == {case.pk for case in unstudied}
    html = _home(client, csr)
    for case in unstudied:
        assert reverse("casebase:case_detail", args=[case.pk]) in html
    for case in [studied, *secret, *later]:
        assert reverse("casebase:case_detail", args=[case.pk]) not in html


def test_study_next_never_lists_test_cases_even_when_no_training_case_is_left(client, csr):
    # a motivated CSR who studied everything must not be shown the exam's cases instead
    for case in make_training_cases(1, 2):
        case_mark_studied(employee=csr, case_id=case.pk)
    secret = make_test_cases(1, 6)
    dashboard = csr_dashboard(csr)
    assert dashboard.next_cases == [] and not dashboard.more_cases
    html = _home(client, csr)
    assert "No level-1 training case left to study." in html
    for case in secret:
        assert case.title not in html


def test_my_open_proposals_appear_and_decided_or_others_do_not(client, csr):
    mine = RevisionProposalFactory(proposer=csr)
    stale = RevisionProposalFactory(proposer=csr, status=Proposal.Status.STALE)
    decided = RevisionProposalFactory(proposer=csr, status=Proposal.Status.APPLIED)
    other = RevisionProposalFactory(proposer=UserFactory(roles=["CSR"]))
    shown = {row["proposal"].pk for row in csr_dashboard(csr).proposals}
    assert shown == {mine.pk, stale.pk}
    html = _home(client, csr)
    assert reverse("review:proposal_detail", args=[mine.pk]) in html
    assert reverse("review:proposal_detail", args=[decided.pk]) not in html
    assert reverse("review:proposal_detail", args=[other.pk]) not in html


def test_recent_points_are_the_last_five_and_the_balance_counts_all(csr):
    entries = [PointsEntryFactory(employee=csr, amount=n) for n in range(1, 8)]
    dashboard = csr_dashboard(csr)
    assert [entry.pk for entry in dashboard.points] == [entry.pk for entry in reversed(entries)][:5]
    assert dashboard.balance == sum(range(1, 8))


def _retention(employee, *, opens_in: timedelta, reminder_days: int = 14) -> RetentionPeriod:
    now = timezone.now()
    event = PromotionEvent.objects.create(
        employee=employee,
        kind=PromotionEvent.Kind.PROMOTED,
        from_level=0,
        to_level=1,
        at=now - timedelta(days=200),
    )
    due = now + opens_in + timedelta(days=30)
    return RetentionPeriod.objects.create(
        employee=employee,
        promotion=event,
        level=1,
        starts_at=event.at,
        retest_opens_at=now + opens_in,
        due_at=due,
        points_task=200,
        remind_at=due - timedelta(days=reminder_days),
    )


def test_retention_shows_its_status_only_when_the_retest_window_is_near(client):
    csr = UserFactory(level=1, roles=["CSR"])
    period = _retention(csr, opens_in=timedelta(days=60))
    dashboard = csr_dashboard(csr)
    assert dashboard.retention is None and dashboard.retention_period == period
    html = _home(client, csr)
    assert 'id="csr-retention-later"' in html and 'id="csr-retention"' not in html
    # the window opens within the reminder lead time (14 days)
    RetentionPeriod.objects.filter(pk=period.pk).update(
        retest_opens_at=timezone.now() + timedelta(days=10)
    )
    dashboard = csr_dashboard(csr)
    assert dashboard.retention_near and dashboard.retention.points_earned == 0
    note_own_write(csr.pk)  # the cached panel goes stale (as after DASHBOARD_TTL)
    html = _home(client, csr)
    assert 'id="csr-retention"' in html and "0 / 200" in html


def test_the_retention_window_open_is_near(csr):
    period = _retention(csr, opens_in=-timedelta(days=1))
    assert csr_dashboard(csr).retention.window_open
    RetentionPeriod.objects.filter(pk=period.pk).update(status=RetentionPeriod.Status.KEPT)
    assert csr_dashboard(csr).retention_period is None


def _on_a_map(employee, courses: int = 2) -> list:
    """Put ``employee`` in a position whose family's learning map holds ``courses`` courses
    (one stage, one topic), returned in map order."""
    topic = MapTopicFactory()
    rows = [MapCourseFactory(map_topic=topic, order=n) for n in range(courses)]
    employee.position = PositionFactory(family=topic.stage.learning_map.position_family)
    employee.save(update_fields=["position"])
    return [row.course for row in rows]


def test_the_next_course_is_the_first_open_one_on_the_learning_map(client, csr):
    first, second = _on_a_map(csr)
    assert csr_dashboard(csr).next_course.course == first
    EnrolmentFactory(
        employee=csr, course=first, status=Enrolment.Status.COMPLETED, completed_at=timezone.now()
    )
    assert csr_dashboard(csr).next_course.course == second
    assert reverse("curriculum:course_detail", args=[second.pk]) in _home(client, csr)
    EnrolmentFactory(
        employee=csr, course=second, status=Enrolment.Status.COMPLETED, completed_at=timezone.now()
    )
    assert csr_dashboard(csr).next_course is None


def _history(csr, n: int) -> None:
    for case in make_training_cases(1, n):
        case_mark_studied(employee=csr, case_id=case.pk)
    make_test_cases(1, n)
    PointsEntryFactory.create_batch(n, employee=csr)
    RevisionProposalFactory.create_batch(n, proposer=csr)


DASHBOARD_QUERIES = (
    15  # levels, checklist (7), retention, study next, proposals, map (2), points (2)
)


def test_the_dashboard_reads_a_constant_number_of_queries_whatever_the_history(
    client, csr, django_assert_num_queries
):
    # given a CSR on a learning map with one study, points entry and proposal
    _on_a_map(csr)
    _history(csr, 1)
    csr_dashboard(csr)  # warm the learning-map and settings caches
    client.force_login(csr)
    client.get(reverse("home"))
    with django_assert_num_queries(DASHBOARD_QUERIES):
        csr_dashboard(csr)
    home_before = _count_home(client)
    # when 50 more of each are added
    _history(csr, 50)
    # then neither the dashboard nor the home page reads more
    with django_assert_num_queries(DASHBOARD_QUERIES):
        csr_dashboard(csr)
    assert _count_home(client) == home_before


def _count_home(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries.captured_queries)


def test_the_demo_csr_home_answers_with_the_panel(client):
    call_command("demo", force=True, stdout=io.StringIO())
    html = _home(client, User.objects.get(staff_id="HB0001"))
    assert 'id="panel-study"' in html and 'id="csr-progress"' in html
    assert reverse("promotion:my_level") in html


def test_a_master_at_the_top_level_sees_no_bar_and_still_studies_level_5(client):
    master = UserFactory(level=5, roles=["CSR"])
    cases = make_training_cases(5, 1)
    dashboard = csr_dashboard(master)
    assert (dashboard.total, dashboard.percent, dashboard.next_level) == (0, 0, None)
    assert [case.pk for case in dashboard.next_cases] == [cases[0].pk]
    html = _home(client, master)
    assert "You are at the top level." in html and 'id="csr-progress"' not in html


def test_the_panel_is_reused_until_the_employee_writes_and_then_shows_what_they_did(client, csr):
    # given a CSR whose home panel lists two unstudied cases
    first, second = make_training_cases(1, 2)
    client.force_login(csr)
    client.get(reverse("home"))  # computes and caches the panel (and the settings rows)
    with CaptureQueriesContext(connection) as cached:
        html = client.get(reverse("home")).content.decode()
    assert reverse("casebase:case_detail", args=[first.pk]) in html
    assert not any(
        "casebase_case" in q["sql"] for q in cached.captured_queries
    )  # reused, not recomputed
    # when the CSR marks one studied (a POST of their own)
    assert client.post(reverse("casebase:case_studied", args=[first.pk])).status_code == 302
    # then their next home visit recomputes the panel: the case is no longer "study next"
    html = client.get(reverse("home")).content.decode()
    assert reverse("casebase:case_detail", args=[first.pk]) not in html
    assert reverse("casebase:case_detail", args=[second.pk]) in html


def test_the_panel_kept_as_html_is_per_language_and_written_again_after_an_own_write(client, csr):
    # given: the panel written once in Chinese (kept for DASHBOARD_TTL)
    client.force_login(csr)
    first = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的学习" in first and 'id="csr-balance"' in first
    # when the page is asked in English, it is the English panel, not the kept Chinese one
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My learning" in english and "我的学习" not in english
    # a ledger change by somebody else shows after DASHBOARD_TTL; the employee's own write
    # (any POST of theirs) makes it show at once
    earn_points(csr, 37, "kept as html")
    kept = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Balance: 0 points" in kept
    note_own_write(csr.pk)
    fresh = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Balance: 37 points" in fresh
