"""Exam item statistics: each statistic on a small hand-made data set with known answers,
the flag rules, the draw's exposure preference and cap, the move proposals, permissions
and query counts."""

import math
import random
import statistics
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseEvent
from casebase.selectors import case_tree, exam_draw
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.item_moves import case_item_move_propose
from casebase.services.proposals import case_revision_propose
from casebase.tests.factories import CaseFactory
from promotion import item_stats
from promotion.models import ExamAttempt, ExamItemResponse, PromotionSettings
from promotion.services.common import ExamError
from promotion.services.exams import exam_item_responses_record, exam_start, exam_submit
from promotion.tests.factories import make_test_cases, make_training_cases
from review.models import Proposal
from review.services import proposal_vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db

SCORES = [90, 80, 60, 40, 30]


def settings_(**changes) -> PromotionSettings:
    PromotionSettings.objects.filter(pk=1).update(**changes)
    return PromotionSettings.current()


def attempts(scores, *, level: int = 1, status: str = "passed") -> list[ExamAttempt]:
    """Submitted attempts with the given scores (%), each by its own examinee."""
    now = timezone.now()
    return [
        ExamAttempt.objects.create(
            employee=UserFactory(roles=["CSR"]),
            level=level,
            status=status,
            started_at=now - timedelta(hours=1),
            deadline=now,
            submitted_at=now,
            score_percent=Decimal(score),
            pass_percent=80,
        )
        for score in scores
    ]


def answer(
    case: Case, sittings: list[ExamAttempt], correct: list[int], key: str = "best_reply:1"
) -> None:
    ExamItemResponse.objects.bulk_create(
        [
            ExamItemResponse(
                attempt=attempt,
                case=case,
                question_key=key,
                kind=key.split(":")[0],
                correct=bool(c),
            )
            for attempt, c in zip(sittings, correct, strict=True)
        ]
    )


def by_hand_point_biserial(scores, correct) -> float:
    """r_pb = (M1 − M0) / s · √(p·q), s the population standard deviation of the scores."""
    m1 = statistics.mean(s for s, c in zip(scores, correct, strict=True) if c)
    m0 = statistics.mean(s for s, c in zip(scores, correct, strict=True) if not c)
    p = sum(correct) / len(correct)
    return (m1 - m0) / statistics.pstdev(scores) * math.sqrt(p * (1 - p))


def row_of(report, case):
    return next(r for r in report.rows if r.case_id == case.pk)


# --- the statistics -------------------------------------------------------------------------


def test_difficulty_discrimination_and_exposure_of_a_case_match_the_hand_computation(
    training_manager,
):
    # given: one level-1 test case answered in five attempts scoring 90/80/60/40/30 %,
    # right in the three best ones; drawn into 7 exams
    case = CaseFactory(level=1, split="test")
    Case.objects.filter(pk=case.pk).update(exam_uses=7)
    answer(case, attempts(SCORES), [1, 1, 1, 0, 0])
    # when
    row = row_of(item_stats.item_report(training_manager), case)
    # then: p = 3/5; r_pb = (76.67 − 35) / 22.80 · √0.24 = 0.895
    expected = by_hand_point_biserial(SCORES, [1, 1, 1, 0, 0])
    assert round(expected, 3) == 0.895
    assert (row.responses, row.correct, row.attempts, row.exposure) == (5, 3, 5, 7)
    assert row.difficulty == pytest.approx(0.6)
    assert row.discrimination == pytest.approx(expected, abs=1e-9)


def test_a_case_the_weak_get_right_and_the_strong_get_wrong_has_negative_discrimination(
    training_manager,
):
    case = CaseFactory(level=1, split="test")
    answer(case, attempts(SCORES), [0, 0, 1, 1, 1])
    row = row_of(item_stats.item_report(training_manager), case)
    assert row.discrimination == pytest.approx(by_hand_point_biserial(SCORES, [0, 0, 1, 1, 1]))
    assert row.discrimination == pytest.approx(-0.895, abs=1e-3)


