import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from rest_framework.test import APIClient

from curriculum.models import AbilityElement, CallStep, Course, LearningMap, MapCourse
from curriculum.tests.factories import (
    CompetencyItemFactory,
    CourseFactory,
    PositionFamilyFactory,
    call_step,
)

pytestmark = pytest.mark.django_db


def test_six_call_steps_are_seeded_in_order():
    assert list(CallStep.objects.values_list("code", "name")) == [
        ("greeting", "问候"),
        ("listening", "倾听/识别需求"),
        ("confirming", "确认"),
        ("solving", "解决"),
        ("recommending", "推荐"),
        ("closing", "结束"),
    ]
    assert CallStep.objects.get(code="greeting").name_en == "Greeting"


def test_training_manager_group_holds_every_curriculum_permission():
    group = Group.objects.get(name="Training manager")
    codenames = set(
        group.permissions.filter(content_type__app_label="curriculum").values_list(
            "codename", flat=True
        )
    )
    for model in (
        "course",
        "learningmap",
        "mapstage",
        "maptopic",
        "mapcourse",
        "question",
        "callstep",
    ):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= codenames


@pytest.mark.parametrize(
    "scope, with_family, ok",
    [
        ("general", False, True),
        ("general", True, False),
        ("specific", True, True),
        ("specific", False, False),
    ],
)
def test_ability_element_has_a_family_exactly_when_position_specific(scope, with_family, ok):
    kwargs = {
        "call_step": call_step("solving"),
        "scope": scope,
        "name": "元素",
        "position_family": PositionFamilyFactory() if with_family else None,
    }
    if ok:
        AbilityElement.objects.create(**kwargs)
    else:
        with pytest.raises(IntegrityError):
            AbilityElement.objects.create(**kwargs)


@pytest.mark.parametrize("pass_mark", [0, 101])
def test_pass_mark_must_be_a_percentage(pass_mark):
    with pytest.raises(IntegrityError):
        CourseFactory(pass_mark_percent=pass_mark)


def test_catalogue_api_filters_by_priority_item_and_call_step(csr):
    item = CompetencyItemFactory()
    a = CourseFactory(code="A1", is_priority=True, items=[item])
    a.call_steps.add(call_step("greeting"))
    CourseFactory(code="B1")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)

    def codes(params):
        return [c["code"] for c in api.get("/api/curriculum/courses/", params).json()["results"]]

    assert codes({"priority": "true"}) == ["A1"]
    assert codes({"item": item.pk}) == ["A1"]
    assert codes({"call_step": "greeting"}) == ["A1"]
    assert codes({}) == ["A1", "B1"]
    detail = api.get(f"/api/curriculum/courses/{a.pk}/").json()
    assert detail["competency_items"][0]["code"] == item.code
    assert detail["call_steps"][0]["name"] == "问候"


def test_catalogue_api_rejects_a_non_numeric_item_filter(csr):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    response = api.get("/api/curriculum/courses/", {"item": "abc"})
    assert response.status_code == 400 and "item" in response.json()["fields"]


def test_catalogue_list_has_bounded_queries(client, csr, django_assert_max_num_queries):
    items = CompetencyItemFactory.create_batch(3)
    for _ in range(40):
        course = CourseFactory(items=items)
        course.call_steps.add(call_step("solving"))
    client.force_login(csr)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("curriculum:course_list"))
    assert response.status_code == 200 and len(response.context["page"].object_list) == 40


def test_catalogue_api_has_bounded_queries(csr, django_assert_max_num_queries):
    items = CompetencyItemFactory.create_batch(3)
    for _ in range(30):
        CourseFactory(items=items)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    with django_assert_max_num_queries(10):
        assert api.get("/api/curriculum/courses/").status_code == 200


def test_people_page_has_bounded_queries(client, training_manager, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    UserFactory.create_batch(30, roles=["CSR"])
    client.force_login(training_manager)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("curriculum:people")).status_code == 200


def test_my_map_page_has_bounded_queries(client, learner, django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("curriculum:my_map")).status_code == 200


@pytest.mark.parametrize(
    "model",
    [
        "learningmap",
        "mapstage",
        "maptopic",
        "course",
        "question",
        "enrolment",
        "surveyresponse",
        "examattempt",
        "behaviourrating",
        "improvementplanitem",
        "curriculumevent",
        "callstep",
        "abilityelement",
        "topic",
        "courserun",
    ],
)
def test_admin_changelists_open_for_training_managers(
    client, training_manager, learning_map, model
):
    client.force_login(training_manager)
    assert client.get(reverse(f"admin:curriculum_{model}_changelist")).status_code == 200


def test_admin_stage_page_edits_topic_order_inline(client, training_manager, learning_map):
    client.force_login(training_manager)
    stage = learning_map.stage_by_level["junior"]
    assert (
        client.get(reverse("admin:curriculum_mapstage_change", args=[stage.pk])).status_code == 200
    )
    topic = stage.map_topics.first()
    assert (
        client.get(reverse("admin:curriculum_maptopic_change", args=[topic.pk])).status_code == 200
    )


def test_demo_loads_a_map_with_twelve_courses_over_three_stages_and_is_repeatable():
    call_command("demo", force=True, stdout=io.StringIO())
    counts = (Course.objects.count(), MapCourse.objects.count())
    call_command("demo", force=True, stdout=io.StringIO())
    assert (Course.objects.count(), MapCourse.objects.count()) == counts
    learning_map = LearningMap.objects.get(position_family__code="hotline")
    assert [s.name for s in learning_map.stages.order_by("order")] == ["初级", "中级", "高级"]
    assert MapCourse.objects.filter(map_topic__stage__learning_map=learning_map).count() >= 12
    assert Course.objects.filter(competency_items__isnull=False).distinct().count() >= 12
    from accounts.models import User

    hb4 = User.objects.get(staff_id="HB0004")
    assert hb4.enrolments.filter(status="completed").count() == 10
    assert hb4.behaviour_ratings.exists() and hb4.improvement_plan_items.count() == 2
    assert User.objects.get(staff_id="HB0003").exam_attempts.filter(passed=True).exists()
