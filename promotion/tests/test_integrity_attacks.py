"""Attacks on the promotion rules by a CSR (or a colluding manager) who wants a level, or
points, without the merit: stale evidence, a re-test used as practice, a mentor paid twice,
evidence after the due date. Each test goes through the services and, where a user would,
through the page or the API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.services.content import case_create
from casebase.services.proposals import case_new_propose
from casebase.tests.factories import category, sample_tree
from points.models import PointsEntry
from points.selectors import points_balance
from promotion import selectors
from promotion.models import ExamAttempt, Mentorship, RetentionPeriod
from promotion.services.common import ExamError, PromotionError
from promotion.services.exams import exam_start, exam_submit
from promotion.services.levels import employee_demote, employee_promote
from promotion.services.mentoring import mentorship_create, mentorship_end
from promotion.services.retention import retention_run_daily
from promotion.tests.factories import (
    correct_answers,
    earn_points,
    fail_exam,
    make_test_cases,
    pair,
    pass_exam,
    ready_for,
    sit_query_test,
    study_all,
)
from review.models import Proposal
from review.services import proposal_vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db
PROMOTED_AT = datetime(2026, 1, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return PROMOTED_AT + timedelta(days=days, hours=hours, minutes=minutes)


def run_daily(moment: datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return retention_run_daily()


@pytest.fixture
def promoted(csr):
    """csr promoted 0→1 at PROMOTED_AT through the real services."""
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        employee_promote(employee=csr, to_level=1)
    csr.refresh_from_db()
    return csr


# --- the retention re-test is no practice run for the promotion exam ------------------------


def test_a_failed_retest_does_not_let_the_demoted_csr_sit_the_same_level_at_once(promoted, api):
    # given: both level-1 re-test attempts failed and the daily job demoted the CSR to level 0
    run_daily(at(days=335))
    with time_machine.travel(at(days=340), tick=False):
        fail_exam(promoted, 1)
    with time_machine.travel(at(days=344), tick=False):
        fail_exam(promoted, 1)
    assert run_daily(at(days=344, hours=1))["demoted"] == 1
    promoted.refresh_from_db()
    assert promoted.level == 0
    expected = (
        "You can start the next level-1 attempt from 2026-12-28 10:00: there is a waiting period "
        "of 72 hours after each attempt."
    )
    # when: the level-1 exam (now a promotion exam) one hour after the demotion, service and API
    with time_machine.travel(at(days=344, hours=2), tick=False):
        with pytest.raises(ExamError) as exc:
            exam_start(employee=promoted, level=1)
        api.force_authenticate(promoted)
        response = api.post(reverse("api-promotion-exam-start"), {"level": 1}, format="json")
    # then: the waiting period after the last level-1 attempt applies, whatever its purpose
    assert exc.value.messages == [expected]
    assert response.status_code == 400 and response.json()["detail"] == expected
    assert not ExamAttempt.objects.filter(
        employee=promoted, purpose="promotion", started_at__gt=at(days=2)
    ).exists()
    # and after the wait the promotion exam starts as usual
    with time_machine.travel(at(days=347), tick=False):
        assert exam_start(employee=promoted, level=1).purpose == "promotion"


def test_retention_attempts_do_not_use_up_the_promotion_attempts_of_the_period(promoted):
    # given: the same demoted CSR as above, after the waiting period
    run_daily(at(days=335))
    with time_machine.travel(at(days=340), tick=False):
        fail_exam(promoted, 1)
    with time_machine.travel(at(days=344), tick=False):
        fail_exam(promoted, 1)
    run_daily(at(days=344, hours=1))
    # when / then: the per-period limit counts promotion attempts only (3 in 30 days)
    for day in (347, 350, 353):
        with time_machine.travel(at(days=day), tick=False):
            assert fail_exam(promoted, 1).purpose == "promotion"
    with (
        time_machine.travel(at(days=356), tick=False),
        pytest.raises(ExamError, match="3 level-1 attempts"),
    ):
        exam_start(employee=promoted, level=1)


# --- stale evidence -----------------------------------------------------------------------


def test_a_query_time_result_from_before_the_last_promotion_does_not_count_for_the_next(
    csr, client
):
    # given: a very fast result (allows level 5) used for the promotion to level 1
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1, query_seconds=110)
    with time_machine.travel(PROMOTED_AT, tick=False):
        employee_promote(employee=csr, to_level=1)
    # and everything else of level 2 met afterwards, without a new query-time test
    with time_machine.travel(at(days=30), tick=False):
        make_test_cases(2, 10)
        earn_points(csr, 800, "l2")
        study_all(csr, 2)
        assert pass_exam(csr, 2).passed
    # when
    with time_machine.travel(at(days=31), tick=False):
        items = {item.code: item for item in selectors.promotion_checklist(csr)}
        with pytest.raises(PromotionError) as exc:
            employee_promote(employee=csr, to_level=2)
        client.force_login(csr)
        html = client.get(reverse("promotion:my_level")).content.decode()
    # then: the old result is stale like the old points and the old exam
    assert (
        not items["query_time"].met and items["query_time"].detail == "No finished query-time test"
    )
    assert [m for m in exc.value.missing if m.startswith("Query-time")] == [
        "Query-time result allows level 2 (No finished query-time test)"
    ]
    assert "No finished query-time test" in html
    # and a fresh result after the promotion counts
    sit_query_test(csr, total_seconds=135, start=at(days=32))
    with time_machine.travel(at(days=33), tick=False):
        assert employee_promote(employee=csr, to_level=2).to_level == 2


def test_an_exam_passed_before_a_demotion_does_not_count_after_it(csr, ops_manager):
    # given: at level 1 the CSR passed the level-2 exam, then a manager demoted them to 0
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        employee_promote(employee=csr, to_level=1)
    with time_machine.travel(at(days=10), tick=False):
        make_test_cases(2, 10)
        assert pass_exam(csr, 2).passed
    with time_machine.travel(at(days=20), tick=False):
        employee_demote(employee=csr, reason="考勤违规", decided_by=ops_manager)
    # when: they are promoted again to 1 and look at the level-2 checklist
    with time_machine.travel(at(days=21), tick=False):
        earn_points(csr, 800, "again")
        sit_query_test(csr, total_seconds=135, start=at(days=21))
    with time_machine.travel(at(days=22), tick=False):
        assert (
            selectors.passed_promotion_exam(csr, 1, since=selectors.last_level_change_at(csr))
            is None
        )
        # the level-1 exam passed before the demotion does not count either
        with pytest.raises(PromotionError, match="Level-1 exam passed"):
            employee_promote(employee=csr, to_level=1)


# --- the mentor is paid once per apprentice and level -------------------------------------------


def test_a_demoted_apprentice_promoted_again_under_a_new_mentor_pays_and_counts_nobody(
    csr, ops_manager
):
    # given: csr brought 0→1 under the first mentor (200 points), then demoted by a manager
    first, second = UserFactory(level=2, roles=["CSR"]), UserFactory(level=2, roles=["CSR"])
    first_pair = pair(first, csr, by=ops_manager, at=at(days=-40))
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        assert employee_promote(employee=csr, to_level=1).mentorship == first_pair
    with time_machine.travel(at(days=1), tick=False):
        employee_demote(employee=csr, reason="复核不通过", decided_by=ops_manager)
        mentorship_end(mentorship_id=first_pair.pk, by=ops_manager)
        mentorship_create(mentor=second, apprentice=csr, by=ops_manager)
    # when: promoted 0→1 again under the second mentor, long enough after pairing to count
    with time_machine.travel(at(days=40), tick=False):
        earn_points(csr, 800, "again")
        assert pass_exam(csr, 1).passed
        sit_query_test(csr, total_seconds=145, start=at(days=40))
    with time_machine.travel(at(days=41), tick=False):
        event = employee_promote(employee=csr, to_level=1)
    # then: the same step of the same apprentice is paid and counted once, for the first mentor
    assert event.mentorship is None
    assert points_balance(first) == 200 and points_balance(second) == 0
    assert (
        selectors.apprentices_brought(first, 0) == 1
        and selectors.apprentices_brought(second, 0) == 0
    )


def test_the_same_pair_is_not_paid_again_for_a_re_promotion(csr, ops_manager):
    mentor = UserFactory(level=2, roles=["CSR"])
    pair(mentor, csr, by=ops_manager, at=at(days=-40))
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        employee_promote(employee=csr, to_level=1)
    with time_machine.travel(at(days=1), tick=False):
        employee_demote(employee=csr, reason="复核不通过", decided_by=ops_manager)
    with time_machine.travel(at(days=5), tick=False):
        earn_points(csr, 800, "again")
        assert pass_exam(csr, 1).passed
        sit_query_test(csr, total_seconds=145, start=at(days=5))
    with time_machine.travel(at(days=6), tick=False):
        assert employee_promote(employee=csr, to_level=1).mentorship is None
    assert PointsEntry.objects.filter(employee=mentor).count() == 1


def test_a_mentor_is_not_paid_for_an_apprentice_who_caught_up_with_them(ops_manager):
    # given: a level-2 mentor paired with a level-1 apprentice, who reaches level 2 (paid) ...
    mentor = UserFactory(level=2, roles=["CSR"])
    apprentice = UserFactory(level=1, roles=["CSR"])
    pair(mentor, apprentice, by=ops_manager, at=at(days=-40))
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(apprentice, 2)
    with time_machine.travel(PROMOTED_AT, tick=False):
        assert employee_promote(employee=apprentice, to_level=2).mentorship is not None
    # ... and then level 3, the pair never ended
    apprentice.refresh_from_db()
    juniors = [
        UserFactory(roles=["CSR"]) for _ in range(3)
    ]  # brought up under the apprentice itself
    for junior in juniors:
        pair(apprentice, junior, by=ops_manager, at=at(days=1))
    with time_machine.travel(at(days=35), tick=False):
        ready_for(apprentice, 3)
        for junior in juniors:
            ready_for(junior, 1)
            employee_promote(employee=junior, to_level=1)
    with time_machine.travel(at(days=36), tick=False):
        event = employee_promote(employee=apprentice, to_level=3)
    # then: a level-2 mentor cannot bring anybody from 2 to 3: no credit, no pay
    assert event.mentorship is None
    assert points_balance(mentor) == 200
    assert selectors.apprentices_brought(mentor, 2) == 0


def test_a_mentor_demoted_to_a_level_that_cannot_mentor_is_not_paid(csr, ops_manager):
    mentor = UserFactory(level=2, roles=["CSR"])
    pair(mentor, csr, by=ops_manager, at=at(days=-40))
    employee_demote(employee=mentor, reason="投诉", decided_by=ops_manager)  # level 1 cannot mentor
    with time_machine.travel(at(days=-1), tick=False):
        ready_for(csr, 1)
    with time_machine.travel(PROMOTED_AT, tick=False):
        assert employee_promote(employee=csr, to_level=1).mentorship is None
    assert points_balance(mentor) == 0 and selectors.apprentices_brought(mentor, 0) == 0


# --- retention evidence after the due date --------------------------------------------------


def test_a_retest_started_just_before_the_due_date_ends_at_it(promoted, client):
    # given: points met and a query-time result in the window; the re-test not sat yet
    run_daily(at(days=335))
    with time_machine.travel(at(days=336), tick=False):
        earn_points(promoted, 200, "ret")
    sit_query_test(promoted, total_seconds=145, start=at(days=337))
    due = at(days=365)
    # when: the re-test starts ten minutes before the due date (40 minutes allowed otherwise)
    with time_machine.travel(due - timedelta(minutes=10), tick=False):
        attempt = exam_start(employee=promoted, level=1)
        client.force_login(promoted)
        html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    # then: its deadline is the due date, and answers sent after it do not keep the level
    assert attempt.deadline == due and attempt.seconds_left(due - timedelta(minutes=10)) == 600
    assert 'data-seconds="600"' in html
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        late = exam_submit(
            attempt_id=attempt.pk, employee=promoted, answers=correct_answers(attempt)
        )
    assert late.status == "expired"
    run_daily(due + timedelta(days=1))
    promoted.refresh_from_db()
    assert promoted.level == 0
    assert RetentionPeriod.objects.get(employee=promoted).status == "failed"


def test_a_promotion_exam_keeps_its_full_time_limit(csr):
    make_test_cases(1, 10)
    with time_machine.travel(PROMOTED_AT, tick=False):
        attempt = exam_start(employee=csr, level=1)
    assert attempt.deadline == PROMOTED_AT + timedelta(minutes=40)


# --- nobody is examined on a case they wrote or judged ----------------------------------------


def graded_test_case(proposer, level: int, voters=None, participants=()):
    """A new case ``proposer`` wrote, graded by the committee into the level's TEST set."""
    proposal = case_new_propose(
        proposer=proposer,
        kind="text",
        title=f"自己写的案例{proposer.pk}",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
        participants=[p.staff_id for p in participants],
    )
    for voter in voters or [committee_member() for _ in range(3)]:
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=voter,
            decision="approve",
            extra={"points": 30, "level": level, "split": "test"},
        )
    return Case.objects.get(pk=Proposal.objects.get(pk=proposal.pk).target_id)