@pytest.mark.parametrize("correct", [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
def test_discrimination_is_undefined_when_everybody_answers_alike(training_manager, correct):
    case = CaseFactory(level=1, split="test")
    answer(case, attempts(SCORES), correct)
    row = row_of(item_stats.item_report(training_manager), case)
    assert row.discrimination is None and row.difficulty == sum(correct) / 5
    assert item_stats.LOW_DISCRIMINATION not in row.flags


def test_per_question_rows_split_a_case_by_question_and_the_case_row_pools_them(training_manager):
    # given: two questions of one case in the same five attempts
    case = CaseFactory(level=1, split="test")
    sittings = attempts(SCORES)
    answer(case, sittings, [1, 1, 1, 0, 0], key="best_reply:11")
    answer(case, sittings, [1, 0, 1, 0, 1], key="customer_emotion:12")
    # when
    questions = {
        r.question_key: r for r in item_stats.item_report(training_manager, by="question").rows
    }
    whole = row_of(item_stats.item_report(training_manager), case)
    # then
    assert set(questions) == {"best_reply:11", "customer_emotion:12"}
    assert questions["best_reply:11"].discrimination == pytest.approx(
        by_hand_point_biserial(SCORES, [1, 1, 1, 0, 0])
    )
    assert questions["customer_emotion:12"].discrimination == pytest.approx(
        by_hand_point_biserial(SCORES, [1, 0, 1, 0, 1])
    )
    assert questions["customer_emotion:12"].kind_label == "Reading the customer's emotion"
    assert (whole.responses, whole.correct, whole.attempts) == (10, 6, 5)
    assert whole.difficulty == pytest.approx(0.6)  # per answer, not per attempt
    assert questions["customer_emotion:12"].difficulty == pytest.approx(0.6)
    assert whole.discrimination == pytest.approx(
        by_hand_point_biserial(SCORES * 2, [1, 1, 1, 0, 0, 1, 0, 1, 0, 1])
    )


def test_open_and_expired_attempts_do_not_count(training_manager):
    case = CaseFactory(level=1, split="test")
    answer(case, attempts(SCORES), [1, 1, 1, 0, 0])
    answer(case, attempts([10, 20], status="expired"), [0, 0])
    answer(case, attempts([50], status="open"), [0])
    assert row_of(item_stats.item_report(training_manager), case).responses == 5


def test_grading_an_attempt_writes_one_response_per_question(csr):
    # given: an exam of ten level-1 test cases, the first question answered right only
    make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1, rng=random.Random(1))
    first = attempt.questions[0]
    # when
    exam_submit(attempt_id=attempt.pk, employee=csr, answers={first["id"]: first["answer"]})
    # then
    rows = ExamItemResponse.objects.filter(attempt=attempt)
    assert rows.count() == attempt.question_count
    assert list(rows.filter(correct=True).values_list("case_id", "question_key")) == [
        (first["case_id"], f"{first['kind']}:{first['node_id']}")
    ]
    assert exam_item_responses_record(attempt=attempt) == attempt.question_count
    assert rows.count() == attempt.question_count  # writing again adds nothing


# --- flags -----------------------------------------------------------------------------------


def graded_case(level: int, share: float, sittings: list[ExamAttempt], **fields) -> Case:
    """A test case answered right in the best ``share`` of ``sittings`` (sorted by score)."""
    case = CaseFactory(level=level, split="test", **fields)
    right = round(share * len(sittings))
    answer(case, sittings, [1] * right + [0] * (len(sittings) - right))
    return case


@pytest.fixture
def ladder():
    """Ten attempts (scores 100 … 10); level 1 cases p = 0.9/0.8/0.7 (median 0.8), level 3
    cases p = 0.5/0.4/0.3 (median 0.4); level 2 cases to judge."""
    settings_(item_min_responses=10)
    sittings = attempts(range(100, 0, -10))
    for share in (0.9, 0.8, 0.7):
        graded_case(1, share, sittings)
    for share in (0.5, 0.4, 0.3):
        graded_case(3, share, sittings)
    return sittings


@pytest.mark.parametrize(
    ("share", "flags"),
    [
        (0.9, [item_stats.EASIER]),  # above the level-1 median 0.8: behaves like level 1
        (0.8, []),  # at the median: not easier than it
        (0.6, []),
        (0.4, []),  # at the level-3 median: not harder than it
        (0.3, [item_stats.HARDER]),  # below the level-3 median 0.4: behaves like level 3
    ],
)
def test_a_level_2_case_outside_its_neighbours_medians_is_flagged(
    training_manager, ladder, share, flags
):
    case = graded_case(2, share, ladder)
    row = row_of(item_stats.item_report(training_manager), case)
    assert row.flags == flags
    assert [m for m, _label in row.moves] == (
        ["level_down"] if flags == [item_stats.EASIER] else ["level_up"] if flags else []
    )


def test_no_flag_before_the_minimum_number_of_answers(training_manager, ladder):
    case = CaseFactory(level=2, split="test")
    answer(case, ladder[:9], [1] * 9)  # p = 1.0 but 9 answers, the minimum is 10
    assert row_of(item_stats.item_report(training_manager), case).flags == []
    settings_(item_min_responses=9)
    assert row_of(item_stats.item_report(training_manager), case).flags == [item_stats.EASIER]


def test_cases_with_too_few_answers_do_not_move_their_levels_median(training_manager, ladder):
    # a level-1 case with 2 answers, both wrong, would pull the median below 0.8 if counted
    answer(CaseFactory(level=1, split="test"), ladder[:2], [0, 0])
    assert item_stats.item_report(training_manager).medians[1] == pytest.approx(0.8)


@pytest.mark.parametrize(("floor", "flagged"), [("0.10", False), ("0.50", True)])
def test_discrimination_below_the_floor_is_flagged(training_manager, floor, flagged):
    # r = 0.358 for right answers at 90, 80 and 30 of 90/80/60/40/30
    settings_(item_min_responses=5, item_discrimination_floor=Decimal(floor))
    case = CaseFactory(level=1, split="test")
    answer(case, attempts(SCORES), [1, 1, 0, 0, 1])
    row = row_of(item_stats.item_report(training_manager), case)
    assert row.discrimination == pytest.approx(by_hand_point_biserial(SCORES, [1, 1, 0, 0, 1]))
    assert row.discrimination == pytest.approx(0.358, abs=1e-3)
    assert (item_stats.LOW_DISCRIMINATION in row.flags) is flagged


def test_a_negative_discrimination_is_flagged_and_suggests_training_or_retirement(training_manager):
    settings_(item_min_responses=5)
    case = CaseFactory(level=1, split="test")
    answer(case, attempts(SCORES), [0, 0, 1, 1, 1])
    row = row_of(item_stats.item_report(training_manager), case)
    assert row.flags == [item_stats.LOW_DISCRIMINATION]
    assert [m for m, _label in row.moves] == ["training", "retire"]


def test_overexposed_cases_are_flagged_only_when_a_cap_is_set(training_manager):
    case = CaseFactory(level=1, split="test")
    Case.objects.filter(pk=case.pk).update(exam_uses=30)
    assert row_of(item_stats.item_report(training_manager), case).flags == []
    settings_(exam_exposure_cap=30)
    assert row_of(item_stats.item_report(training_manager), case).flags == [item_stats.OVEREXPOSED]


def test_the_table_sorts_flagged_cases_first_and_filters(training_manager, ladder):
    # the plain case comes first by title and by id: only the flag puts the easy one first
    plain = graded_case(2, 0.6, ladder, title="A plain case")
    easy = graded_case(2, 1.0, ladder, title="B easy case")
    report = item_stats.item_report(training_manager, level=2)
    assert [r.case_id for r in report.rows] == [easy.pk, plain.pk]
    assert [
        r.case_id for r in item_stats.item_report(training_manager, level=2, flagged_only=True).rows
    ] == [easy.pk]
    by_difficulty = item_stats.item_report(training_manager, level=2, sort="difficulty").rows
    assert [r.case_id for r in by_difficulty] == [plain.pk, easy.pk]


def test_training_and_retired_cases_are_not_listed(training_manager):
    make_training_cases(1, 1)
    retired = CaseFactory(level=1, split="test")
    Case.objects.filter(pk=retired.pk).update(status="history")
    assert item_stats.item_report(training_manager).rows == []


# --- query counts ------------------------------------------------------------------------------


def queries_of(user, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        item_stats.item_report(user, **kwargs)
    return len(ctx.captured_queries)


def test_the_report_takes_the_same_few_queries_for_3_or_30_cases(training_manager):
    sittings = attempts(SCORES)
    for case in make_test_cases(1, 3):
        answer(case, sittings, [1, 1, 0, 0, 1])
    item_stats.item_report(training_manager)  # warm: the cached settings row and content type
    small, small_q = queries_of(training_manager), queries_of(training_manager, by="question")
    for case in make_test_cases(2, 27):
        answer(case, sittings, [1, 0, 1, 0, 1])
    assert queries_of(training_manager) == small <= 4
    assert queries_of(training_manager, by="question") == small_q <= 4


# --- the draw ---------------------------------------------------------------------------------


def test_the_draw_takes_the_least_exposed_test_cases_and_never_training_cases(csr):
    # given: 15 level-1 test cases, 5 of them drawn three times already, and training cases
    fresh = make_test_cases(1, 10)
    worn = make_test_cases(1, 5)
    Case.objects.filter(pk__in=[c.pk for c in worn]).update(exam_uses=3)
    training = make_training_cases(1, 5)
    # when
    attempt = exam_start(employee=csr, level=1, rng=random.Random(5))
    # then
    assert set(attempt.case_ids) == {c.pk for c in fresh}
    assert not set(attempt.case_ids) & {c.pk for c in training}


def test_the_exposure_cap_keeps_overexposed_cases_out_of_the_draw(csr):
    # given: 12 test cases: ten drawn 4 times, two drawn 5 times; a cap of 5
    settings_(exam_exposure_cap=5)
    ok = make_test_cases(1, 10)
    capped = make_test_cases(1, 2)
    Case.objects.filter(pk__in=[c.pk for c in ok]).update(exam_uses=4)
    Case.objects.filter(pk__in=[c.pk for c in capped]).update(exam_uses=5)
    # when: a draw asked for more than the capped pool holds, then an exam
    drawn = exam_draw(1, 12, random.Random(3), max_exposure=5).cases
    attempt = exam_start(employee=csr, level=1, rng=random.Random(2))
    # then: both stop short of the capped cases
    assert {c.pk for c in drawn} == {c.pk for c in ok}
    assert set(attempt.case_ids) == {c.pk for c in ok}


def test_an_exam_is_refused_rather_than_shortened_when_the_cap_leaves_too_few_cases(csr):
    settings_(exam_exposure_cap=5)
    cases = make_test_cases(1, 12)
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(exam_uses=5)
    with pytest.raises(ExamError) as refused:
        exam_start(employee=csr, level=1)
    assert refused.value.message == (
        "The level-1 exam is not available yet: it needs 10 test cases with questions "
        "and the level's test set has 9. Please try again later."
    )
    assert not ExamAttempt.objects.exists()


# --- move proposals -----------------------------------------------------------------------------


def flagged_case(level: int = 2) -> Case:
    settings_(item_min_responses=5)
    case = CaseFactory(level=level, split="test")
    answer(case, attempts(SCORES), [0, 0, 1, 1, 1])
    return case


def test_a_training_manager_proposes_a_move_in_one_click_and_three_approvals_apply_it(
    client, training_manager
):
    # given: a level-2 test case with negative discrimination
    case = flagged_case()
    client.force_login(training_manager)
    # when: one click on "one level down"
    response = client.post(
        reverse("promotion:exam_item_propose", args=[case.pk]), {"action": "level_down"}
    )
    # then: an open proposal of the move kind, with the statistics as evidence
    proposal = Proposal.objects.get(kind="case_item_move")
    assert response.status_code == 302 and response["Location"] == reverse(
        "review:proposal_detail", args=[proposal.pk]
    )
    assert (
        proposal.status == "open"
        and proposal.target_id == case.pk
        and proposal.base_version == case.version
    )
    assert proposal.payload["to_level"] == 1 and proposal.payload["evidence"]["flags"] == [
        "low_discrimination"
    ]
    assert proposal.payload["evidence"]["responses"] == 5
    # when: three committee members approve
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", comment=""
        )
    # then: the case is level 1 now, same version, with a "regraded" event
    case.refresh_from_db()
    proposal.refresh_from_db()
    assert proposal.status == "applied" and (case.level, case.split, case.version) == (1, "test", 1)
    assert CaseEvent.objects.get(case=case, kind="regraded").data["to_level"] == 1


def test_a_retirement_applied_moves_the_case_to_the_history_library_and_outdates_its_proposals(
    training_manager,
):
    # given: a flagged case with an open revision proposal besides the retirement
    case = flagged_case()
    revision = case_revision_propose(
        proposer=committee_member(),
        case_id=case.pk,
        base_version=case.version,
        reason="更清楚",
        title=case.title + "（修订）",
        category_id=case.category_id,
        background=case.background,
        tree=case_tree(case),
        visible_cases=Case.objects.all(),
    )
    proposal = case_item_move_propose(
        proposer=training_manager, case_id=case.pk, action="retire", reason="r"
    )
    # when
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", comment=""
        )
    # then
    case.refresh_from_db()
    revision.refresh_from_db()
    assert case.status == "history" and CaseEvent.objects.filter(case=case, kind="retired").exists()
    assert revision.status == "stale"


