"""Training managers tag course questions through the API, outside the Django admin:
GET /api/curriculum/courses/<pk>/questions/ lists a course's questions with the competency
items each tests, GET/PATCH /api/curriculum/questions/<pk>/ reads and replaces one question's
items (curriculum.services.question_items_set). Data set: test_question_competency_items'
``tagged`` course on items A and B (q_c tests C, q_a tests A, q_1 and q_2 untagged)."""

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from curriculum import exam_items
from curriculum.models import Question
from curriculum.tests.factories import CourseFactory, QuestionFactory
from curriculum.tests.test_exam_evidence import NOW, write_course_attempt
from curriculum.tests.test_question_competency_items import tagged  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def listing(course):
    return reverse("api-curriculum-course-questions", args=[course.pk])


def one(question):
    return reverse("api-curriculum-question", args=[question.pk])


def codes(body):
    return [item["code"] for item in body["competency_items"]]


def items_of(question):
    return sorted(question.competency_items.values_list("code", flat=True))


def test_a_training_manager_lists_a_courses_questions_with_their_items(
    api,
    training_manager,
    tagged,  # noqa: F811
):
    course, _items, (q_c, q_a, q_1, q_2) = tagged
    QuestionFactory(course=CourseFactory())  # another course's question is not listed
    api.force_authenticate(training_manager)
    response = api.get(listing(course))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [(row["id"], codes(row)) for row in body["results"]] == [
        (q_c.pk, ["c"]),
        (q_a.pk, ["a"]),
        (q_1.pk, []),  # counts for the course's items
        (q_2.pk, []),
    ]
    # never the options, let alone the answer key
    text = json.dumps(body)
    assert "options" not in text and "is_correct" not in text
    assert api.get(reverse("api-curriculum-course-questions", args=[987654])).status_code == 404


@pytest.mark.parametrize("role", ["csr", "team_leader", "hr", "ops_manager", "reviewer"])
def test_only_training_managers_read_or_tag_questions(
    api,
    request,
    role,
    tagged,  # noqa: F811
):
    course, items, (q_c, *_rest) = tagged
    api.force_authenticate(request.getfixturevalue(role))
    assert api.get(listing(course)).status_code == 403
    assert api.get(one(q_c)).status_code == 403
    response = api.patch(one(q_c), {"competency_items": [items["a"].pk]}, format="json")
    assert response.status_code == 403
    assert items_of(q_c) == ["c"] and not LogEntry.objects.exists()


def test_anonymous_callers_are_refused(api, tagged):  # noqa: F811
    course, items, (q_c, *_rest) = tagged
    assert api.get(listing(course)).status_code in (401, 403)
    patched = api.patch(one(q_c), {"competency_items": [items["a"].pk]}, format="json")
    assert patched.status_code in (401, 403) and items_of(q_c) == ["c"]


def test_a_patch_replaces_the_items_and_is_kept_in_the_admin_history(
    api,
    training_manager,
    tagged,  # noqa: F811
):
    _course, items, (q_c, _q_a, q_1, _q_2) = tagged
    api.force_authenticate(training_manager)
    response = api.patch(
        one(q_1), {"competency_items": [items["b"].pk, items["c"].pk]}, format="json"
    )
    assert response.status_code == 200
    assert codes(response.json()) == ["b", "c"] and items_of(q_1) == ["b", "c"]
    assert codes(api.get(one(q_1)).json()) == ["b", "c"]
    # [] makes a question count for its course's items again
    assert codes(api.patch(one(q_c), {"competency_items": []}, format="json").json()) == []
    assert items_of(q_c) == []
    history = list(LogEntry.objects.order_by("pk"))
    assert [(e.object_id, e.user_id, e.action_flag) for e in history] == [
        (str(q_1.pk), training_manager.pk, CHANGE),
        (str(q_c.pk), training_manager.pk, CHANGE),
    ]
    # before and after, by code, in the history itself (q_1 was untagged; q_c tested C only)
    assert [e.get_change_message() for e in history] == [
        "Changed competency items: - -> b, c.",
        "Changed competency items: c -> -.",
    ]
    # the same items again: nothing changes, nothing is written
    api.patch(one(q_1), {"competency_items": [items["c"].pk, items["b"].pk]}, format="json")
    assert LogEntry.objects.count() == 2


