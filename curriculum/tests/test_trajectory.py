import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from curriculum import selectors, services
from curriculum.tests.factories import (
    BehaviourRatingFactory,
    CourseFactory,
    CourseRunFactory,
    PositionCompetencyFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(csr, team_leader):
    """A CSR with an enrolment, completion by exam, a survey, a rating and a plan item."""
    with time_machine.travel(dt.datetime(2026, 4, 1, 2, tzinfo=dt.UTC), tick=False):
        course = CourseFactory(title="投诉处理六步法", exam_question_count=1)
        CourseRunFactory(course=course, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 20))
        question = QuestionFactory(course=course)
        services.enrolment_create(employee=csr, course=course)
    with time_machine.travel(dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC), tick=False):
        attempt = services.exam_attempt_start(employee=csr, course=course)
        right = question.options.get(is_correct=True).pk
        services.exam_attempt_submit(attempt=attempt, employee=csr, answers={question.pk: [right]})
        services.survey_response_create(
            employee=csr,
            course=course,
            content_score=5,
            format_score=4,
            usefulness_score=5,
            comment="实用",
        )
    csr.position = PositionCompetencyFactory().position
    csr.team = team_leader.team
    csr.save()
    BehaviourRatingFactory(
        employee=csr,
        rater=team_leader,
        item=csr.position.competencies.get().item,
        score=3,
        observed_on=dt.date(2026, 4, 25),
        phase="after",
    )
    with time_machine.travel(dt.datetime(2026, 4, 26, 2, tzinfo=dt.UTC), tick=False):
        services.improvement_plan_item_create(
            employee=csr, created_by=team_leader, action="复盘三通录音", due_on=dt.date(2026, 5, 31)
        )
    return course


def test_trajectory_lists_every_kind_newest_first(csr, history):
    entries = selectors.trajectory_entries(employee=csr)
    assert [e.kind for e in entries] == [
        "Improvement plan",
        "Behaviour rating",
        "Course completed",
        "Exam",
        "Survey",
        "Enrolled",
    ]
    kinds = {e.kind for e in entries}
    assert kinds == {
        "Enrolled",
        "Course completed",
        "Exam",
        "Survey",
        "Behaviour rating",
        "Improvement plan",
    }
    exam = next(e for e in entries if e.kind == "Exam")
    assert exam.result == "100.00% · passed"
    assert entries[0].detail == "复盘三通录音 · due 2026-05-31"
    assert entries[-1].kind == "Enrolled"
    assert entries[-1].when_text == "2026-04-01 10:00"


def test_csv_and_xlsx_exports_hold_identical_rows(client, csr, history):
    client.force_login(csr)
    csv_response = client.get(reverse("curriculum:my_trajectory_export", args=["csv"]))
    xlsx_response = client.get(reverse("curriculum:my_trajectory_export", args=["xlsx"]))
    assert csv_response.status_code == xlsx_response.status_code == 200
    assert csv_response["Content-Disposition"] == 'attachment; filename="trajectory-CSR001.csv"'
    csv_rows = list(
        csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig")))
    )
    assert xlsx_response["Content-Disposition"] == 'attachment; filename="trajectory-CSR001.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content))).active
    cells = list(sheet.iter_rows(values_only=True))
    # the XLSX dates are real date cells (local time), the CSV the same moment as text
    assert all(isinstance(row[0], dt.datetime) for row in cells[1:])
    assert cells[-1][0] == dt.datetime(2026, 4, 1, 10, 0)
    xlsx_rows = [
        [
            cell.strftime("%Y-%m-%d %H:%M")
            if isinstance(cell, dt.datetime)
            else ""
            if cell is None
            else cell
            for cell in row
        ]
        for row in cells
    ]
    assert csv_rows == xlsx_rows
    assert len(csv_rows) == 1 + 6
    assert csv_rows[0] == ["Date", "Type", "Course or item", "Result", "Detail"]


def test_unknown_export_format_is_404(client, csr):
    client.force_login(csr)
    assert client.get("/curriculum/my-trajectory/export.pdf").status_code == 404