def test_a_move_goes_stale_when_the_case_was_regraded_meanwhile(training_manager, reviewer):
    case = flagged_case()
    proposal = case_item_move_propose(
        proposer=training_manager, case_id=case.pk, action="training", reason="r"
    )
    Case.objects.filter(pk=case.pk).update(level=3)
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", comment=""
        )
    proposal.refresh_from_db()
    case.refresh_from_db()
    assert proposal.status == "stale" and case.split == "test"


def test_a_second_open_move_of_the_same_case_is_refused(training_manager):
    case = flagged_case()
    case_item_move_propose(
        proposer=training_manager, case_id=case.pk, action="training", reason="r"
    )
    with pytest.raises(CaseConflict):
        case_item_move_propose(
            proposer=training_manager, case_id=case.pk, action="retire", reason="r"
        )


def test_moves_past_the_ladder_and_of_training_cases_are_refused(training_manager):
    top = CaseFactory(level=5, split="test")
    with pytest.raises(CaseError) as edge:
        case_item_move_propose(
            proposer=training_manager, case_id=top.pk, action="level_up", reason="r"
        )
    assert edge.value.message == "A level-5 case cannot move one level up."
    study = CaseFactory(level=2, split="training")
    with pytest.raises(CaseError):
        case_item_move_propose(
            proposer=training_manager, case_id=study.pk, action="retire", reason="r"
        )
    with pytest.raises(CaseError):
        case_item_move_propose(
            proposer=training_manager, case_id=top.pk, action="promote", reason="r"
        )


