"""A locked course says why and offers no enrol button; a refused enrolment says so once."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_locked_course_shows_the_reason_and_no_enrol_button(client, learner, learning_map):
    client.force_login(learner)
    content = client.get(
        reverse("curriculum:course_detail", args=[learning_map.courses["I1"].pk])
    ).content.decode()
    assert "Complete stage 初级 first: 0 of 3 courses done." in content
    assert reverse("curriculum:course_enrol", args=[learning_map.courses["I1"].pk]) not in content


def test_an_open_course_still_offers_the_enrol_button(client, learner, learning_map):
    client.force_login(learner)
    content = client.get(
        reverse("curriculum:course_detail", args=[learning_map.courses["J1"].pk])
    ).content.decode()
    assert reverse("curriculum:course_enrol", args=[learning_map.courses["J1"].pk]) in content


def test_a_refused_enrolment_states_the_lock_reason_once(client, learner, learning_map):
    client.force_login(learner)
    response = client.post(reverse("curriculum:course_enrol", args=[learning_map.courses["I1"].pk]))
    assert response.status_code == 400
    assert response.content.decode().count("Complete stage 初级 first: 0 of 3 courses done.") == 1