def test_team_leader_sees_team_members_trajectory_but_not_others(client, csr, history, team_leader):
    from accounts.tests.factories import UserFactory

    client.force_login(team_leader)
    assert client.get(reverse("curriculum:employee_trajectory", args=[csr.pk])).status_code == 200
    stranger = UserFactory(roles=["CSR"])
    assert (
        client.get(reverse("curriculum:employee_trajectory", args=[stranger.pk])).status_code == 403
    )
    assert (
        client.get(
            reverse("curriculum:employee_trajectory_export", args=[stranger.pk, "csv"])
        ).status_code
        == 403
    )


def test_training_manager_sees_any_trajectory(client, csr, history, training_manager):
    client.force_login(training_manager)
    page = client.get(reverse("curriculum:employee_trajectory", args=[csr.pk]))
    assert page.status_code == 200
    assert "投诉处理六步法" in page.content.decode()


def test_api_my_trajectory(csr, history):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    body = api.get("/api/curriculum/my/trajectory/").json()
    assert body["count"] == 6
    assert (
        body["results"][-1]["kind"] == "Enrolled"
        and body["results"][-1]["subject"] == "投诉处理六步法"
    )


def test_trajectory_page_has_bounded_queries(client, csr, django_assert_max_num_queries):
    for _ in range(20):
        services.enrolment_create(employee=csr, course=CourseFactory())
    client.force_login(csr)
    # session + user, one count (UNION ALL) and one query per trajectory source (13)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("curriculum:my_trajectory"))
    assert len(response.context["page"].object_list) == 20


def _ladder_history(csr):
    """One row of every ladder source, a day apart (2026-05-01 .. 05-07)."""
    from decimal import Decimal

    from casebase.models import CaseStudy
    from casebase.tests.factories import CaseFactory
    from knowledgebase.models import QueryTestSession
    from points.tests.factories import PointsEntryFactory
    from promotion.models import ExamAttempt as LevelExam
    from promotion.models import PromotionEvent

    def day(n):
        return dt.datetime(2026, 5, n, 2, tzinfo=dt.UTC)

    CaseStudy.objects.create(
        employee=csr, case=CaseFactory(title="话费争议案例A", level=1), studied_at=day(1)
    )
    QueryTestSession.objects.create(
        employee=csr,
        started_at=day(2),
        finished_at=day(2),
        task_count=100,
        total_seconds=Decimal("135.0"),
        allowed_level=2,
    )
    LevelExam.objects.create(
        employee=csr,
        level=1,
        started_at=day(3),
        deadline=day(4),
        submitted_at=day(3),
        status=LevelExam.Status.PASSED,
        score_percent=Decimal("90.0"),
        pass_percent=60,
        correct_count=9,
    )
    PromotionEvent.objects.create(
        employee=csr, kind="promoted", from_level=0, to_level=1, at=day(4)
    )
    PointsEntryFactory(employee=csr, amount=25, note="纠正", created_at=day(5))
    LevelExam.objects.create(
        employee=csr,
        level=1,
        purpose=LevelExam.Purpose.RETENTION,
        started_at=day(6),
        deadline=day(7),
        submitted_at=day(6),
        status=LevelExam.Status.FAILED,
        score_percent=Decimal("40.0"),
        pass_percent=60,
        correct_count=4,
    )
    PromotionEvent.objects.create(employee=csr, kind="demoted", from_level=1, to_level=0, at=day(7))


def test_trajectory_includes_case_study_ladder_exams_query_tests_level_changes_and_points(csr):
    # given
    _ladder_history(csr)
    # when
    entries = selectors.trajectory_entries(employee=csr)
    # then
    assert [(e.kind, e.subject, e.result) for e in entries] == [
        ("Level change", "Level 1 → 0", "Demoted"),
        ("Re-test", "Level 1", "40.0% · Failed"),
        ("Points", "人工更正", "+25"),
        ("Level change", "Level 0 → 1", "Promoted"),
        ("Promotion exam", "Level 1", "90.0% · Passed"),
        ("Query-time test", "100 query tasks", "135.0 s · up to level 2"),
        ("Case studied", "话费争议案例A", "Level 1"),
    ]