def test_a_csr_cannot_propose_a_move(csr):
    case = flagged_case()
    with pytest.raises(CasePermissionDenied):
        case_item_move_propose(proposer=csr, case_id=case.pk, action="retire", reason="r")


def test_a_committee_member_cannot_move_a_case_of_a_level_they_are_still_examined_on(reviewer):
    # the level-4 member sees levels 1–3 only
    case = flagged_case(level=4)
    with pytest.raises(Case.DoesNotExist):
        case_item_move_propose(proposer=reviewer, case_id=case.pk, action="retire", reason="r")
    assert item_stats.visible_levels(reviewer) == [1, 2, 3]
    assert all(r.level < 4 for r in item_stats.item_report(reviewer).rows)


# --- page, API and permissions -------------------------------------------------------------------


def test_the_page_shows_the_table_the_chart_and_the_move_buttons(client, training_manager):
    case = flagged_case()
    client.force_login(training_manager)
    response = client.get(reverse("promotion:exam_items"))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.title in html and "Low discrimination" in html and "<svg" in html
    assert 'class="level-dot level-2 flagged"' in html
    assert reverse("promotion:exam_item_propose", args=[case.pk]) in html
    assert "Exam item statistics" in html  # the navigation entry


def test_the_page_is_in_chinese_by_default(training_manager, settings):
    from django.test import Client

    settings.LANGUAGE_FOLLOWS_BROWSER = False
    flagged_case()
    chinese = Client()
    chinese.force_login(training_manager)
    response = chinese.get(reverse("promotion:exam_items"))
    assert response.status_code == 200 and '<html lang="zh-hans">' in response.content.decode()