@pytest.mark.parametrize(
    "payload, field, message",
    [
        (["UNKNOWN"], "competency_items", "No competency item has the id 987654."),
        (["A", "UNKNOWN"], "competency_items", "No competency item has the id 987654."),
        (["x"], "competency_items.0", "A valid integer is required."),
        ([0], "competency_items.0", "Ensure this value is greater than or equal to 1."),
        ("A", "competency_items", 'Expected a list of items but got type "str".'),
        (None, "competency_items", "This field is required."),
        (list(range(1, 52)), "competency_items", "Ensure this field has no more than 50 elements."),
    ],
)
def test_a_bad_patch_is_a_400_on_the_field_and_changes_nothing(
    api,
    training_manager,
    tagged,  # noqa: F811
    payload,
    field,
    message,
):
    _course, items, (q_c, *_rest) = tagged
    ids = {"A": items["a"].pk, "UNKNOWN": 987654}
    if isinstance(payload, list):
        body = {"competency_items": [ids.get(v, v) for v in payload]}
    else:
        body = {} if payload is None else {"competency_items": str(ids[payload])}
    api.force_authenticate(training_manager)
    response = api.patch(one(q_c), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {field: [message]}
    assert items_of(q_c) == ["c"] and not LogEntry.objects.exists()


def test_a_missing_question_is_404_and_put_or_delete_are_405(api, training_manager, tagged):  # noqa: F811
    _course, items, (q_c, *_rest) = tagged
    api.force_authenticate(training_manager)
    missing = reverse("api-curriculum-question", args=[987654])
    assert api.get(missing).status_code == 404
    assert api.patch(missing, {"competency_items": []}, format="json").status_code == 404
    assert api.put(one(q_c), {"competency_items": []}, format="json").status_code == 405
    assert api.delete(one(q_c)).status_code == 405
    assert Question.objects.filter(pk=q_c.pk).exists() and items_of(q_c) == ["c"]


def test_a_past_attempts_result_per_item_follows_the_new_tags(
    api,
    csr,
    training_manager,
    tagged,  # noqa: F811
):
    course, items, (q_c, q_a, q_1, q_2) = tagged
    # right: q_c, q_1; wrong: q_a, q_2 → a: q_a ✗ q_1 ✓ q_2 ✗ = 1/3, b: q_1 ✓ q_2 ✗ = 1/2,
    # c: q_c ✓ = 1/1
    attempt = write_course_attempt(
        csr, course, [(q_c, True), (q_a, False), (q_1, True), (q_2, False)], at=NOW
    )
    before = {r["code"]: (r["correct"], r["total"]) for r in exam_items.competency_scores(attempt)}
    assert before == {"a": (1, 3), "b": (1, 2), "c": (1, 1)}
    # when: the manager says q_1 tests C only
    api.force_authenticate(training_manager)
    assert (
        api.patch(one(q_1), {"competency_items": [items["c"].pk]}, format="json").status_code == 200
    )
    # then: a: q_a ✗ q_2 ✗ = 0/2, b: q_2 ✗ = 0/1, c: q_c ✓ q_1 ✓ = 2/2 — on the CSR's read too
    api.force_authenticate(csr)
    body = api.get(reverse("api-curriculum-exam", args=[attempt.pk])).json()
    assert [(r["code"], r["correct"], r["total"]) for r in body["competency_scores"]] == [
        ("a", 0, 2),
        ("b", 0, 1),
        ("c", 2, 2),
    ]


def test_the_listing_costs_the_same_queries_for_more_questions(
    api, training_manager, django_assert_num_queries
):
    from curriculum.tests.factories import CompetencyItemFactory

    item = CompetencyItemFactory()
    courses = []
    for size in (2, 12):
        course = CourseFactory()
        for _ in range(size):
            QuestionFactory(course=course).competency_items.set([item])
        courses.append(course)
    api.force_authenticate(training_manager)
    api.get(listing(courses[0]))  # the permission cache of the user
    for course in courses:
        # the course, the count, the page of questions, their items
        with django_assert_num_queries(4):
            assert api.get(listing(course)).status_code == 200


def test_the_service_itself_refuses_anyone_but_a_training_manager(csr, tagged):  # noqa: F811
    from curriculum import services

    _course, items, (q_c, *_rest) = tagged
    with pytest.raises(services.CurriculumPermissionDenied):
        services.question_items_set(question_id=q_c.pk, item_ids=[items["a"].pk], by=csr)
    assert items_of(q_c) == ["c"]
