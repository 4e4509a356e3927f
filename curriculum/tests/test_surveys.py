import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from curriculum import services
from curriculum.models import SurveyResponse
from curriculum.tests.factories import (
    CourseFactory,
    CourseRunFactory,
    EnrolmentFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db

# A self-paced (run-less) enrolment's survey opens once the course is completed.
DONE = {"status": "completed", "completed_at": dt.datetime(2026, 3, 31, 8, tzinfo=dt.UTC)}


def answer(employee, course, **overrides):
    scores = {
        "content_score": 4,
        "format_score": 3,
        "usefulness_score": 5,
        "comment": "很实用",
    } | overrides
    return services.survey_response_create(employee=employee, course=course, **scores)


def test_survey_is_recorded_for_the_run_of_the_enrolment(csr):
    # given
    run = CourseRunFactory()
    EnrolmentFactory(employee=csr, course=run.course, run=run)
    # when
    response = answer(csr, run.course)
    # then
    assert (
        response.run,
        response.content_score,
        response.format_score,
        response.usefulness_score,
    ) == (run, 4, 3, 5)
    assert str(response.average()) == "4.00"


def test_survey_needs_an_enrolment(csr):
    with pytest.raises(
        services.CurriculumError, match="Enrol in the course before answering its survey."
    ):
        answer(csr, CourseFactory())


@pytest.mark.parametrize("with_run", [True, False])
def test_only_one_survey_per_employee_and_run(csr, with_run):
    # given
    course = CourseFactory()
    EnrolmentFactory(
        employee=csr,
        course=course,
        run=CourseRunFactory(course=course) if with_run else None,
        **({} if with_run else DONE),
    )
    answer(csr, course)
    # when / then
    with pytest.raises(
        services.CurriculumConflict,
        match="You have already answered the survey for this course run.",
    ):
        answer(csr, course)
    assert SurveyResponse.objects.filter(employee=csr).count() == 1


@pytest.mark.parametrize("with_run", [True, False])
def test_database_refuses_a_second_response_for_the_same_run(csr, with_run):
    from django.db import IntegrityError

    course = CourseFactory()
    run = CourseRunFactory(course=course) if with_run else None
    SurveyResponseFactory(employee=csr, course=course, run=run)
    with pytest.raises(IntegrityError):
        SurveyResponseFactory(employee=csr, course=course, run=run)


def test_responses_for_different_runs_are_separate(csr):
    course = CourseFactory()
    first, second = CourseRunFactory(course=course), CourseRunFactory(course=course)
    SurveyResponseFactory(employee=csr, course=course, run=first)
    SurveyResponseFactory(employee=csr, course=course, run=second)
    assert SurveyResponse.objects.filter(employee=csr, course=course).count() == 2


@pytest.mark.parametrize("score", [0, 6, -1])
def test_scores_outside_1_to_5_are_refused(csr, score):
    course = CourseFactory()
    EnrolmentFactory(employee=csr, course=course, **DONE)
    with pytest.raises(services.CurriculumError, match="Give a score from 1 to 5."):
        answer(csr, course, format_score=score)


def test_survey_page_saves_and_second_post_shows_friendly_error(client, csr):
    course = CourseFactory()
    EnrolmentFactory(employee=csr, course=course, **DONE)
    client.force_login(csr)
    url = reverse("curriculum:course_survey", args=[course.pk])
    data = {"content_score": 5, "format_score": 4, "usefulness_score": 5, "comment": "好"}
    assert client.post(url, data).status_code == 302
    second = client.post(url, data)
    assert second.status_code == 400
    assert "You have already answered the survey for this course run." in second.content.decode()


def test_survey_page_rejects_missing_scores(client, csr):
    course = CourseFactory()
    EnrolmentFactory(employee=csr, course=course, **DONE)
    client.force_login(csr)
    response = client.post(
        reverse("curriculum:course_survey", args=[course.pk]), {"content_score": 9}
    )
    assert response.status_code == 400
    assert SurveyResponse.objects.count() == 0


def test_api_survey_create_and_duplicate(csr):
    course = CourseFactory()
    EnrolmentFactory(employee=csr, course=course, **DONE)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    payload = {"course": course.pk, "content_score": 5, "format_score": 5, "usefulness_score": 4}
    assert api.post("/api/curriculum/surveys/", payload, format="json").status_code == 201
    again = api.post("/api/curriculum/surveys/", payload, format="json")
    assert again.status_code == 409
    assert again.json()["fields"] == {
        "course": ["You have already answered the survey for this course run."]
    }


def test_api_survey_bad_input_gives_field_messages(csr):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    response = api.post(
        "/api/curriculum/surveys/", {"course": 999999, "content_score": 7}, format="json"
    )
    assert response.status_code == 400
    body = response.json()["fields"]
    assert set(body) >= {"course", "content_score", "format_score", "usefulness_score"}


def test_course_summary_page_shows_averages_and_comments(client, training_manager):
    # given
    course = CourseFactory()
    for scores, comment in [((5, 4, 3), "讲得好"), ((3, 4, 5), ""), ((4, 4, 4), "希望多些案例")]:
        SurveyResponseFactory(
            employee=UserFactory(),
            course=course,
            content_score=scores[0],
            format_score=scores[1],
            usefulness_score=scores[2],
            comment=comment,
        )
    client.force_login(training_manager)
    # when
    response = client.get(reverse("curriculum:evaluation_detail", args=[course.pk]))
    # then
    assert response.status_code == 200
    assert response.context["averages"] == {
        "count": 3,
        "content": 4.0,
        "format": 4.0,
        "usefulness": 4.0,
    }
    assert [r.comment for r in response.context["page"]] == ["希望多些案例", "讲得好"]


def test_course_summary_list_has_bounded_queries(
    client, training_manager, django_assert_max_num_queries
):
    for _ in range(30):
        course = CourseFactory()
        SurveyResponseFactory(employee=UserFactory(), course=course, content_score=5)
    client.force_login(training_manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("curriculum:evaluations"))
    assert response.status_code == 200
    first = response.context["page"].object_list[0]
    assert (first.survey_count, first.avg_content) == (1, 5.0)


def test_course_summary_comments_are_paginated(client, training_manager):
    course = CourseFactory()
    for i in range(55):
        SurveyResponseFactory(employee=UserFactory(), course=course, comment=f"意见{i}")
    client.force_login(training_manager)
    page2 = client.get(reverse("curriculum:evaluation_detail", args=[course.pk]), {"page": 2})
    assert len(page2.context["page"].object_list) == 5
