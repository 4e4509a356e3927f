import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from promotion.models import ExamAttempt, Mentorship
from promotion.tests.factories import correct_answers, make_test_cases, ready_for

pytestmark = pytest.mark.django_db


def test_my_level_and_checklist(api, csr, hr, django_assert_max_num_queries):
    api.force_authenticate(csr)
    with django_assert_max_num_queries(15):
        body = api.get(reverse("api-promotion-me")).json()
    assert (body["level"], body["title"], body["next_level"], body["all_met"]) == (
        0,
        "小学生",
        1,
        False,
    )
    assert body["checklist"][0] == {
        "code": "points",
        "met": False,
        "label": "Points earned since your last level change",
        "detail": "0 / 800 points",
    }
    assert api.post(reverse("api-promotion-me")).status_code == 405
    api.force_authenticate(hr)
    assert api.get(reverse("api-promotion-me")).status_code == 403


def test_exam_start_hides_answers_and_submit_returns_the_score(api, csr, hr):
    make_test_cases(1, 10)
    api.force_authenticate(csr)
    response = api.post(reverse("api-promotion-exam-start"), {"level": 1}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["questions"] and all("answer" not in q for q in body["questions"])
    assert body["feedback"] == {"by_kind": [], "by_category": []}
    assert "answer" not in str(
        api.get(reverse("api-promotion-exam", args=[body["id"]])).json()["questions"]
    )
    attempt = ExamAttempt.objects.get(pk=body["id"])
    response = api.post(
        reverse("api-promotion-exam-submit", args=[attempt.pk]),
        {"answers": correct_answers(attempt)},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["score_percent"]) == ("passed", "100.0")
    assert (
        response.json()["questions"] == []
    )  # no test-case questions, options or keys after submission
    again = api.post(
        reverse("api-promotion-exam-submit", args=[attempt.pk]), {"answers": {}}, format="json"
    )
    assert again.status_code == 409 and again.json() == {
        "detail": "This exam was already submitted.",
        "code": "already_submitted",
    }
    assert api.get(reverse("api-promotion-exam-start")).status_code == 405
    assert api.get(reverse("api-promotion-exam-submit", args=[attempt.pk])).status_code == 405
    assert (
        api.post(
            reverse("api-promotion-exam-submit", args=[attempt.pk + 9]),
            {"answers": {}},
            format="json",
        ).status_code
        == 404
    )
    assert api.get(reverse("api-promotion-exam", args=[attempt.pk + 9])).status_code == 404
    assert (
        api.post(reverse("api-promotion-exam-start"), {"level": 3}, format="json").status_code
        == 400
    )
    assert (
        api.post(reverse("api-promotion-exam-start"), {"level": "x"}, format="json").status_code
        == 400
    )
    api.force_authenticate(hr)
    assert (
        api.post(reverse("api-promotion-exam-start"), {"level": 1}, format="json").status_code
        == 403
    )
    other = UserFactory(roles=["CSR"])
    api.force_authenticate(other)
    assert api.get(reverse("api-promotion-exam", args=[attempt.pk])).status_code == 404


def test_promote_request_lists_missing_requirements_then_promotes(api, csr, hr):
    api.force_authenticate(csr)
    response = api.post(reverse("api-promotion-promote"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": (
            "Promotion to level 1 is not possible yet. Missing: "
            "Points earned since your last level change (0 / 800 points); "
            "Level-1 exam passed (Not passed yet (pass mark 80%)); "
            "Query-time result allows level 1 (No finished query-time test)."
        ),
    }
    ready_for(csr, 1)
    response = api.post(reverse("api-promotion-promote"), {}, format="json")
    assert response.status_code == 200 and response.json()["to_level"] == 1
    assert api.get(reverse("api-promotion-promote")).status_code == 405
    api.force_authenticate(hr)
    assert api.post(reverse("api-promotion-promote"), {}, format="json").status_code == 403


def test_promote_someone_else_needs_a_manager(api, csr, reviewer, ops_manager):
    api.force_authenticate(reviewer)
    assert (
        api.post(
            reverse("api-promotion-promote"), {"staff_id": csr.staff_id}, format="json"
        ).status_code
        == 403
    )
    api.force_authenticate(ops_manager)
    assert (
        api.post(
            reverse("api-promotion-promote"), {"staff_id": "NOBODY"}, format="json"
        ).status_code
        == 404
    )
    response = api.post(reverse("api-promotion-promote"), {"staff_id": csr.staff_id}, format="json")
    assert response.status_code == 400 and response.json()["detail"].startswith(
        "Promotion to level 1 is not"
    )


def test_rosters_api_for_hr(api, hr, csr, django_assert_max_num_queries):
    from promotion.services.levels import promotion_history_backfill

    user = UserFactory(level=1)
    promotion_history_backfill(
        employee=user, kind="promoted", from_level=0, to_level=1, at=user.date_joined
    )
    api.force_authenticate(hr)
    with django_assert_max_num_queries(6):
        body = api.get(reverse("api-promotion-rosters"), {"event": "promoted"}).json()
    assert body["count"] == 1 and body["results"][0]["staff_id"] == user.staff_id
    assert api.get(reverse("api-promotion-rosters"), {"event": "bad"}).status_code == 400
    assert api.get(reverse("api-promotion-rosters"), {"date_from": "nope"}).status_code == 400
    assert api.post(reverse("api-promotion-rosters")).status_code == 405
    api.force_authenticate(csr)
    assert api.get(reverse("api-promotion-rosters")).status_code == 403


def test_mentorship_create_api_for_managers(api, csr, ops_manager, reviewer):
    mentor = UserFactory(level=3)
    api.force_authenticate(ops_manager)
    url = reverse("api-promotion-mentorships")
    response = api.post(url, {"mentor": mentor.staff_id, "apprentice": csr.staff_id}, format="json")
    assert response.status_code == 201 and response.json()["from_level"] == 0
    again = api.post(url, {"mentor": mentor.staff_id, "apprentice": csr.staff_id}, format="json")
    assert (
        again.status_code == 409 and again.json()["detail"] == f"{csr.name} already has a mentor."
    )
    assert (
        api.post(url, {"mentor": "NOBODY", "apprentice": csr.staff_id}, format="json").status_code
        == 404
    )
    assert api.get(url).status_code == 405
    api.force_authenticate(reviewer)
    assert (
        api.post(
            url, {"mentor": mentor.staff_id, "apprentice": csr.staff_id}, format="json"
        ).status_code
        == 403
    )
    assert Mentorship.objects.count() == 1