def test_an_author_is_never_examined_on_their_own_test_case(csr, api):
    # given: the CSR's own case in the level-1 test set, the least exposed of 11
    own = graded_test_case(csr, 1)
    Case.objects.filter(pk__in=[c.pk for c in make_test_cases(1, 10)]).update(exam_uses=5)
    # when
    attempt = exam_start(employee=csr, level=1)
    api.force_authenticate(csr)
    shown = api.get(reverse("api-promotion-exam", args=[attempt.pk])).json()
    # then: the other ten are drawn, never the one they wrote
    assert own.pk not in attempt.case_ids and len(attempt.case_ids) == 10
    assert own.pk not in {q["case_id"] for q in shown["questions"]}
    assert Case.objects.get(pk=own.pk).exam_uses == 0


def test_a_pool_that_is_full_only_with_the_examinees_own_case_is_refused(csr, client):
    # given: ten level-1 test cases, one of which a named participant of it sits the exam
    graded_test_case(UserFactory(roles=["CSR"]), 1, participants=[csr])
    make_test_cases(1, 9)
    expected = (
        "The level-1 exam is not available yet: it needs 10 test cases with questions and the "
        "level's test set has 9. Please try again later."
    )
    # when / then: refused, never a short exam, on the page too
    with pytest.raises(ExamError) as exc:
        exam_start(employee=csr, level=1)
    assert exc.value.messages == [expected]
    client.force_login(csr)
    html = client.get(reverse("promotion:exam_home")).content.decode()
    assert expected.replace("'", "&#x27;") in html and "Start the exam" not in html
    assert not ExamAttempt.objects.filter(employee=csr).exists()
    # while a colleague who had no part in it sits the full exam
    assert len(exam_start(employee=UserFactory(roles=["CSR"]), level=1).case_ids) == 10


