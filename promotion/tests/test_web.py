import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.navigation import navigation_for
from accounts.tests.factories import UserFactory
from promotion.models import ExamAttempt, Mentorship, Notification, PromotionEvent
from promotion.services.levels import employee_demote, employee_promote
from promotion.services.notifications import notification_send
from promotion.tests.factories import make_test_cases, pass_exam, ready_for

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_my_level_shows_badge_checklist_and_no_request_button_until_everything_is_met(
    client, csr, django_assert_max_num_queries
):
    login(client, csr)
    # 21 = 20 before + the query-time settings row the counting rule needs (single-row
    # settings are read once per request; caching them is the performance work's job);
    # + 3 for the forecast's pace (points, studies, apprentices of the last 90 days: the
    # checklist itself is read once, by the forecast)
    with django_assert_max_num_queries(24):
        response = client.get(reverse("promotion:my_level"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "L0 pupil" in html and 'id="checklist"' in html and "0 / 800 points" in html
    assert 'id="request-promotion"' not in html
    ready_for(csr, 1)
    html = client.get(reverse("promotion:my_level")).content.decode()
    assert 'id="request-promotion"' in html


def test_my_level_is_in_chinese_by_default(csr):
    client = Client()
    client.force_login(csr)
    html = client.get(reverse("promotion:my_level")).content.decode()
    assert "小学生" in html


def test_requesting_promotion_from_the_checklist(client, csr):
    login(client, csr)
    response = client.post(reverse("promotion:promote_request"), follow=True)
    assert "Promotion to level 1 is not possible yet." in response.content.decode()
    ready_for(csr, 1)
    response = client.post(reverse("promotion:promote_request"), follow=True)
    assert "You were promoted to level 1." in response.content.decode()
    csr.refresh_from_db()
    assert csr.level == 1


def test_my_level_shows_the_demotion_reason(client, csr):
    csr.level = 1
    csr.save()
    employee_demote(employee=csr, reasons=[{"code": "retest_exam", "params": {"level": 1}}])
    html = login(client, csr).get(reverse("promotion:my_level")).content.decode()
    assert 'id="demotion"' in html and "no passed level-1 re-test exam" in html


def test_level_pages_need_study_and_reject_wrong_methods(client, hr):
    login(client, hr)
    for name in ("promotion:my_level", "promotion:exam_home"):
        assert client.get(reverse(name)).status_code == 403
    for name in ("promotion:promote_request", "promotion:exam_start"):
        assert client.post(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    "name, method",
    [
        ("promotion:my_level", "post"),
        ("promotion:exam_home", "post"),
        ("promotion:promote_request", "get"),
        ("promotion:exam_start", "get"),
        ("promotion:notifications", "post"),
        ("promotion:mentoring", "post"),
    ],
)
def test_wrong_methods_are_405(client, csr, name, method):
    login(client, csr)
    assert getattr(client, method)(reverse(name)).status_code == 405


def test_exam_flow_in_the_browser_never_shows_answers_before_submission(client, csr):
    # given
    make_test_cases(1, 10)
    login(client, csr)
    assert client.get(reverse("promotion:exam_home")).status_code == 200
    # when: start
    response = client.post(reverse("promotion:exam_start"), {"level": 1})
    attempt = ExamAttempt.objects.get(employee=csr)
    assert response.status_code == 302 and response["Location"] == reverse(
        "promotion:exam_take", args=[attempt.pk]
    )
    html = client.get(response["Location"]).content.decode()
    # then: the question page has the options but not which one is right
    assert 'name="q1"' in html and '"answer"' not in html and "Correct answer" not in html
    # when: submit all answers
    answers = {q["id"]: q["answer"] for q in attempt.questions}
    response = client.post(
        reverse("promotion:exam_submit", args=[attempt.pk]), answers, follow=True
    )
    assert "100.0%" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == "passed"
    assert client.get(reverse("promotion:exam_take", args=[attempt.pk + 999])).status_code == 404


def test_an_exam_of_someone_else_is_404(client, csr):
    make_test_cases(1, 10)
    other = UserFactory(roles=["CSR"])
    attempt = pass_exam(other, 1)
    login(client, csr)
    assert client.get(reverse("promotion:exam_take", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("promotion:exam_submit", args=[attempt.pk])).status_code == 404


def test_bad_exam_start_input_is_a_message_not_a_500(client, csr):
    login(client, csr)
    response = client.post(reverse("promotion:exam_start"), {"level": "x"}, follow=True)
    assert response.status_code == 200 and "Choose a level." in response.content.decode()
    response = client.post(reverse("promotion:exam_start"), {"level": 3}, follow=True)
    assert "You can sit the exam of your next level" in response.content.decode()


def test_certificate_is_printable_for_the_employee_and_hr_only(client, csr, hr, reviewer):
    ready_for(csr, 1)
    event = employee_promote(employee=csr, to_level=1)
    url = reverse("promotion:certificate", args=[event.pk])
    html = login(client, csr).get(url).content.decode()
    assert (
        "/static/promotion/certificate.css" in html
        and "Certificate of promotion" in html
        and csr.name in html
    )
    assert (
        "@media print"
        in (settings.BASE_DIR / "promotion/static/promotion/certificate.css").read_text()
    )
    assert login(client, hr).get(url).status_code == 200
    assert login(client, reviewer).get(url).status_code == 403
    assert client.get(reverse("promotion:certificate", args=[event.pk + 99])).status_code == 404
    assert login(client, hr).post(url).status_code == 405


def test_managers_pair_mentors_and_mentors_see_apprentices(
    client, csr, ops_manager, django_assert_max_num_queries
):
    mentor = UserFactory(level=2, roles=["CSR"])
    login(client, ops_manager)
    response = client.post(
        reverse("promotion:mentorship_create"),
        {"mentor": mentor.staff_id, "apprentice": csr.staff_id},
        follow=True,
    )
    assert "The mentorship was created." in response.content.decode()
    response = client.post(
        reverse("promotion:mentorship_create"),
        {"mentor": csr.staff_id, "apprentice": mentor.staff_id},
        follow=True,
    )
    assert "Level 0 employees cannot take apprentices." in response.content.decode()
    response = client.post(
        reverse("promotion:mentorship_create"),
        {"mentor": "NOPE", "apprentice": csr.staff_id},
        follow=True,
    )
    assert "Unknown staff ID: NOPE." in response.content.decode()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("promotion:mentoring")).status_code == 200
    login(client, mentor)
    assert csr.name in client.get(reverse("promotion:mentoring")).content.decode()
    assert client.post(reverse("promotion:mentorship_create"), {}).status_code == 403
    pair = Mentorship.objects.get()
    assert client.post(reverse("promotion:mentorship_end", args=[pair.pk])).status_code == 403
    login(client, ops_manager)
    client.post(reverse("promotion:mentorship_end", args=[pair.pk]))
    pair.refresh_from_db()
    assert pair.ended_at is not None
    assert client.post(reverse("promotion:mentorship_end", args=[pair.pk + 99])).status_code == 404


def test_mentoring_page_is_403_without_study_or_management(client, hr):
    assert login(client, hr).get(reverse("promotion:mentoring")).status_code == 403


def test_a_manager_promotes_an_employee_whose_requirements_are_met(client, csr, ops_manager):
    login(client, ops_manager)
    response = client.post(
        reverse("promotion:manager_promote"), {"employee": csr.staff_id}, follow=True
    )
    assert "Promotion to level 1 is not possible yet." in response.content.decode()
    ready_for(csr, 1)
    client.post(reverse("promotion:manager_promote"), {"employee": csr.staff_id})
    assert PromotionEvent.objects.get(employee=csr).decided_by == ops_manager


def test_notifications_list_and_mark_read(client, csr):
    notification_send(recipient=csr, kind="kept", data={"level": 1}, key="k1")
    login(client, csr)
    html = client.get(reverse("promotion:my_level")).content.decode()
    assert 'id="unread">1<' in html
    html = client.get(reverse("promotion:notifications")).content.decode()
    assert "You kept level 1" in html
    client.post(reverse("promotion:notifications_read"))
    assert Notification.objects.get().read_at is not None


def test_medals_page_for_managers(client, csr, ops_manager):
    login(client, csr)
    assert client.get(reverse("promotion:medals")).status_code == 403
    login(client, ops_manager)
    assert client.get(reverse("promotion:medals")).status_code == 200
    from promotion.models import Medal, MedalAward

    response = client.post(
        reverse("promotion:medal_award"),
        {"medal": Medal.objects.first().pk, "employee": csr.staff_id, "reason": "贡献突出"},
        follow=True,
    )
    assert "The medal was awarded." in response.content.decode()
    assert client.get(reverse("promotion:medal_award")).status_code == 405
    own = client.post(
        reverse("promotion:medal_award"),
        {"medal": Medal.objects.first().pk, "employee": ops_manager.staff_id, "reason": "自评"},
    )
    assert own.status_code == 403
    assert not MedalAward.objects.filter(employee=ops_manager).exists()


def test_navigation_entries_follow_permissions(csr, hr):
    labels = {str(i["label"]) for i in navigation_for(csr)}
    assert {"My level", "Mentoring"} <= labels and "Rosters" not in labels
    assert "Rosters" in {str(i["label"]) for i in navigation_for(hr)}
