"""The learning-map page reads the map's tree from the cache, and every change shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum.models import MapCourse

pytestmark = pytest.mark.django_db


def page(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("curriculum:my_map"))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_second_view_of_the_map_does_not_read_the_tree_again(client, learner, learning_map):
    client.force_login(learner)
    page(client)  # permissions and the tree are cached by the first view
    _, first = page(client)
    learning_map.courses["J1"].save()  # any change of the tree forgets the cached copy
    _, after_change = page(client)
    _, again = page(client)
    assert after_change >= first + 4  # map, stages, topics, courses read again
    assert again == first


def test_a_renamed_course_and_a_removed_course_show_at_once(client, learner, learning_map):
    client.force_login(learner)
    assert "课程J1" in page(client)[0]
    course = learning_map.courses["J1"]
    course.title = "新名字课程"
    course.save()
    body = page(client)[0]
    assert "新名字课程" in body and "课程J1" not in body
    MapCourse.objects.filter(course=learning_map.courses["J2"]).delete()
    assert "课程J2" not in page(client)[0]


def test_enrolment_rules_read_the_database_not_the_cached_page_tree(learner, learning_map):
    from curriculum import selectors

    cached = selectors.learning_map_for_employee(learner, cached=True)
    with CaptureQueriesContext(connection) as queries:
        fresh = selectors.learning_map_for_employee(learner)
    assert fresh.pk == cached.pk and len(queries) >= 4