def test_a_committee_member_is_never_examined_on_a_case_they_graded():
    # given: three level-4 members graded a colleague's case into the level-5 test set
    voters = [committee_member(level=4) for _ in range(3)]
    own = graded_test_case(UserFactory(roles=["CSR"]), 5, voters=voters)
    Case.objects.filter(pk__in=[c.pk for c in make_test_cases(5, 10)]).update(exam_uses=5)
    # when: one of them sits the level-5 promotion exam
    attempt = exam_start(employee=voters[0], level=5)
    # then
    assert own.pk not in attempt.case_ids and len(attempt.case_ids) == 10
    assert selectors.exam_check(voters[1], 5).excluded == {own.pk}


# --- nobody pairs themselves ---------------------------------------------------------------------


def test_a_manager_who_is_a_csr_cannot_pair_themselves_as_a_mentor(csr, client, api):
    # given: an operations manager who is also a level-3 CSR (200 points per apprentice promoted)
    manager = UserFactory(level=3, roles=["CSR", "Operations manager"])
    # when / then: the service, the page and the API refuse; nothing is paired
    with pytest.raises(PermissionDenied):
        mentorship_create(mentor=manager, apprentice=csr, by=manager)
    client.force_login(manager)
    page = client.post(
        reverse("promotion:mentorship_create"),
        {"mentor": manager.staff_id, "apprentice": csr.staff_id},
    )
    api.force_authenticate(manager)
    response = api.post(
        reverse("api-promotion-mentorships"),
        {"mentor": manager.staff_id, "apprentice": csr.staff_id},
        format="json",
    )
    assert page.status_code == 403 and response.status_code == 403
    assert not Mentorship.objects.exists()
    # another manager may pair them
    other = UserFactory(roles=["Operations manager"])
    assert mentorship_create(mentor=manager, apprentice=csr, by=other).mentor == manager