def test_bad_filters_are_a_form_error_not_a_500(client, api, training_manager):
    client.force_login(training_manager)
    assert (
        client.get(
            reverse("promotion:exam_items"), {"level": "9", "sort": "x", "page": "zz"}
        ).status_code
        == 200
    )
    api.force_authenticate(training_manager)
    response = api.get(reverse("api-promotion-exam-items"), {"level": "9"})
    assert response.status_code == 400 and "level" in response.json()["fields"]


@pytest.mark.parametrize("who", ["csr", "hr", "team_leader"])
def test_others_get_403_on_the_page_the_proposal_and_the_api(client, api, request, who):
    user = request.getfixturevalue(who)
    case = flagged_case()
    client.force_login(user)
    assert client.get(reverse("promotion:exam_items")).status_code == 403
    assert (
        client.post(
            reverse("promotion:exam_item_propose", args=[case.pk]), {"action": "retire"}
        ).status_code
        == 403
    )
    api.force_authenticate(user)
    assert api.get(reverse("api-promotion-exam-items")).status_code == 403
    assert not Proposal.objects.exists()


def test_the_api_returns_the_statistics_for_managers_and_committee_members(
    api, training_manager, reviewer
):
    case = flagged_case()
    api.force_authenticate(training_manager)
    body = api.get(reverse("api-promotion-exam-items"), {"flagged": "true"}).json()
    assert body["count"] == 1 and body["min_responses"] == 5
    row = body["results"][0]
    assert row["case_id"] == case.pk and row["flags"] == ["low_discrimination"]
    assert row["discrimination"] == pytest.approx(by_hand_point_biserial(SCORES, [0, 0, 1, 1, 1]))
    api.force_authenticate(reviewer)
    assert api.get(reverse("api-promotion-exam-items"), {"by": "question"}).status_code == 200
    assert api.post(reverse("api-promotion-exam-items")).status_code == 405


