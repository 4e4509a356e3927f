"""Learning tied to the ladder: finished stages stay finished, reaction surveys open when
the run ends, a learning exam can open days after the course, and training incentives pay
exactly once per employee and course/stage."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import translation

from curriculum import selectors, services
from curriculum.models import CurriculumEvent, Enrolment, StageCompletion
from curriculum.tests.factories import (
    CourseFactory,
    CourseRunFactory,
    EnrolmentFactory,
    MapCourseFactory,
    QuestionFactory,
)
from points.models import PointRule, PointsEntry

pytestmark = pytest.mark.django_db


def complete(employee, *courses):
    for course in courses:
        enrolment = Enrolment.objects.filter(employee=employee, course=course).first()
        enrolment = enrolment or EnrolmentFactory(employee=employee, course=course)
        services.enrolment_complete(enrolment=enrolment, actor=employee)


def progress_of(employee):
    return selectors.map_progress(
        employee=employee, learning_map=selectors.learning_map_for_employee(employee)
    )


def switch_on(code, **amounts):
    PointRule.objects.filter(code=code).update(active=True, **amounts)


# --- finished stages stay finished -------------------------------------------------------------


def test_adding_a_course_to_a_finished_stage_does_not_relock_the_next_stage(learner, learning_map):
    # given: 初级 finished, a 中级 course in progress
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    services.enrolment_create(employee=learner, course=c["I1"])
    # when: a training manager adds a course to 初级
    added = CourseFactory(code="J4")
    MapCourseFactory(
        map_topic=learning_map.stage_by_level["junior"].map_topics.first(), course=added
    )
    # then
    progress = progress_of(learner)
    junior, intermediate = progress.stages[0], progress.stages[1]
    assert (junior.state, junior.is_complete, junior.new_count) == ("done", True, 1)
    assert intermediate.state == "in_progress" and intermediate.locked_reason == ""
    assert [c.state for t in junior.topics for c in t.courses if c.course == added] == ["new"]
    # the second 中级 course is still open for enrolment
    assert (
        services.enrolment_create(employee=learner, course=c["I2"]).status
        == Enrolment.Status.ENROLLED
    )
    # and the new course itself can be taken
    assert services.enrolment_create(employee=learner, course=added).course == added


def test_an_unfinished_stage_still_needs_a_course_added_to_it(learner, learning_map):
    # given: 初级 not finished (2 of 3)
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"])
    added = CourseFactory(code="J4")
    MapCourseFactory(
        map_topic=learning_map.stage_by_level["junior"].map_topics.first(), course=added
    )
    # when
    complete(learner, c["J3"])
    # then: the added course is a normal requirement, the stage is not finished
    assert StageCompletion.objects.filter(employee=learner).count() == 0
    with pytest.raises(
        services.CurriculumError, match="Complete stage 初级 first: 3 of 4 courses done."
    ):
        services.enrolment_create(employee=learner, course=c["I1"])


def test_stage_completion_is_recorded_once(learner, learning_map):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    completion = StageCompletion.objects.get(employee=learner)
    assert completion.stage == learning_map.stage_by_level["junior"]
    assert CurriculumEvent.objects.filter(employee=learner, kind="stage_completed").count() == 1


def test_map_page_shows_the_new_course(client, learner, learning_map):
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    new = CourseFactory(code="J4", title="新增课程")
    MapCourseFactory(map_topic=learning_map.stage_by_level["junior"].map_topics.first(), course=new)
    client.force_login(learner)
    body = client.get(reverse("curriculum:my_map")).content.decode()
    assert 'state-new">New' in body and 'state-done">Done' in body
    link = reverse("curriculum:course_detail", args=[new.pk])
    assert f'<a href="{link}">新增课程</a>' in body
    body = client.get(reverse("curriculum:my_map"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert 'state-new">新'.encode() in body


# --- reaction survey opens when the run ends ------------------------------------------------


def answer(employee, course):
    return services.survey_response_create(
        employee=employee, course=course, content_score=4, format_score=4, usefulness_score=4
    )


@pytest.mark.parametrize(
    ("today", "opens"),
    [(dt.date(2026, 5, 30), False), (dt.date(2026, 5, 31), True), (dt.date(2026, 6, 1), True)],
)
def test_survey_opens_on_the_last_day_of_the_run_not_before(csr, today, opens):
    # given
    run = CourseRunFactory(starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 31))
    EnrolmentFactory(employee=csr, course=run.course, run=run)
    # when / then
    with time_machine.travel(dt.datetime.combine(today, dt.time(4), tzinfo=dt.UTC), tick=False):
        if opens:
            assert answer(csr, run.course).run == run
        else:
            with pytest.raises(
                services.CurriculumError,
                match="The survey opens when the course run ends, on 2026-05-31.",
            ):
                answer(csr, run.course)


def test_self_paced_survey_opens_only_after_completion(csr):
    course = CourseFactory()
    enrolment = EnrolmentFactory(employee=csr, course=course)
    with pytest.raises(
        services.CurriculumError, match="The survey opens when you have completed the course."
    ):
        answer(csr, course)
    services.enrolment_complete(enrolment=enrolment, actor=csr)
    assert answer(csr, course).run is None


def test_api_refuses_an_early_survey_with_a_field_message(api, csr):
    run = CourseRunFactory(starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 31))
    EnrolmentFactory(employee=csr, course=run.course, run=run)
    api.force_authenticate(csr)
    with time_machine.travel(dt.datetime(2026, 5, 10, 4, tzinfo=dt.UTC), tick=False):
        response = api.post(
            "/api/curriculum/surveys/",
            {"course": run.course.pk, "content_score": 5, "format_score": 5, "usefulness_score": 5},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "course": ["The survey opens when the course run ends, on 2026-05-31."]
    }


# --- learning exam some time after the course -------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "today", "opens"),
    [
        (None, dt.date(2026, 5, 2), True),  # no delay: open during the run
        (0, dt.date(2026, 5, 30), False),  # at the end: not before the last day
        (0, dt.date(2026, 5, 31), True),
        (14, dt.date(2026, 6, 13), False),  # 14 days later
        (14, dt.date(2026, 6, 14), True),
    ],
)
def test_exam_opens_the_set_number_of_days_after_the_run(csr, delay, today, opens):
    run = CourseRunFactory(
        starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 31), exam_opens_after_days=delay
    )
    QuestionFactory(course=run.course)
    EnrolmentFactory(employee=csr, course=run.course, run=run)
    with time_machine.travel(dt.datetime.combine(today, dt.time(4), tzinfo=dt.UTC), tick=False):
        if opens:
            assert services.exam_attempt_start(employee=csr, course=run.course).pk
        else:
            expected = run.exam_opens_on().isoformat()
            with pytest.raises(
                services.CurriculumError, match=f"The exam of this course opens on {expected}."
            ):
                services.exam_attempt_start(employee=csr, course=run.course)


def test_exam_page_refuses_an_early_start_with_the_date(client, csr):
    run = CourseRunFactory(
        starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 31), exam_opens_after_days=7
    )
    QuestionFactory(course=run.course)
    EnrolmentFactory(employee=csr, course=run.course, run=run)
    client.force_login(csr)
    with time_machine.travel(dt.datetime(2026, 6, 2, 4, tzinfo=dt.UTC), tick=False):
        response = client.post(reverse("curriculum:course_exam", args=[run.course.pk]))
    assert response.status_code == 400
    assert "The exam of this course opens on 2026-06-07." in response.content.decode()


# --- training incentives -------------------------------------------------------------------


def test_incentive_rules_are_seeded_switched_off_with_a_maximum():
    rules = {
        r.code: r
        for r in PointRule.objects.filter(
            code__in=["priority_course_completed", "map_stage_completed"]
        )
    }
    assert {code: (r.active, r.max_amount) for code, r in rules.items()} == {
        "priority_course_completed": (False, 20),
        "map_stage_completed": (False, 50),
    }


def test_switched_off_incentives_pay_nothing(learner, learning_map):
    learning_map.courses["J1"].is_priority = True
    learning_map.courses["J1"].save()
    c = learning_map.courses
    complete(learner, c["J1"], c["J2"], c["J3"])
    assert not PointsEntry.objects.filter(employee=learner).exists()


def test_priority_course_and_finished_stage_pay_their_rule_once(learner, learning_map):
    # given
    switch_on("priority_course_completed", default_amount=8)
    switch_on("map_stage_completed", default_amount=30)
    c = learning_map.courses
    c["J1"].is_priority = True
    c["J1"].save()
    # when
    complete(learner, c["J1"], c["J2"], c["J3"])
    # then: 8 for the priority course, nothing for the ordinary ones, 30 for the stage
    rows = sorted(PointsEntry.objects.filter(employee=learner).values_list("rule__code", "amount"))
    assert rows == [("map_stage_completed", 30), ("priority_course_completed", 8)]


def test_completing_again_after_an_undo_or_a_new_enrolment_pays_nothing_more(learner, learning_map):
    # given: paid once
    switch_on("priority_course_completed")
    switch_on("map_stage_completed")
    c = learning_map.courses
    c["J1"].is_priority = True
    c["J1"].save()
    complete(learner, c["J1"], c["J2"], c["J3"])
    paid = PointsEntry.objects.filter(employee=learner).balance()
    # when: the completion is undone (a manager's fix) and recorded again
    Enrolment.objects.filter(employee=learner, course=c["J1"]).update(
        status="enrolled", completed_at=None, completed_by=""
    )
    complete(learner, c["J1"])
    # and: the enrolment is deleted, the stage record too, and everything is done once more
    Enrolment.objects.filter(employee=learner, course=c["J1"]).delete()
    StageCompletion.objects.filter(employee=learner).delete()
    services.enrolment_create(employee=learner, course=c["J1"])
    complete(learner, c["J1"])
    # then
    assert StageCompletion.objects.filter(employee=learner).count() == 1
    assert PointsEntry.objects.filter(employee=learner).balance() == paid
    assert PointsEntry.objects.filter(employee=learner).count() == 2


def test_completing_twice_in_a_row_is_refused_and_pays_once(learner, learning_map):
    switch_on("priority_course_completed")
    course = learning_map.courses["J1"]
    course.is_priority = True
    course.save()
    enrolment = EnrolmentFactory(employee=learner, course=course)
    services.enrolment_complete(enrolment=enrolment, actor=learner)
    with pytest.raises(services.CurriculumConflict):
        services.enrolment_complete(enrolment=enrolment, actor=learner)
    assert PointsEntry.objects.filter(employee=learner).count() == 1


def test_a_misconfigured_rule_does_not_block_the_completion(learner, learning_map):
    switch_on("priority_course_completed", default_amount=None)
    course = learning_map.courses["J1"]
    course.is_priority = True
    course.save()
    enrolment = EnrolmentFactory(employee=learner, course=course)
    services.enrolment_complete(enrolment=enrolment, actor=learner)
    enrolment.refresh_from_db()
    assert enrolment.is_completed
    assert not PointsEntry.objects.filter(employee=learner).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_completions_pay_exactly_once():
    # given
    from accounts.tests.factories import UserFactory

    switch_on("priority_course_completed")
    employee = UserFactory(roles=["CSR"])
    course = CourseFactory(is_priority=True)
    enrolment = EnrolmentFactory(employee=employee, course=course)
    barrier = threading.Barrier(4)
    errors = []

    def finish():
        try:
            with translation.override("en"):
                barrier.wait()
                services.enrolment_complete(enrolment=enrolment, actor=employee)
        except services.CurriculumConflict:
            pass
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=finish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert errors == []
    assert PointsEntry.objects.filter(employee=employee).count() == 1