def test_the_trajectory_sources_are_merged_in_the_documented_order():
    # promotion registers its three (promotion/learning.py); curriculum never imports it
    assert [source.name for source in selectors.trajectory_sources()] == [
        "enrolled",
        "completed",
        "course_exam",
        "survey",
        "rating",
        "plan",
        "stage",
        "case_study",
        "ladder_exam",  # promotion
        "query_test",
        "level_change",  # promotion
        "retention",  # promotion
        "points",
    ]


def test_a_trajectory_source_under_a_taken_name_or_order_is_refused():
    [ladder] = [s for s in selectors.trajectory_sources() if s.name == "ladder_exam"]
    selectors.register_trajectory_source(ladder)  # again: harmless
    for clash in (
        selectors.TrajectorySource("ladder_exam", ladder.rows, ladder.entry, 999),
        selectors.TrajectorySource("other", ladder.rows, ladder.entry, ladder.order),
    ):
        with pytest.raises(ValueError):
            selectors.register_trajectory_source(clash)
    assert len(selectors.trajectory_sources()) == 13


def test_trajectory_lists_finished_stages(learner, learning_map):
    for code in ("J1", "J2", "J3"):
        services.enrolment_complete(
            enrolment=services.enrolment_create(
                employee=learner, course=learning_map.courses[code]
            ),
            actor=learner,
        )
    stage = next(
        e for e in selectors.trajectory_entries(employee=learner) if e.kind == "Stage completed"
    )
    assert (stage.subject, stage.result) == ("初级", "Finished")


def test_trajectory_pages_merge_every_source_in_time_order(csr):
    # given: 7 ladder rows and 7 course enrolments interleaved by day
    _ladder_history(csr)
    for n in range(1, 8):
        with time_machine.travel(dt.datetime(2026, 5, n, 1, tzinfo=dt.UTC), tick=False):
            services.enrolment_create(employee=csr, course=CourseFactory())
    every = selectors.trajectory_entries(employee=csr)
    trajectory = selectors.trajectory(employee=csr)
    # then: the count and any page equal the full list's slice
    assert trajectory.count() == len(every) == 14
    assert trajectory[0:5] == every[0:5]
    assert trajectory[5:10] == every[5:10]
    assert trajectory[10:20] == every[10:14]
    assert [e.when for e in every] == sorted((e.when for e in every), reverse=True)


def test_trajectory_page_queries_do_not_grow_with_history(client, csr):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(csr)
    _ladder_history(csr)
    client.get(reverse("curriculum:my_trajectory"))  # warm up the session
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("curriculum:my_trajectory"))
    for _ in range(60):
        services.enrolment_create(employee=csr, course=CourseFactory())
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("curriculum:my_trajectory") + "?page=2")
    assert len(large.captured_queries) == len(small.captured_queries)
    assert response.context["page"].paginator.count == 67
    assert len(response.context["page"].object_list) == 17


def test_api_trajectory_is_paginated(api, csr):
    _ladder_history(csr)
    for _ in range(55):
        services.enrolment_create(employee=csr, course=CourseFactory())
    api.force_authenticate(csr)
    first = api.get("/api/curriculum/my/trajectory/").json()
    second = api.get("/api/curriculum/my/trajectory/?page=2").json()
    assert first["count"] == 62 and len(first["results"]) == 50 and len(second["results"]) == 12
    assert second["results"][-1]["kind"] == "Case studied"


def test_trajectory_shows_how_a_retention_year_ended(csr):
    from promotion.models import PromotionEvent, RetentionPeriod

    def day(n):
        return dt.datetime(2026, 5, n, 2, tzinfo=dt.UTC)

    promotion = PromotionEvent.objects.create(
        employee=csr, kind="promoted", from_level=0, to_level=1, at=day(1)
    )
    RetentionPeriod.objects.create(
        employee=csr,
        promotion=promotion,
        level=1,
        starts_at=day(1),
        retest_opens_at=day(2),
        due_at=day(3),
        remind_at=day(2),
        points_task=200,
        status="kept",
        closed_at=day(4),
    )
    entry = selectors.trajectory_entries(employee=csr)[0]
    assert (entry.kind, entry.subject, entry.result, entry.detail) == (
        "Retention (保级)",
        "Level 1",
        "Level kept",
        "due 2026-05-03",
    )
