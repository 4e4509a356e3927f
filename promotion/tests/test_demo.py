import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from promotion.models import ExamAttempt, Mentorship, Notification, PromotionEvent, RetentionPeriod

pytestmark = pytest.mark.django_db


def test_demo_history_is_consistent_with_levels_and_loads_twice(client):
    # when
    call_command("demo", force=True, stdout=io.StringIO())
    counts = (
        PromotionEvent.objects.count(),
        Mentorship.objects.count(),
        Notification.objects.count(),
    )
    call_command("demo", force=True, stdout=io.StringIO())
    # then: idempotent
    assert (
        PromotionEvent.objects.count(),
        Mentorship.objects.count(),
        Notification.objects.count(),
    ) == counts
    # every CSR's net history ends at their current level
    for user in User.objects.filter(groups__name="CSR").distinct():
        events = list(PromotionEvent.objects.filter(employee=user).order_by("at", "pk"))
        assert (events[-1].to_level if events else 0) == user.level, user.staff_id
    pairs = set(
        Mentorship.objects.filter(ended_at__isnull=True).values_list(
            "mentor__staff_id", "apprentice__staff_id"
        )
    )
    assert pairs == {("HB0005", "HB0001"), ("HB0006", "HB0002")}
    window = RetentionPeriod.objects.get(employee__staff_id="HB0003", status="retest_open")
    assert Notification.objects.filter(recipient=window.employee, kind="retest_open").count() == 1
    demotion = PromotionEvent.objects.get(employee__staff_id="HB0002", kind="demoted")
    assert demotion.reason_display().startswith("Points task not met: 120 of 200")
    assert (
        ExamAttempt.objects.filter(employee__staff_id="HB0001").exclude(status="open").count() == 1
    )
    # that attempt is exam evidence on HB0001's gap page, deciding the items nobody rated
    from curriculum.gaps import gap_analysis

    rows = gap_analysis(employee=User.objects.get(staff_id="HB0001")).rows
    assert any(row.exam is not None and row.source == "rating" for row in rows)
    assert any(row.source == "exam" and row.gap is not None for row in rows)
    from promotion.selectors import apprentices_brought

    assert apprentices_brought(User.objects.get(staff_id="HB0005"), 1) == 3
    # every level's test set holds a full exam pool, and a CSR can sit a full exam at each level
    from casebase.selectors import library_health
    from promotion.services.exams import exam_start

    assert [(lv.level, lv.ready, lv.no_questions) for lv in library_health().levels] == [
        (level, True, 0) for level in range(1, 6)
    ]
    for level in range(1, 6):
        examinee = UserFactory(roles=["CSR"], level=level - 1)
        attempt = exam_start(employee=examinee, level=level)
        assert len(attempt.case_ids) == 10 and attempt.question_count >= 20
    # HB0001's failed attempt is a week old: the demo CSR may sit the exam again today
    assert exam_start(employee=User.objects.get(staff_id="HB0001"), level=1).status == "open"
    # HB0003's re-test window has a remedial plan naming courses: the 投诉处理代表 position has
    # a competency model and HB0003 a behaviour rating with gaps
    from promotion.forecast import forecasts, remedial_plans

    key = (window.employee.pk, window.level)
    plan = remedial_plans([(window.employee, window.level)])[key]
    assert plan.courses and all(c.code.startswith(("C2", "C3")) for c in plan.courses)
    # training cases studied in the last 90 days give many CSRs a pace and a forecast date
    csrs = User.objects.filter(groups__name="CSR", is_active=True).distinct()
    assert sum(1 for f in forecasts(csrs) if f.estimated_on is not None) >= 15
    # one flagged exam item was turned into a review suggestion (once), in a member's queue
    from review.models import CommitteeMembership, Proposal
    from review.selectors import review_queue

    move = Proposal.objects.get(kind="case_item_move")
    assert move.status == "open" and move.payload["evidence"]["flags"]
    members = [m.member for m in CommitteeMembership.objects.filter(active=True)]
    assert any(move in review_queue(reviewer=member) for member in members)
    # the demo pages render
    client.force_login(User.objects.get(staff_id="HB0002"))
    assert "Points task not met" in client.get(reverse("promotion:my_level")).content.decode()
    client.force_login(User.objects.get(staff_id="HB9101"))
    assert client.get(reverse("promotion:rosters"), {"event": "due_retest"}).status_code == 200
