import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from curriculum import selectors, services
from curriculum.models import CurriculumEvent, Enrolment
from curriculum.tests.factories import CourseFactory, EnrolmentFactory

pytestmark = pytest.mark.django_db


def complete(employee, *courses):
    for course in courses:
        enrolment = Enrolment.objects.filter(employee=employee, course=course).first()
        enrolment = enrolment or EnrolmentFactory(employee=employee, course=course)
        services.enrolment_complete(enrolment=enrolment, actor=employee)


def states(progress):
    return {s.stage.name: s.state for s in progress.stages}


def test_new_learner_sees_first_stage_open_and_later_stages_locked_with_reason(
    learner, learning_map
):
    # when
    progress = selectors.map_progress(
        employee=learner, learning_map=selectors.learning_map_for_employee(learner)
    )
    # then
    assert states(progress) == {"初级": "not_started", "中级": "locked", "高级": "locked"}
    assert progress.stages[1].locked_reason == "Complete stage 初级 first: 0 of 3 courses done."
    assert progress.stages[2].locked_reason == "Complete stage 初级 first: 0 of 3 courses done."
    assert [c.state for t in progress.stages[1].topics for c in t.courses] == ["locked", "locked"]


def test_progress_marks_done_in_progress_and_reason_counts_done_courses(learner, learning_map):
    # given
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"])
    EnrolmentFactory(employee=learner, course=c["J3"])
    # when
    progress = selectors.map_progress(
        employee=learner, learning_map=selectors.learning_map_for_employee(learner)
    )
    # then
    junior = progress.stages[0]
    assert junior.state == "in_progress"
    assert [t.state for t in junior.topics] == ["done", "in_progress"]
    assert (junior.done_count, junior.total_count) == (2, 3)
    assert progress.stages[1].locked_reason == "Complete stage 初级 first: 2 of 3 courses done."


def test_completing_a_stage_unlocks_the_next_one_only(learner, learning_map):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    progress = selectors.map_progress(
        employee=learner, learning_map=selectors.learning_map_for_employee(learner)
    )
    assert states(progress) == {"初级": "done", "中级": "not_started", "高级": "locked"}
    assert progress.stages[2].locked_reason == "Complete stage 中级 first: 0 of 2 courses done."


def test_enrolment_in_a_locked_stage_is_refused_by_the_service(learner, learning_map):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"])
    with pytest.raises(services.CurriculumError) as error:
        services.enrolment_create(employee=learner, course=c["I1"])
    assert error.value.message == "Complete stage 初级 first: 2 of 3 courses done."
    assert not Enrolment.objects.filter(employee=learner, course=c["I1"]).exists()


def test_enrolment_in_the_next_stage_is_allowed_once_the_previous_is_complete(
    learner, learning_map
):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    enrolment = services.enrolment_create(employee=learner, course=c["I1"])
    assert enrolment.status == Enrolment.Status.ENROLLED
    assert CurriculumEvent.objects.filter(
        employee=learner, kind="enrolled", course=c["I1"]
    ).exists()


def test_senior_stage_needs_every_earlier_stage_not_just_the_previous(learner, learning_map):
    # given: intermediate done through admin, junior still missing a course
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["I1"], c["I2"])
    # then
    with pytest.raises(
        services.CurriculumError, match="Complete stage 初级 first: 2 of 3 courses done."
    ):
        services.enrolment_create(employee=learner, course=c["S1"])


def test_courses_off_the_map_are_free_electives(learner, learning_map):
    elective = CourseFactory()
    assert services.enrolment_create(employee=learner, course=elective).course == elective


def test_enrolling_twice_is_refused_with_a_message(learner, learning_map):
    services.enrolment_create(employee=learner, course=learning_map.courses["J1"])
    with pytest.raises(
        services.CurriculumConflict, match="You are already enrolled in this course."
    ):
        services.enrolment_create(employee=learner, course=learning_map.courses["J1"])


def test_inactive_course_is_not_open_for_enrolment(learner):
    course = CourseFactory(is_active=False)
    with pytest.raises(services.CurriculumError, match="This course is not open for enrolment."):
        services.enrolment_create(employee=learner, course=course)


def test_completing_the_last_course_of_a_stage_records_a_stage_completion_event(
    learner, learning_map
):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"])
    assert not CurriculumEvent.objects.filter(kind="stage_completed").exists()
    complete(learner, c["J3"])
    event = CurriculumEvent.objects.get(kind="stage_completed")
    assert event.detail["stage"] == "初级"


def test_completing_twice_is_refused(learner, learning_map):
    complete(learner, learning_map.courses["J1"])
    enrolment = Enrolment.objects.get(employee=learner, course=learning_map.courses["J1"])
    with pytest.raises(services.CurriculumConflict, match="This enrolment is already completed."):
        services.enrolment_complete(enrolment=enrolment, actor=learner)


def test_enrol_page_answers_400_with_the_lock_reason(client, learner, learning_map):
    client.force_login(learner)
    response = client.post(reverse("curriculum:course_enrol", args=[learning_map.courses["I1"].pk]))
    assert response.status_code == 400
    assert "Complete stage 初级 first: 0 of 3 courses done." in response.content.decode()


def test_enrol_page_enrols_and_redirects(client, learner, learning_map):
    client.force_login(learner)
    response = client.post(reverse("curriculum:course_enrol", args=[learning_map.courses["J1"].pk]))
    assert response.status_code == 302
    assert Enrolment.objects.filter(employee=learner, course=learning_map.courses["J1"]).exists()


def test_my_map_page_shows_locked_reason(client, learner, learning_map):
    client.force_login(learner)
    content = client.get(reverse("curriculum:my_map")).content.decode()
    assert "Complete stage 初级 first: 0 of 3 courses done." in content
    assert 'id="stage-senior"' in content


def test_api_enrolment_in_locked_stage_is_400_with_field_message(learner, learning_map):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(learner)
    response = api.post("/api/curriculum/enrolments/", {"course": learning_map.courses["S1"].pk})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "course": ["Complete stage 初级 first: 0 of 3 courses done."]
    }


def test_api_my_map_lists_stage_states(learner, learning_map):
    complete(learner, learning_map.courses["J1"])
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(learner)
    body = api.get("/api/curriculum/my/map/").json()
    assert [s["state"] for s in body["stages"]] == ["in_progress", "locked", "locked"]
    assert body["stages"][0]["topics"][0]["courses"][0] == {
        "course": {
            "id": learning_map.courses["J1"].pk,
            "code": "J1",
            "title": "课程J1",
            "is_priority": False,
        },
        "state": "done",
    }
