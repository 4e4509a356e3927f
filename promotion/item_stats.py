"""Exam item statistics of the test cases (classical test theory), computed in the database.

The data are the ExamItemResponse rows of SUBMITTED attempts (passed or failed; an expired
attempt's unanswered questions say nothing about the items), promotion exams and retention
re-tests alike. For each test case — and, with ``by="question"``, for each question of it
(its kind and the turn it was made from, models.question_key) — over its n answers:

* **exposure**: times the case was drawn into an exam (Case.exam_uses, counted at the draw,
  so abandoned attempts count too);
* **difficulty** p: the share of its answers that were correct (higher = easier);
* **discrimination**: the point-biserial correlation between an answer being correct (1/0)
  and the score (%) of the attempt it belongs to, over the item's answers:
  r = (M1 − M0) / s · √(p·q), M1/M0 the mean attempt score of the correct/incorrect answers,
  s the population standard deviation of those scores, q = 1 − p. It is computed as the
  Pearson correlation from five sums (n, Σc, Σx, Σx², Σcx) aggregated by one GROUP BY, the
  same value. The attempt's score includes the item itself (the uncorrected item–total
  correlation, the usual choice for exams of 10–60 questions; it is slightly higher than the
  corrected one). None when every answer was right, or every one wrong, or all attempts
  scored the same: the correlation is undefined then.

Flags (only for items with at least PromotionSettings.item_min_responses answers, except
"overexposed"):

* **behaves like level n−1** ("easier"): the case's p is above the median p of the level
  n−1 test cases (each with enough answers): more examinees get it right than get a typical
  easier-level case right. Suggests moving it one level down.
* **behaves like level n+1** ("harder"): its p is below the median p of the level n+1 test
  cases. Suggests moving it one level up. A neighbour level with no case that has enough
  answers gives no median, hence no flag.
* **low discrimination**: discrimination below PromotionSettings.item_discrimination_floor
  (near zero or negative: strong examinees do no better on it than weak ones). Suggests
  moving it to training or retiring it (or revising it).
* **overexposed**: drawn into at least PromotionSettings.exam_exposure_cap exams (when a cap
  is set; such cases are no longer drawn). Suggests training or retirement.

Queries: a fixed number whatever the number of cases (settings, the aggregate, the cases,
the open move proposals)."""

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case as When_
from django.db.models import Count, FloatField, IntegerField, Sum, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.levels import CASE_LEVELS, MAX_LEVEL, MIN_CASE_LEVEL
from casebase.models import Case
from casebase.questions import KIND_LABELS
from casebase.selectors import KIND_ITEM_MOVE, sees_test_content
from config import charts
from config.charts import Chart
from promotion.models import ExamAttempt, ExamItemResponse, PromotionSettings
from review.models import Proposal

# Who sees the statistics (page and API) and proposes moves from them.
ITEM_STATS_PERMISSIONS = (roles.MANAGE_TRAINING, roles.REVIEW)

EASIER = "easier"
HARDER = "harder"
LOW_DISCRIMINATION = "low_discrimination"
OVEREXPOSED = "overexposed"
FLAG_LABELS = {
    EASIER: _("Behaves like the level below"),
    HARDER: _("Behaves like the level above"),
    LOW_DISCRIMINATION: _("Low discrimination"),
    OVEREXPOSED: _("Overexposed"),
}
# The moves each flag suggests (casebase.services.item_moves.ItemMove codes), in display order.
FLAG_MOVES = {
    EASIER: ("level_down",),
    HARDER: ("level_up",),
    LOW_DISCRIMINATION: ("training", "retire"),
    OVEREXPOSED: ("training", "retire"),
}
MOVE_LABELS = {
    "level_down": _("Propose: one level down"),
    "level_up": _("Propose: one level up"),
    "training": _("Propose: move to training"),
    "retire": _("Propose: retire"),
}
SORTS = ("flags", "level", "difficulty", "discrimination", "exposure", "responses")
DEFAULT_FILTERS = {"level": None, "by": "case", "flagged_only": False, "sort": "flags"}
COUNTED_STATUSES = (ExamAttempt.Status.PASSED, ExamAttempt.Status.FAILED)


def can_view_item_stats(user) -> bool:
    """Training managers and review committee members (the page, the API, the proposals)."""
    return bool(
        user and user.is_authenticated and any(user.has_perm(p) for p in ITEM_STATS_PERMISSIONS)
    )


def visible_levels(user) -> list[int]:
    """The levels whose test cases ``user`` may see listed (casebase.selectors.sees_test_content:
    an examinee never sees the test cases of a level they will still be examined on)."""
    return [level for level in CASE_LEVELS if sees_test_content(user, level)]


