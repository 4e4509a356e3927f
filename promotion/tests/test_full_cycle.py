"""The whole ladder across apps, with the real services of every app and no mocks:
points (ledger rules), case study (casebase), exams drawn from casebase test cases,
the KB query-time test (knowledgebase, timed with time_machine), promotion, mentoring,
and the daily retention task demoting after a failed retention year."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.services import case_mark_studied
from casebase.tests.factories import CaseFactory
from points.selectors import points_balance
from points.services import points_award
from promotion import selectors, services
from promotion.models import Notification, PromotionEvent, RetentionPeriod
from promotion.tasks import retention_daily_task
from promotion.tests.factories import correct_answers, sit_query_test

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def earn_800_points(employee, tag: str) -> None:
    """Real rules: 30 committee case reviews (20 each) + 40 KB-revision reviews (5 each)."""
    for n in range(30):
        points_award(employee=employee, rule_code="committee_case_review", source=f"case-review:{tag}:{n}")
    for n in range(40):
        points_award(employee=employee, rule_code="committee_kb_review", source=f"kb-review:{tag}:{n}")


def study_level(employee, level: int) -> None:
    for case in Case.objects.training().filter(level=level):
        case_mark_studied(employee=employee, case_id=case.pk)


def sit_exam(employee, level: int):
    attempt = services.exam_start(employee=employee, level=level)
    assert all("answer" not in q for q in attempt.public_questions())
    return services.exam_submit(attempt_id=attempt.pk, employee=employee, answers=correct_answers(attempt))


def test_a_new_csr_climbs_to_level_2_with_a_mentor_and_is_demoted_after_failing_retention(client, ops_manager):
    # given: the case libraries of levels 1 and 2, a new CSR and a level-3 mentor
    for level in (1, 2):
        CaseFactory.create_batch(3, level=level, split="training")
        CaseFactory.create_batch(10, level=level, split="test")
    csr = UserFactory(staff_id="NEW001", name="新员工", roles=["CSR"])
    mentor = UserFactory(staff_id="MEN001", name="师傅", level=3, roles=["CSR"])
    assert csr.level == 0
    mentorship = services.mentorship_create(mentor=mentor, apprentice=csr, by=ops_manager)

    # when: level 1 — points, study, exam, query time, promotion
    with time_machine.travel(T0, tick=False):
        earn_800_points(csr, "l1")
        study_level(csr, 1)
        assert not all(item.met for item in selectors.promotion_checklist(csr))
        assert sit_exam(csr, 1).passed
    sit_query_test(csr, total_seconds=145.5, start=T0 + timedelta(hours=1))
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert all(item.met for item in selectors.promotion_checklist(csr))
        first = services.employee_promote(employee=csr, to_level=1, decided_by=csr)
    # then
    csr.refresh_from_db()
    assert csr.level == 1 and first.mentorship == mentorship
    assert points_balance(mentor) == 200

    # when: mentored up to level 2 the same way
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        with pytest.raises(services.PromotionError):
            services.employee_promote(employee=csr, to_level=2)
        assert points_balance(mentor) == 200  # a refused promotion pays nobody
        earn_800_points(csr, "l2")
        study_level(csr, 2)
        assert sit_exam(csr, 2).passed
    sit_query_test(csr, total_seconds=133, start=T0 + timedelta(days=21))
    promoted_at = T0 + timedelta(days=30)
    with time_machine.travel(promoted_at, tick=False):
        second = services.employee_promote(employee=csr, to_level=2)
    # then: the mentor was paid once per level and the apprentices count for them
    csr.refresh_from_db()
    assert csr.level == 2
    assert points_balance(mentor) == 400
    assert selectors.apprentices_brought(mentor, 0) == 1 and selectors.apprentices_brought(mentor, 1) == 1
    assert second.evidence["points"] == 800 and second.evidence["query_result"]
    assert dict(RetentionPeriod.objects.filter(employee=csr).values_list("level", "status")) == {
        1: "closed", 2: "active"}

    # when: eleven months later the re-test window opens; the CSR does nothing
    with time_machine.travel(promoted_at + timedelta(days=335), tick=False):
        assert retention_daily_task.delay().get() == {"opened": 1, "kept": 0, "demoted": 0, "reminded": 0}
    assert Notification.objects.filter(recipient=csr, kind="retest_open").count() == 1
    # and after the due date the daily task demotes — once
    with time_machine.travel(promoted_at + timedelta(days=366), tick=False):
        assert retention_daily_task.delay().get()["demoted"] == 1
        assert retention_daily_task.delay().get()["demoted"] == 0

    # then
    csr.refresh_from_db()
    assert csr.level == 1
    demotion = PromotionEvent.objects.get(employee=csr, kind="demoted")
    assert (demotion.from_level, demotion.to_level) == (2, 1)
    assert "Points task not met: 0 of 200 points" in demotion.reason
    assert "Re-test not passed" in demotion.reason
    assert points_balance(mentor) == 400  # demotion takes nothing back from the mentor
    client.force_login(csr)
    html = client.get(reverse("promotion:my_level")).content.decode()
    assert 'id="demotion"' in html and "Points task not met: 0 of 200 points" in html
    assert "L1 大学生" in html
