import os
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import UserFactory
from casebase.models import (
    Case,
    CaseEvent,
    CaseLibrarySettings,
    CaseRating,
    CaseStudy,
    LevelCap,
    RetirementCandidate,
)
from casebase.services import retirement
from casebase.services.errors import CaseConflict
from casebase.services.pruning import case_library_prune
from casebase.services.retirement import _retire, retirement_decide
from casebase.tasks import prune_case_libraries_task
from casebase.tests.factories import category

pytestmark = pytest.mark.django_db

NOW = timezone.datetime(2026, 6, 1, 12, tzinfo=timezone.get_current_timezone())
SIMPLE_TREE = {
    "role": "customer",
    "text": "问",
    "children": [
        {
            "role": "csr",
            "text": "答",
            "rationales": ["安抚"],
            "outcome": "解决",
            "final_state": "满意",
        }
    ],
}


def bulk_cases(n: int, *, level=1, cat=None, days_old=100) -> list[Case]:
    """n minimal active cases (bulk insert: tree rules are not under test here)."""
    cat = cat or category()
    created = NOW - timedelta(days=days_old)
    return Case.objects.bulk_create(
        Case(title=f"案例{i}", category=cat, level=level, created_at=created) for i in range(n)
    )


def move_mode(**changes) -> None:
    """Switch pruning to the explicit automatic mode (the default is "propose")."""
    CaseLibrarySettings.objects.filter(pk=1).update(prune_mode="move", **changes)


def test_experts_decide_by_default_and_moving_automatically_is_an_explicit_setting():
    # given: the seeded settings row and a new one
    seeded = CaseLibrarySettings.current()
    # then
    assert seeded.prune_mode == CaseLibrarySettings.PruneMode.PROPOSE
    assert CaseLibrarySettings().prune_mode == "propose"
    # when: a library is over its cap under the default
    bulk_cases(121)
    result = case_library_prune(now=NOW)
    # then: nothing leaves, one candidate waits for the experts
    assert (result.retired, len(result.proposed)) == ([], 1)
    assert Case.objects.active().count() == 121


@pytest.mark.parametrize(("count", "excess"), [(119, 0), (120, 0), (121, 1)])
def test_propose_mode_lists_only_the_excess_over_the_cap(count, excess):
    bulk_cases(count)
    result = case_library_prune(now=NOW)
    assert len(result.proposed) == excess and result.retired == []
    assert RetirementCandidate.objects.filter(status="pending").count() == excess
    assert CaseEvent.objects.filter(kind="retirement_proposed").count() == excess
    assert Case.objects.active().count() == count


@pytest.mark.parametrize(("count", "retired"), [(119, 0), (120, 0), (121, 1)])
def test_pruning_retires_only_the_excess_over_the_cap(count, retired):
    move_mode()
    bulk_cases(count)
    result = case_library_prune(now=NOW)
    assert len(result.retired) == retired
    assert Case.objects.active().count() == min(count, 120)
    assert Case.objects.filter(status="history").count() == retired
    assert CaseEvent.objects.filter(kind="retired").count() == retired


def test_pruning_twice_changes_nothing_the_second_time():
    move_mode()
    bulk_cases(125)
    first = case_library_prune(now=NOW)
    second = case_library_prune(now=NOW)
    assert len(first.retired) == 5 and second.retired == [] and second.groups_over_cap == 0
    assert CaseEvent.objects.filter(kind="retired").count() == 5


def test_the_least_classic_and_longest_unchanged_cases_leave_first():
    move_mode()
    LevelCap.objects.create(level=1, category=category(), cap=2)
    classic, fresh, old, oldest = bulk_cases(4)
    Case.objects.filter(pk=classic.pk).update(exam_uses=5)
    Case.objects.filter(pk=fresh.pk).update(revised_at=NOW - timedelta(days=1))
    Case.objects.filter(pk=oldest.pk).update(created_at=NOW - timedelta(days=900))
    Case.objects.filter(pk=old.pk).update(created_at=NOW - timedelta(days=400))
    result = case_library_prune(now=NOW)
    assert set(result.retired) == {oldest.pk, old.pk}


def test_caps_are_per_level_and_category():
    move_mode()
    other = category("complaint", "投诉升级")
    LevelCap.objects.create(level=2, category=other, cap=3)
    bulk_cases(4, level=2, cat=other)
    bulk_cases(4, level=1, cat=other)  # default cap 120: untouched
    result = case_library_prune(now=NOW)
    assert len(result.retired) == 1
    assert Case.objects.filter(level=1, status="active").count() == 4