def test_the_proposal_of_an_unknown_case_is_404(client, training_manager):
    client.force_login(training_manager)
    assert (
        client.post(
            reverse("promotion:exam_item_propose", args=[999999]), {"action": "retire"}
        ).status_code
        == 404
    )
    assert client.get(reverse("promotion:exam_item_propose", args=[1])).status_code == 405


def test_the_committee_sees_the_move_with_its_evidence_on_the_proposal_page(
    client, training_manager
):
    case = flagged_case()
    proposal = case_item_move_propose(
        proposer=training_manager,
        case_id=case.pk,
        action="training",
        reason="r",
        evidence=item_stats.item_row(training_manager, case.pk).evidence(),
    )
    member = committee_member()
    client.force_login(member)
    html = client.get(reverse("review:proposal_detail", args=[proposal.pk])).content.decode()
    assert (
        "Exam statistics when proposed" in html
        and "Low discrimination" in html
        and case.title in html
    )
    assert "level 2, Training set" in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("item_discrimination_floor", "0.51"),
        ("item_min_responses", "1"),
        ("exam_exposure_cap", "-1"),
    ],
)
def test_the_item_settings_are_bounded_in_admin(client, training_manager, field, value):
    client.force_login(training_manager)
    url = reverse("admin:promotion_promotionsettings_change", args=[1])
    assert "Default 0.10" in client.get(url).content.decode()
    data = {
        "retake_wait_hours": 72,
        "max_attempts_per_period": 3,
        "attempt_period_days": 30,
        "min_test_pool": 10,
        "max_questions_per_case": 3,
        "mentorship_min_days": 30,
        "max_active_apprentices": 3,
        "exam_exposure_cap": 0,
        "item_min_responses": 20,
        "item_discrimination_floor": "0.10",
        "pace_days": 90,
        "retest_horizon_days": 60,
        "risk_days_left": 30,
        "blueprint_floor_percent": 5,
    }
    assert client.post(url, dict(data, exam_exposure_cap=50)).status_code == 302
    assert PromotionSettings.current().exam_exposure_cap == 50
    response = client.post(url, dict(data, **{field: value}))
    assert response.status_code == 200 and PromotionSettings.current().exam_exposure_cap == 50


def test_the_page_lists_questions_per_case_on_request(client, reviewer):
    # given: a level-1 case (below the level-4 member's own level) with two questions
    case = CaseFactory(level=1, split="test")
    sittings = attempts(SCORES)
    answer(case, sittings, [1, 1, 1, 0, 0], key="best_reply:11")
    answer(case, sittings, [1, 0, 1, 0, 1], key="customer_emotion:12")
    client.force_login(reviewer)
    # when
    html = client.get(
        reverse("promotion:exam_items"), {"by": "question", "sort": "discrimination"}
    ).content.decode()
    # then: a row per question, the lower discrimination first, both plotted
    assert html.index("Reading the customer&#x27;s emotion") < html.index("Choosing the best reply")
    assert html.count('class="level-dot level-1') == 2