def test_a_member_below_level_5_who_viewed_a_test_cases_proposal_never_draws_it(client):
    # given: a level-4 member opened a colleague's case proposal without voting on it; three
    # others graded it into the level-5 test set, the least exposed of 11
    viewer = committee_member(level=4)
    proposal = case_new_propose(
        proposer=UserFactory(roles=["CSR"]),
        kind="text",
        title="看过的案例",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
    )
    client.force_login(viewer)
    assert client.get(reverse("review:proposal_detail", args=[proposal.pk])).status_code == 200
    for voter in [committee_member() for _ in range(3)]:
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=voter,
            decision="approve",
            extra={"points": 30, "level": 5, "split": "test"},
        )
    seen = Case.objects.get(pk=Proposal.objects.get(pk=proposal.pk).target_id)
    Case.objects.filter(pk__in=[c.pk for c in make_test_cases(5, 10)]).update(exam_uses=5)
    # when: the viewer sits the level-5 promotion exam
    attempt = exam_start(employee=viewer, level=5)
    # then: the ten others, never the case they were shown in full
    assert seen.pk not in attempt.case_ids and len(attempt.case_ids) == 10
    assert selectors.exam_check(viewer, 5).excluded == {seen.pk}


def test_the_examinee_hears_a_drawn_voice_case_only_while_the_attempt_runs(client, csr):
    # given: ten level-1 voice test cases and an eleventh not drawn
    from django.core.files.base import ContentFile

    from casebase.models import recordings_storage
    from casebase.tests.factories import wav_bytes

    cases = []
    for n in range(11):
        name = recordings_storage().save(f"casebase/audio/exam{n}.wav", ContentFile(wav_bytes(1)))
        cases.append(
            case_create(
                kind="voice",
                title=f"语音{n}",
                category=category(),
                level=1,
                split="test",
                audio_name=name,
                duration_seconds=1,
                premise="emotion_turned",
                emotion_grade=4,
            )
        )
    Case.objects.filter(pk=cases[-1].pk).update(exam_uses=9)
    attempt = exam_start(employee=csr, level=1)
    drawn = attempt.case_ids[0]
    client.force_login(csr)
    # when / then: a drawn case plays during the attempt (its URL is the one the exam shows)
    page = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    assert f'src="/cases/recordings/{drawn}/"' in page and "/media/" not in page
    assert client.get(f"/cases/recordings/{drawn}/").status_code == 200
    assert client.get(f"/cases/recordings/{cases[-1].pk}/").status_code == 404  # not in this exam
    # after the server-side deadline, and after submitting, it does not
    with time_machine.travel(attempt.deadline + timedelta(seconds=1), tick=False):
        assert client.get(f"/cases/recordings/{drawn}/").status_code == 404
    exam_submit(attempt_id=attempt.pk, employee=csr, answers={})
    assert client.get(f"/cases/recordings/{drawn}/").status_code == 404