@dataclass
class ItemStats:
    """One row: a test case (question_key "" ) or one question of it."""

    case_id: int
    title: str
    level: int
    exposure: int
    question_key: str = ""
    kind: str = ""
    responses: int = 0
    correct: int = 0
    attempts: int = 0
    difficulty: float | None = None
    discrimination: float | None = None
    flags: list[str] = field(default_factory=list)
    open_proposal: int | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[flag]) for flag in self.flags]

    @property
    def moves(self) -> list[tuple[str, str]]:
        """(action, label) of the moves the flags suggest, without repeats; none for a level
        edge that cannot move further."""
        seen: list[str] = []
        for flag in self.flags:
            for move in FLAG_MOVES[flag]:
                if (
                    move not in seen
                    and not (move == "level_down" and self.level <= MIN_CASE_LEVEL)
                    and not (move == "level_up" and self.level >= MAX_LEVEL)
                ):
                    seen.append(move)
        return [(move, str(MOVE_LABELS[move])) for move in seen]

    def evidence(self) -> dict:
        """The numbers kept on a move proposal (what the proposer saw)."""
        return {
            "exposure": self.exposure,
            "responses": self.responses,
            "attempts": self.attempts,
            "difficulty": _rounded(self.difficulty),
            "discrimination": _rounded(self.discrimination),
            "flags": list(self.flags),
            "flag_text": "; ".join(self.flag_labels),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def point_biserial(
    n: int, sum_c: float, sum_x: float, sum_xx: float, sum_cx: float
) -> float | None:
    """The Pearson correlation of a 0/1 variable c with x from the sums over n pairs — the
    point-biserial coefficient; None when either variable does not vary."""
    var_c = n * sum_c - sum_c * sum_c  # c² = c
    var_x = n * sum_xx - sum_x * sum_x
    if n < 2 or var_c <= 0 or var_x <= 1e-9:
        return None
    return (n * sum_cx - sum_c * sum_x) / math.sqrt(var_c * var_x)


def _aggregates(case_ids: Iterable[int] | None, *, by_question: bool) -> list[dict]:
    """One GROUP BY over the counted answers: n, correct, distinct attempts and the sums of
    the attempt score (x), x² and c·x per case (and question)."""
    score = Cast("attempt__score_percent", FloatField())
    right = When_(When(correct=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    qs = ExamItemResponse.objects.filter(
        attempt__status__in=COUNTED_STATUSES, attempt__score_percent__isnull=False
    )
    if case_ids is not None:
        qs = qs.filter(case_id__in=list(case_ids))
    keys = ["case_id", "question_key", "kind"] if by_question else ["case_id"]
    return list(
        qs.values(*keys)
        .order_by()
        .annotate(
            n=Count("pk"),
            right=Sum(right),
            attempts=Count("attempt_id", distinct=True),
            sum_x=Sum(score),
            sum_xx=Sum(score * score),
            sum_cx=Sum(
                When_(When(correct=True, then=score), default=Value(0.0), output_field=FloatField())
            ),
        )
    )


def _row_stats(row: ItemStats, agg: dict) -> None:
    row.responses, row.correct, row.attempts = agg["n"], agg["right"] or 0, agg["attempts"]
    row.difficulty = row.correct / row.responses if row.responses else None
    row.discrimination = point_biserial(
        row.responses,
        float(row.correct),
        agg["sum_x"] or 0.0,
        agg["sum_xx"] or 0.0,
        agg["sum_cx"] or 0.0,
    )


def level_medians(rows: Iterable[ItemStats], min_responses: int) -> dict[int, float]:
    """{level: median difficulty of its test cases with at least ``min_responses`` answers}
    (levels without such a case are absent)."""
    by_level: dict[int, list[float]] = {}
    for row in rows:
        if row.responses >= min_responses and row.difficulty is not None:
            by_level.setdefault(row.level, []).append(row.difficulty)
    return {level: statistics.median(values) for level, values in by_level.items()}


def flag(
    row: ItemStats, *, medians: dict[int, float], config: PromotionSettings, per_case: bool = True
) -> list[str]:
    """The flags of ``row`` (see the module docstring); level moves only per case."""
    flags = []
    judged = row.responses >= config.item_min_responses and row.difficulty is not None
    if judged and per_case:
        below, above = medians.get(row.level - 1), medians.get(row.level + 1)
        if below is not None and row.difficulty > below:
            flags.append(EASIER)
        if above is not None and row.difficulty < above:
            flags.append(HARDER)
    if (
        judged
        and row.discrimination is not None
        and row.discrimination < float(config.item_discrimination_floor)
    ):
        flags.append(LOW_DISCRIMINATION)
    if per_case and config.exam_exposure_cap and row.exposure >= config.exam_exposure_cap:
        flags.append(OVEREXPOSED)
    return flags


@dataclass
class ItemReport:
    rows: list[ItemStats]
    medians: dict[int, float]
    config: PromotionSettings
    levels: list[int]

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.flags)


def _sort_key(sort: str):
    def none_last(value):
        return (value is None, value if value is not None else 0)

    if sort == "level":
        return lambda r: (r.level, r.title, r.case_id, r.question_key)
    if sort == "difficulty":
        return lambda r: (none_last(r.difficulty), r.level, r.case_id, r.question_key)
    if sort == "discrimination":
        return lambda r: (none_last(r.discrimination), r.level, r.case_id, r.question_key)
    if sort == "exposure":
        return lambda r: (-r.exposure, r.level, r.case_id, r.question_key)
    if sort == "responses":
        return lambda r: (-r.responses, r.level, r.case_id, r.question_key)
    return lambda r: (-len(r.flags), sorted(r.flags), r.level, r.title, r.case_id, r.question_key)


def item_report(
    user,
    *,
    level: int | None = None,
    by: str = "case",
    flagged_only: bool = False,
    sort: str = "flags",
) -> ItemReport:
    """The item statistics of the active test cases ``user`` may see (visible_levels), per
    case or (``by="question"``) per question, optionally of one ``level`` and only the
    flagged rows, sorted by ``sort`` (SORTS; "flags": most flags first). Level medians use
    every level's cases, visible or not. Four queries at most, whatever the number of cases."""
    config = PromotionSettings.current()
    levels = [lv for lv in visible_levels(user) if level is None or lv == level]
    cases = list(
        Case.objects.testing().order_by("level", "pk").values("pk", "title", "level", "exam_uses")
    )
    per_case = {
        c["pk"]: ItemStats(
            case_id=c["pk"], title=c["title"], level=c["level"], exposure=c["exam_uses"]
        )
        for c in cases
    }
    for agg in _aggregates(None, by_question=False):
        if agg["case_id"] in per_case:
            _row_stats(per_case[agg["case_id"]], agg)
    medians = level_medians(per_case.values(), config.item_min_responses)
    shown = [row for row in per_case.values() if row.level in levels]
    for row in shown:
        row.flags = flag(row, medians=medians, config=config)
    if by == "question":
        rows = []
        for agg in _aggregates([row.case_id for row in shown], by_question=True):
            base = per_case[agg["case_id"]]
            row = ItemStats(
                case_id=base.case_id,
                title=base.title,
                level=base.level,
                exposure=base.exposure,
                question_key=agg["question_key"],
                kind=agg["kind"],
            )
            _row_stats(row, agg)
            row.flags = flag(row, medians=medians, config=config, per_case=False)
            rows.append(row)
    else:
        rows = shown
        _attach_open_proposals(rows)
    if flagged_only:
        rows = [row for row in rows if row.flags]
    rows.sort(key=_sort_key(sort if sort in SORTS else "flags"))
    return ItemReport(rows=rows, medians=medians, config=config, levels=levels)


def _attach_open_proposals(rows: list[ItemStats]) -> None:
    """The open move proposal of each flagged case (one query), so the page links to it
    instead of offering a second one."""
    wanted = {row.case_id: row for row in rows if row.flags}
    if not wanted:
        return
    proposals = Proposal.objects.filter(
        kind=KIND_ITEM_MOVE,
        status=Proposal.Status.OPEN,
        target_type=ContentType.objects.get_for_model(Case),
        target_id__in=list(wanted),
    ).values_list("target_id", "pk")
    for target_id, pk in proposals:
        wanted[target_id].open_proposal = pk


def item_row(user, case_id: int) -> ItemStats | None:
    """The per-case statistics row of one visible active test case (None otherwise)."""
    return next((row for row in item_report(user).rows if row.case_id == case_id), None)


# --- the chart ----------------------------------------------------------------------------


def scatter_chart(
    rows: Iterable[ItemStats], config: PromotionSettings, *, width: int = 560, height: int = 320
) -> Chart | None:
    """The server-rendered scatter (templates/charts/chart.html): difficulty (share correct,
    0–1) across, discrimination (−1–1) up, one dot per row (case or question) with a
    discrimination, coloured by level (the badge colours of /styles/levels.css), flagged rows
    ringed; the discrimination floor as a dashed line. None when no row has both figures."""
    plotted = [row for row in rows if row.difficulty is not None and row.discrimination is not None]
    if not plotted:
        return None
    left, right, top, bottom = 44, 12, 12, 34
    x = charts.linear((0, 1), (left, width - right))
    y = charts.linear((1, -1), (top, height - bottom))
    floor = float(config.item_discrimination_floor)
    chart = Chart(
        width=width,
        height=height,
        label=gettext("Difficulty (share correct) against discrimination per test case"),
        css="item-scatter",
    )
    chart.line(left, y(0), width - right, y(0))
    chart.line(left, top, left, height - bottom)
    chart.line(
        left,
        y(floor),
        width - right,
        y(floor),
        cls="band-line",
        title=gettext("Lowest acceptable discrimination: %(floor)s") % {"floor": f"{floor:.2f}"},
    )
    for p in charts.ticks(0, 1, 4):
        chart.text(x(p), height - bottom + 14, f"{p:.2f}", anchor="middle")
    for r in (1, 0.5, 0, -0.5, -1):
        chart.text(left - 6, y(r), f"{r:g}", anchor="end", baseline="middle")
    chart.text(width - right, height - 6, gettext("share correct →"), anchor="end")
    chart.text(left + 4, top + 10, gettext("discrimination ↑"))
    for row in plotted:
        chart.dot(
            x(row.difficulty),
            y(row.discrimination),
            cls=f"level-dot level-{row.level}" + (" flagged" if row.flags else ""),
            title=f"L{row.level} {row.title}: p={row.difficulty:.2f}, r={row.discrimination:.2f}",
        )
    return chart
