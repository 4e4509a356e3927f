"""Demo promotion data. Levels and requirements come from the migration; this writes history
consistent with the demo employees' levels (backdated PromotionEvents through the demo-only
promotion_history_backfill, never the checking service), past and running mentorships
(HB0005 → HB0001, HB0006 → HB0002), one open retention re-test window with its
notification (HB0003), one demotion with its reason (HB0002), a finished exam attempt
(HB0001, a week old: the retake waiting period is over), a medal, and past exam attempts of
levels 1–3 (over a year old, by employees at or above the level) whose answers make the
exam item statistics show numbers and flags: one level-2 case far easier than its level,
one that weak examinees answer better than strong ones; the training manager proposed one
move of a flagged case to the review committee. Safe to run again."""

import math
import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from casebase.models import Case
from promotion.models import (
    ExamAttempt,
    Medal,
    MedalAward,
    Mentorship,
    Notification,
    PromotionEvent,
)
from promotion.services.common import ExamError, PromotionConflict
from promotion.services.exams import exam_history_backfill, exam_start, exam_submit
from promotion.services.levels import promotion_history_backfill
from promotion.services.medals import medal_award
from promotion.services.mentoring import mentorship_history_backfill
from promotion.services.notifications import notification_send
from promotion.services.retention import retention_run_daily

STEP_DAYS = 380  # between two promotions of one employee
DEMOTED = "HB0002"  # level 1 now: promoted to 2 a year ago, failed retention
OPEN_WINDOW = "HB0003"  # level 2: promoted 340 days ago, re-test window open
ACTIVE_PAIRS = [("HB0005", "HB0001"), ("HB0006", "HB0002")]
# mentor: (apprentices brought 0→1, apprentices brought 1→2) in their past
PAST_APPRENTICES = {"HB0004": (3, 0), "HB0005": (3, 3), "HB0006": (3, 3)}


def _past_mentorships(users: dict[str, User], now) -> dict[tuple[int, int], object]:
    """{(apprentice id, from level): mentorship} for the generated CSRs assigned to the
    senior demo mentors; each apprentice is credited to one mentor per step."""
    credited: dict[tuple[int, int], object] = {}
    pool = [u for u in users.values() if u.staff_id.startswith("HB01") and u.level >= 1]
    for mentor_id, (zero_to_one, one_to_two) in PAST_APPRENTICES.items():
        mentor = users.get(mentor_id)
        if mentor is None:
            continue
        for from_level, wanted in ((0, zero_to_one), (1, one_to_two)):
            candidates = [
                u for u in pool if u.level > from_level and (u.pk, from_level) not in credited
            ]
            for apprentice in candidates[:wanted]:
                credited[(apprentice.pk, from_level)] = mentorship_history_backfill(
                    mentor=mentor,
                    apprentice=apprentice,
                    from_level=from_level,
                    started_at=now
                    - timedelta(days=STEP_DAYS * (apprentice.level - from_level) + 200),
                    ended_at=now
                    - timedelta(days=STEP_DAYS * (apprentice.level - from_level - 1) + 70),
                )
    return credited


def _history(user: User, now, credited: dict) -> None:
    offset = int(user.staff_id[-2:]) % 30
    if user.staff_id == DEMOTED:
        promotion_history_backfill(
            employee=user,
            kind=PromotionEvent.Kind.PROMOTED,
            from_level=0,
            to_level=1,
            at=now - timedelta(days=760),
            mentorship=credited.get((user.pk, 0)),
        )
        promotion_history_backfill(
            employee=user,
            kind=PromotionEvent.Kind.PROMOTED,
            from_level=1,
            to_level=2,
            at=now - timedelta(days=400),
            with_retention=True,
        )
        promotion_history_backfill(
            employee=user,
            kind=PromotionEvent.Kind.DEMOTED,
            from_level=2,
            to_level=1,
            at=now - timedelta(days=34),
            reasons=[
                {"code": "points_task", "params": {"earned": 120, "needed": 200}},
                {"code": "retest_exam", "params": {"level": 2}},
            ],
        )
        return
    last_days = 340 if user.staff_id == OPEN_WINDOW else 40 + offset * 5
    for to_level in range(1, user.level + 1):
        at = now - timedelta(days=last_days + (user.level - to_level) * STEP_DAYS)
        promotion_history_backfill(
            employee=user,
            kind=PromotionEvent.Kind.PROMOTED,
            from_level=to_level - 1,
            to_level=to_level,
            at=at,
            with_retention=to_level == user.level,
            mentorship=credited.get((user.pk, to_level - 1)),
        )


def _exam(user: User) -> None:
    if ExamAttempt.objects.filter(employee=user).exclude(status=ExamAttempt.Status.OPEN).exists():
        return
    try:
        attempt = exam_start(employee=user, level=user.level + 1)
    except (ExamError, PromotionConflict):
        return
    # Half right: a realistic failed first attempt.
    answers = {q["id"]: q["answer"] for n, q in enumerate(attempt.questions) if n % 2 == 0}
    exam_submit(attempt_id=attempt.pk, employee=user, answers=answers)
    # Demo history only: the attempt was a week ago, so the waiting period is over and the
    # demo CSR can sit the exam again today.
    week = timedelta(days=7)
    ExamAttempt.objects.filter(pk=attempt.pk).update(
        started_at=F("started_at") - week,
        deadline=F("deadline") - week,
        submitted_at=F("submitted_at") - week,
    )