def test_retired_cases_leave_study_and_exams_but_stay_readable_for_reviewers(
    client, csr, reviewer, hr
):
    from casebase.selectors import study_cases, test_cases_for_exam

    move_mode()
    LevelCap.objects.create(level=1, category=category(), cap=1)
    keep, gone = bulk_cases(2)
    Case.objects.filter(pk=keep.pk).update(exam_uses=3)
    Case.objects.update(
        split="test", kind="voice", premise="service_defect"
    )  # cases that yield exam questions
    case_library_prune(now=NOW)
    assert [c.pk for c in test_cases_for_exam(1, 10)] == [keep.pk]
    assert not study_cases(csr).filter(pk=gone.pk).exists()
    client.force_login(reviewer)
    listing = client.get(reverse("casebase:history"))
    assert [c.pk for c in listing.context["page"]] == [gone.pk]
    assert client.get(reverse("casebase:history_detail", args=[gone.pk])).status_code == 200
    assert client.get(reverse("casebase:history_detail", args=[keep.pk])).status_code == 404
    client.force_login(hr)
    assert client.get(reverse("casebase:history")).status_code == 403


def test_training_managers_read_the_history_library(
    client, training_manager, django_assert_max_num_queries
):
    bulk_cases(3)
    Case.objects.update(status="history", retired_at=NOW)
    client.force_login(training_manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("casebase:history"))
    assert response.status_code == 200 and len(response.context["page"]) == 3
    assert client.post(reverse("casebase:history")).status_code == 405


def test_propose_mode_lists_candidates_once_and_a_reviewer_confirms(client, reviewer, csr):
    CaseLibrarySettings.objects.filter(pk=1).update(prune_mode="propose", default_cap=3)
    bulk_cases(5)
    first = case_library_prune(now=NOW)
    second = case_library_prune(now=NOW)
    assert len(first.proposed) == 2 and second.proposed == []
    assert Case.objects.active().count() == 5
    candidate = RetirementCandidate.objects.first()
    client.force_login(csr)
    assert (
        client.post(
            reverse("casebase:retirement_decide", args=[candidate.pk]), {"confirm": "1"}
        ).status_code
        == 403
    )
    client.force_login(reviewer)
    page = client.get(reverse("casebase:retirements"))
    assert len(page.context["page"]) == 2
    assert (
        client.post(
            reverse("casebase:retirement_decide", args=[candidate.pk]), {"confirm": "1"}
        ).status_code
        == 302
    )
    assert Case.objects.get(pk=candidate.case_id).status == "history"
    with pytest.raises(CaseConflict, match="already been decided"):
        retirement_decide(candidate_id=candidate.pk, user=reviewer, confirm=True)
    other = RetirementCandidate.objects.get(status="pending")
    retirement_decide(candidate_id=other.pk, user=reviewer, confirm=False)
    assert Case.objects.get(pk=other.case_id).status == "active"
    assert (
        client.post(
            reverse("casebase:retirement_decide", args=[999999]), {"confirm": "1"}
        ).status_code
        == 404
    )


def test_confirming_is_refused_once_the_library_is_back_at_its_cap(client, reviewer):
    # given: 5 cases, cap 3, two candidates; then one other case leaves by another way
    CaseLibrarySettings.objects.filter(pk=1).update(default_cap=3)
    bulk_cases(5)
    case_library_prune(now=NOW)
    first, second = RetirementCandidate.objects.order_by("pk")
    other = Case.objects.active().exclude(pk__in=[first.case_id, second.case_id]).first()
    _retire(other.pk, actor=reviewer, now=NOW, data={"by": "admin"})
    retirement_decide(candidate_id=first.pk, user=reviewer, confirm=True)
    # when: confirming the second would leave 2 of 3
    with pytest.raises(CaseConflict) as exc:
        retirement_decide(candidate_id=second.pk, user=reviewer, confirm=True)
    # then
    assert str(exc.value) == (
        "This library (level 1, 情绪安抚) has 3 active cases and its cap is 3: confirming "
        "would take it below the cap. Dismiss this retirement instead."
    )
    assert Case.objects.active().count() == 3
    second.refresh_from_db()
    assert second.status == "pending" and second.decided_by is None
    # the page shows the same message; dismissing still works
    client.force_login(reviewer)
    response = client.post(
        reverse("casebase:retirement_decide", args=[second.pk]), {"confirm": "1"}, follow=True
    )
    assert str(exc.value) in [str(m) for m in response.context["messages"]]
    retirement_decide(candidate_id=second.pk, user=reviewer, confirm=False)
    assert Case.objects.active().count() == 3


def test_confirming_counts_the_library_the_case_is_in_now(reviewer):
    # given: a candidate of level 1 whose case was regraded to level 2, where it is alone
    CaseLibrarySettings.objects.filter(pk=1).update(default_cap=1)
    bulk_cases(2)
    case_library_prune(now=NOW)
    candidate = RetirementCandidate.objects.get()
    Case.objects.filter(pk=candidate.case_id).update(level=2)
    # when / then
    with pytest.raises(
        CaseConflict, match=r"^This library \(level 2, 情绪安抚\) has 1 active cases"
    ):
        retirement_decide(candidate_id=candidate.pk, user=reviewer, confirm=True)
    assert Case.objects.get(pk=candidate.case_id).status == "active"


