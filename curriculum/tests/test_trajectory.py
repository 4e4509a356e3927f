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
        services.survey_response_create(employee=csr, course=course, content_score=5, format_score=4,
                                        usefulness_score=5, comment="实用")
    csr.position = PositionCompetencyFactory().position
    csr.team = team_leader.team
    csr.save()
    BehaviourRatingFactory(employee=csr, rater=team_leader, item=csr.position.competencies.get().item,
                           score=3, observed_on=dt.date(2026, 4, 25), phase="after")
    with time_machine.travel(dt.datetime(2026, 4, 26, 2, tzinfo=dt.UTC), tick=False):
        services.improvement_plan_item_create(employee=csr, created_by=team_leader, action="复盘三通录音",
                                              due_on=dt.date(2026, 5, 31))
    return course


def test_trajectory_lists_every_kind_newest_first(csr, history):
    entries = selectors.trajectory_entries(employee=csr)
    assert [e.kind for e in entries] == ["Improvement plan", "Behaviour rating", "Course completed", "Exam",
                                         "Survey", "Enrolled"]
    kinds = {e.kind for e in entries}
    assert kinds == {"Enrolled", "Course completed", "Exam", "Survey", "Behaviour rating", "Improvement plan"}
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
    csv_rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    xlsx_rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
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
    assert client.get(reverse("curriculum:employee_trajectory", args=[stranger.pk])).status_code == 403
    assert client.get(reverse("curriculum:employee_trajectory_export", args=[stranger.pk, "csv"])).status_code == 403


def test_training_manager_sees_any_trajectory(client, csr, history, training_manager):
    client.force_login(training_manager)
    page = client.get(reverse("curriculum:employee_trajectory", args=[csr.pk]))
    assert page.status_code == 200
    assert "投诉处理六步法" in page.content.decode()


def test_api_my_trajectory(csr, history):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    body = api.get("/api/curriculum/my/trajectory/").json()
    assert len(body) == 6
    assert body[-1]["kind"] == "Enrolled" and body[-1]["subject"] == "投诉处理六步法"


def test_trajectory_page_has_bounded_queries(client, csr, django_assert_max_num_queries):
    for _ in range(20):
        services.enrolment_create(employee=csr, course=CourseFactory())
    client.force_login(csr)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("curriculum:my_trajectory"))
    assert len(response.context["page"].object_list) == 20