HISTORY_EXAMS_PER_LEVEL = 30
HISTORY_DAYS = 420  # the past attempts start this long ago: no retake rule of today sees them


def _exam_history(users: dict[str, User], now) -> int:
    """Past level 1–3 exam attempts with answers from a simple ability model: an examinee of
    ability a gets a question of a case of easiness b right with probability 1/(1+e^−(a+b)),
    each level's cases one step harder than the level below;
    the level-2 test case with the lowest id is made very easy, the next one rewards the
    weak (so the statistics page has a flag of each kind to show). Skipped when present."""
    if ExamAttempt.objects.filter(started_at__lt=now - timedelta(days=HISTORY_DAYS - 1)).exists():
        return 0
    rng = random.Random(20261128)
    written = 0
    for level in (1, 2, 3):
        examinees = [u for u in users.values() if u.level >= level]
        odd = list(
            Case.objects.testing()
            .filter(level=level)
            .order_by("pk")
            .values_list("pk", flat=True)[:2]
        )
        for n in range(HISTORY_EXAMS_PER_LEVEL):
            if not examinees:
                break
            ability = rng.uniform(-1.5, 2.5)

            def answer(question, ability=ability, level=level, odd=odd):
                case_id = question["case_id"]
                easiness = (
                    (case_id * 37 % 11) / 10 - 0.5 + (2 - level)
                )  # ±0.5 per case; a level harder: −1
                if level == 2 and odd and case_id == odd[0]:
                    return rng.random() < 0.97
                if level == 2 and len(odd) > 1 and case_id == odd[1]:
                    return rng.random() < 1 / (1 + math.exp(ability - 0.5))
                return rng.random() < 1 / (1 + math.exp(-(ability + easiness)))

            at = now - timedelta(days=HISTORY_DAYS + n, hours=level)
            if exam_history_backfill(
                employee=examinees[n % len(examinees)], level=level, at=at, rng=rng, answer=answer
            ):
                written += 1
    return written


ITEM_MOVE_PROPOSER = "HB9001"  # the training manager


def _item_move_proposal() -> None:
    """The training manager turns one flagged case of the exam item statistics into a review
    suggestion, as the statistics page's one-click button does (the real service, the row's
    numbers as evidence): the first flagged case whose flags suggest a level move down (the
    very easy level-2 case), else the first flagged case with a move. Once: skipped when any
    item move proposal exists."""
    from casebase.selectors import KIND_ITEM_MOVE
    from casebase.services.item_moves import case_item_move_propose
    from promotion import item_stats
    from review.models import Proposal

    proposer = User.objects.filter(staff_id=ITEM_MOVE_PROPOSER, is_active=True).first()
    if proposer is None or Proposal.objects.filter(kind=KIND_ITEM_MOVE).exists():
        return
    flagged = [row for row in item_stats.item_report(proposer).rows if row.moves]
    row = next(
        (r for r in flagged if r.moves[0][0] == "level_down"), flagged[0] if flagged else None
    )
    if row is None:
        return
    p = "—" if row.difficulty is None else f"{row.difficulty:.2f}"
    r = "—" if row.discrimination is None else f"{row.discrimination:.2f}"
    case_item_move_propose(
        proposer=proposer,
        case_id=row.case_id,
        action=row.moves[0][0],
        reason=(
            f"演示：考试题目统计标记了本案例（作答 {row.responses} 次，正确率 {p}，区分度 {r}），"
            "建议按统计调整级别。"
        ),
        evidence=row.evidence(),
    )


def load(*, stdout) -> None:
    now = timezone.now()
    users = {
        u.staff_id: u
        for u in User.objects.filter(is_active=True, groups__name="CSR")
        .distinct()
        .order_by("staff_id")
    }
    manager = User.objects.filter(staff_id="HB9201").first()
    credited = _past_mentorships(users, now)
    for user in users.values():
        _history(user, now, credited)
    for mentor_id, apprentice_id in ACTIVE_PAIRS:
        mentor, apprentice = users.get(mentor_id), users.get(apprentice_id)
        if (
            mentor
            and apprentice
            and not Mentorship.objects.filter(apprentice=apprentice, ended_at__isnull=True).exists()
        ):
            mentorship_history_backfill(
                mentor=mentor,
                apprentice=apprentice,
                from_level=apprentice.level,
                started_at=now - timedelta(days=20),
            )
    demoted = users.get(DEMOTED)
    if demoted is not None:
        event = PromotionEvent.objects.filter(
            employee=demoted, kind=PromotionEvent.Kind.DEMOTED
        ).first()
        notification_send(
            recipient=demoted,
            kind=Notification.Kind.DEMOTED,
            key=f"demoted:{event.pk}",
            data={"level": 1, "reasons": event.reasons},
            at=event.at,
        )
    if users.get("HB0001"):
        _exam(users["HB0001"])
    _exam_history(users, now)
    _item_move_proposal()
    retention_run_daily(now=now)  # opens HB0003's re-test window and notifies
    medal = Medal.objects.filter(code="best-mentor").first()
    if (
        medal
        and manager
        and users.get("HB0006")
        and not MedalAward.objects.filter(employee=users["HB0006"]).exists()
    ):
        medal_award(medal=medal, employee=users["HB0006"], by=manager, reason="三年带出六名徒弟")
    stdout.write(
        f"promotion: {PromotionEvent.objects.count()} level changes, "
        f"{Mentorship.objects.count()} mentorships, {ExamAttempt.objects.count()} exam attempts, "
        f"{Notification.objects.count()} notifications"
    )