def test_a_case_regraded_while_the_expert_confirms_is_not_retired(reviewer, monkeypatch):
    # given: the case moves to level 2 between reading the candidate and taking the lock
    CaseLibrarySettings.objects.filter(pk=1).update(default_cap=1)
    bulk_cases(3)
    case_library_prune(now=NOW)
    candidate = RetirementCandidate.objects.order_by("pk").first()
    real_lock = retirement.lock_group

    def regraded_meanwhile(**kwargs):
        Case.objects.filter(pk=candidate.case_id).update(level=2)
        return real_lock(**kwargs)

    monkeypatch.setattr(retirement, "lock_group", regraded_meanwhile)
    # when / then
    with pytest.raises(CaseConflict) as exc:
        retirement_decide(candidate_id=candidate.pk, user=reviewer, confirm=True)
    assert str(exc.value) == (
        "This case moved to another level or category after it was proposed; dismiss this "
        "retirement and let the next pruning run decide."
    )
    assert Case.objects.get(pk=candidate.case_id).status == "active"


def test_the_task_calls_the_service_and_a_daily_schedule_is_registered():
    move_mode()
    bulk_cases(121)
    assert prune_case_libraries_task.apply().get()["retired"].__len__() == 1
    task = PeriodicTask.objects.get(task="casebase.prune_case_libraries_task")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "3",
        "0",
        "Asia/Shanghai",
    )
    assert task.enabled


# --- indicators -----------------------------------------------------------------------


def test_constant_time_counts_from_entry_or_the_latest_revision():
    case = bulk_cases(1, days_old=0)[0]
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert case.constant_time().days == 30
        case.revised_at = NOW + timedelta(days=20)
        assert case.constant_time().days == 10
    assert case.constant_time(now=NOW - timedelta(days=5)) == timedelta(0)


def test_classicness_formula_matches_in_python_and_in_the_database():
    case = bulk_cases(1)[0]
    Case.objects.filter(pk=case.pk).update(exam_uses=2)
    users = UserFactory.create_batch(4)
    for user in users[:3]:
        CaseStudy.objects.create(case=case, employee=user)
    for user, value in zip(users, ["excellent", "excellent", "average", "poor"], strict=True):
        CaseRating.objects.create(case=case, employee=user, value=value)
    case.refresh_from_db()
    expected = (
        3 * 1 + 2 * 2 + 2 * 3 + 1 * 1 + 1 * -2
    )  # studies, exam uses, excellent, average, poor
    assert case.classicness() == expected
    assert Case.objects.with_indicators().get(pk=case.pk).classicness_score == expected


@pytest.mark.parametrize("mode", ["propose", "move"])
def test_pruning_takes_the_same_number_of_queries_for_any_excess(mode, django_assert_num_queries):
    """Each group over its cap is decided in a constant number of statements (lock, pending,
    one ranked SELECT, bulk writes): 5 cases over the cap cost what 60 do."""
    CaseLibrarySettings.objects.filter(pk=1).update(prune_mode=mode)
    small, large = category("small", "小"), category("large", "大")
    LevelCap.objects.create(level=1, category=small, cap=5)
    LevelCap.objects.create(level=1, category=large, cap=5)
    bulk_cases(10, cat=small)
    CaseLibrarySettings.current()  # read once, then from the cache
    with CaptureQueriesContext(connection) as few:
        first = case_library_prune(now=NOW)
    Case.objects.filter(category=small).delete()
    many_cases = bulk_cases(65, cat=large)
    users = UserFactory.create_batch(2)
    CaseStudy.objects.bulk_create(
        CaseStudy(case=c, employee=u) for c in many_cases[:5] for u in users
    )
    with django_assert_num_queries(len(few)):
        second = case_library_prune(now=NOW)
    moved = first.retired + second.retired if mode == "move" else first.proposed + second.proposed
    assert len(moved) == 5 + 60
    # the five studied (more classic) cases are the ones that stay
    assert set(moved[5:]) == {c.pk for c in many_cases[5:]}


# --- real worker -------------------------------------------------------------------------

needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL and not os.environ.get("CI"),
    reason="REDIS_URL is not set (allowed outside CI only)",
)


@pytest.mark.real_worker
@needs_redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pruning_runs_through_a_real_worker(real_worker):
    # given
    move_mode()
    bulk_cases(122)
    # when
    result = prune_case_libraries_task.delay().get(timeout=30)
    # then
    assert len(result["retired"]) == 2
    assert Case.objects.filter(status="history").count() == 2


def test_the_pruning_benchmark_refuses_a_database_without_bench_and_agrees_with_its_floor():
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="use a \\*bench\\* database or --force"):
        call_command("bench_case_prune", cases=10)
    out = io.StringIO()
    call_command("bench_case_prune", cases=900, categories=1, force=True, stdout=out)
    # 900 cases in the 5 levels of one category: groups over the cap of 120, and the job
    # proposes exactly the cases the set-based statement finds
    import re

    over = int(re.search(r"groups over cap=(\d+)", out.getvalue()).group(1))
    assert (
        over >= 3 and "candidates=0 " not in out.getvalue() and "same cases: yes" in out.getvalue()
    )
