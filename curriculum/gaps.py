"""The behaviour gap analysis (差距分析): per competency item of the employee's position model,
the target against the latest rating, the gap and the weighted gap, and the learning advice
drawn from the largest weighted gaps. gap_rows, exam_evidence_from and advice_from decide
without queries; gap_analysis (one employee) and gap_analyses (many, promotion.forecast's
remedial plans) read what they need in a constant number of queries.

Exam evidence: a promotion exam or re-test scores each competency item its cases were tagged
with (promotion.blueprint.competency_tally; curriculum never imports promotion, which
registers how its exams are read from its AppConfig.ready(): register_exam_evidence, in
promotion/learning.py; without it only course exams count); a course exam each item its
questions test (the question's own items, else its course's: curriculum.exam_items). Per
item the employee's latest such exam counts when it was submitted in time (passed or failed
— not a promotion exam whose time ran out), within
CurriculumSettings.exam_evidence_window_days, and asked at least exam_evidence_min_questions
questions about the item; its score reads as a 1–5 level by the settings' bands
(CurriculumSettings.exam_level). The rule combining it with the ratings: the latest behaviour
rating decides the gap; the exam level decides it only for an item nobody has rated yet
(GapRow.source says which). The exam level is always shown beside the ratings."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from competency.models import PositionCompetency
from config.idsets import id_set
from curriculum.exam_items import course_exam_tallies, score_percent
from curriculum.models import BehaviourRating, Course, CurriculumSettings, Enrolment

RATING = "rating"
EXAM = "exam"
PROMOTION_EXAM = "promotion"  # ExamEvidence.kind: a promotion exam or re-test
COURSE_EXAM = "course"  # a course exam (curriculum.ExamAttempt)


@dataclass(frozen=True)
class ExamEvidence:
    """One competency item's result in the employee's latest counting exam: ``correct`` of
    ``total`` questions, ``percent`` (rounded down to 0.1, as on the exam result) read as
    ``level`` (1–5); ``at`` is when the attempt was submitted; ``kind`` says which exam
    (PROMOTION_EXAM or COURSE_EXAM) ``attempt_id`` is an attempt of."""

    level: int
    percent: Decimal
    correct: int
    total: int
    at: dt.datetime
    attempt_id: int
    kind: str = PROMOTION_EXAM


@dataclass(frozen=True)
class ExamEvidenceSource:
    """How the promotion exams are read, registered by promotion: ``tallies(employee_ids,
    since, until)`` gives (employee pk, attempt pk, submitted_at, {competency item id: (right,
    questions)}) of those employees' promotion exams and re-tests submitted in time (passed or
    failed) between ``since`` and ``until``, by employee and newest first, in one query whose
    rows stream (an attempt's questions are reduced to its tally as it is read)."""

    tallies: Callable[[list[int], dt.datetime, dt.datetime], Iterable[tuple]]


_exam_source: ExamEvidenceSource | None = None


def register_exam_evidence(source: ExamEvidenceSource) -> None:
    """Register how the exams are read (from promotion's AppConfig.ready(); the same one
    again is harmless, another one is an error)."""
    global _exam_source
    if _exam_source is not None and _exam_source != source:
        raise ValueError("The exam evidence is registered already.")
    _exam_source = source


_FOUR_PLACES = Decimal("0.0001")


@functools.lru_cache(maxsize=4096)
def _weighted(weight: Decimal, gap: int) -> Decimal:
    """weight × gap to 4 decimal places (a model has a few weights, a gap is 0–4: a roster's
    tens of thousands of rows multiply the same few pairs)."""
    return (Decimal(weight) * gap).quantize(_FOUR_PLACES)


@dataclass(frozen=True)
class GapRow:
    item: object
    item_id: int
    weight: Decimal
    target: int
    before: int | None
    after: int | None
    latest: int | None
    exam: ExamEvidence | None = None
    # weight × gap (4 decimal places); None when there is no gap (see gap). Computed once
    # (sorting and advice read it often; a roster computes thousands of rows) — the row is
    # frozen, so it cannot go stale.
    weighted_gap: Decimal | None = field(init=False, compare=False)

    def __post_init__(self):
        gap = self.gap
        object.__setattr__(
            self, "weighted_gap", None if gap is None else _weighted(self.weight, gap)
        )

    @property
    def source(self) -> str | None:
        """What the gap is measured from: RATING (the latest rating), EXAM (no rating; the
        exam level stands in) or None (neither)."""
        if self.latest is not None:
            return RATING
        return EXAM if self.exam is not None else None

    @property
    def level(self) -> int | None:
        """The level the gap is measured from: the latest rating, else the exam level."""
        return _level_of(self.latest, self.exam)

    @property
    def improvement(self) -> int | None:
        """after − before; None unless both phases are rated."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def gap(self) -> int | None:
        """max(target − level, 0); None when the item has neither a rating nor exam evidence."""
        return _gap_of(self.target, self.level)


def _level_of(latest: int | None, exam: ExamEvidence | None) -> int | None:
    """THE level rule: the latest rating, else the exam level, else None."""
    if latest is not None:
        return latest
    return exam.level if exam is not None else None


def _gap_of(target: int, level: int | None) -> int | None:
    """THE gap rule: max(target − level, 0); None without a level."""
    return None if level is None else max(target - level, 0)


def _order(weighted_gap: Decimal | None, weight: Decimal, code: str) -> tuple:
    """THE order of gap rows: the largest weighted gap first, items without a gap last, then
    the heavier item, then the item code."""
    return (weighted_gap is None, -(weighted_gap or 0), -weight, code)


def exam_evidence_from(
    attempts: Iterable[tuple], *, item_ids: Iterable[int], config: CurriculumSettings
) -> dict[int, ExamEvidence]:
    """{item id: ExamEvidence} for the items of ``item_ids``, without queries: per item, the
    first of ``attempts`` that asked at least ``config.exam_evidence_min_questions``
    questions about it. ``attempts``: (kind, pk, submitted_at, {item id: (right, questions)})
    of ONE employee's counting attempts, newest first (_counting_attempts)."""
    wanted = set(item_ids)
    found: dict[int, ExamEvidence] = {}
    for kind, pk, at, tally in attempts:
        for item_id, (right, total) in tally.items():
            if item_id not in wanted or item_id in found:
                continue
            if total < config.exam_evidence_min_questions:
                continue
            percent = score_percent(right, total)
            found[item_id] = ExamEvidence(
                level=config.exam_level(percent),
                percent=percent,
                correct=right,
                total=total,
                at=at,
                attempt_id=pk,
                kind=kind,
            )
        if len(found) == len(wanted):
            break
    return found


def _counting_attempts(
    employee_ids: Iterable[int], *, config: CurriculumSettings, now: dt.datetime
) -> dict[int, list[tuple]]:
    """{employee pk: [(kind, pk, submitted_at, {item id: (right, questions)}), …] newest
    first}: their own promotion exams and re-tests submitted in time (passed or failed), read
    through the registered ExamEvidenceSource (none without one), and their submitted course
    exams, within the settings' window. Three queries. A promotion attempt's questions (each
    with its case's background and transcript) are reduced to their tally while the rows
    stream, so a roster chunk of thousands of employees never holds their question lists."""
    ids = list(employee_ids)
    since = now - dt.timedelta(days=config.exam_evidence_window_days)
    found: list[tuple] = []
    if _exam_source is not None:
        for employee_id, pk, at, tally in _exam_source.tallies(ids, since, now):
            found.append((employee_id, PROMOTION_EXAM, pk, at, tally))
    course = course_exam_tallies(
        Q(employee_id__in=id_set(ids), submitted_at__gte=since, submitted_at__lte=now)
    )
    for pk, attempt in course.items():
        found.append((attempt.employee_id, COURSE_EXAM, pk, attempt.submitted_at, attempt.items))
    found.sort(key=lambda row: (row[0], -row[3].timestamp(), row[1], -row[2]))
    by_employee: dict[int, list[tuple]] = {}
    for employee_id, *attempt in found:
        by_employee.setdefault(employee_id, []).append(tuple(attempt))
    return by_employee


# What gap_rows reads of a rating.
RATING_FIELDS = ("employee_id", "item_id", "phase", "score", "observed_on", "created_at", "pk")


@dataclass(frozen=True)
class _Target:
    """One position-competency row as gap_rows reads it, prepared once per position model (a
    roster analyses thousands of employees of a few positions)."""

    item: object
    item_id: int
    weight: Decimal
    target: int
    code: str


def _targets(competencies: Iterable) -> list[_Target]:
    return [
        _Target(
            item=pc.item,
            item_id=pc.item_id,
            weight=Decimal(pc.weight),
            target=pc.target_score,
            code=pc.item.code,
        )
        for pc in competencies
    ]


def _rated_levels(ratings: Iterable) -> dict[int, tuple[int | None, int | None, int]]:
    """{item id: (before, after, latest)} in one pass over ``ratings``: the score of the most
    recent rating (by observed_on, created_at, pk) of the before phase, of the after phase and
    of either phase; the first of equals counts."""
    before_phase = BehaviourRating.Phase.BEFORE
    after_phase = BehaviourRating.Phase.AFTER
    best: dict[
        int, list
    ] = {}  # item id → [before key, before, after key, after, latest key, latest]
    for r in ratings:
        key = (r.observed_on, r.created_at, r.pk or 0)
        slot = best.get(r.item_id)
        if slot is None:
            slot = best[r.item_id] = [None, None, None, None, key, r.score]
        elif key > slot[4]:
            slot[4], slot[5] = key, r.score
        if r.phase == before_phase:
            if slot[0] is None or key > slot[0]:
                slot[0], slot[1] = key, r.score
        elif r.phase == after_phase:
            if slot[2] is None or key > slot[2]:
                slot[2], slot[3] = key, r.score
    return {item_id: (slot[1], slot[3], slot[5]) for item_id, slot in best.items()}


def gap_rows(
    competencies: Iterable, ratings: Iterable, exams: dict[int, ExamEvidence] | None = None
) -> list[GapRow]:
    """One GapRow per position-competency row, sorted by weighted gap (largest first; items
    without a gap last), then by weight and item code.

    ``competencies`` are PositionCompetency-like objects (item, item_id, weight, target_score);
    ``ratings`` are BehaviourRating-like objects (item_id, phase, score, observed_on,
    created_at, pk). "Before"/"after" are the latest rating of that phase; "latest" is the
    most recent rating of either phase, so a new before-rating for the next training counts.
    ``exams``: {item id: ExamEvidence} (exam_evidence_from); it decides the gap of an item
    without ratings.
    """
    return _gap_rows(_targets(competencies), ratings, exams)


_NOT_RATED = (None, None, None)


def _gap_rows(
    targets: Sequence[_Target], ratings: Iterable, exams: dict[int, ExamEvidence] | None
) -> list[GapRow]:
    exams = exams or {}
    levels = _rated_levels(ratings)
    rows = []
    for t in targets:
        before, after, latest = levels.get(t.item_id, _NOT_RATED)
        rows.append(
            GapRow(
                item=t.item,
                item_id=t.item_id,
                weight=t.weight,
                target=t.target,
                before=before,
                after=after,
                latest=latest,
                exam=exams.get(t.item_id),
            )
        )
    coded = [(row, t.code) for row, t in zip(rows, targets, strict=True)]
    coded.sort(key=lambda pair: _order(pair[0].weighted_gap, pair[0].weight, pair[1]))
    rows = [row for row, _code in coded]
    return rows


@dataclass
class Advice:
    course: Course
    items: list
    in_progress: bool  # the employee is enrolled and has not completed it


@dataclass
class GapAnalysis:
    rows: list[GapRow]
    advice: list[Advice]


TOP_GAP_ITEMS = 3


def _advice_ranks(
    targets: Sequence[_Target],
    ratings: Iterable,
    exams: dict[int, ExamEvidence] | None,
    top_items: int = TOP_GAP_ITEMS,
) -> dict[int, int]:
    """_advice_targets of _gap_rows(targets, ratings, exams) without building the rows (the
    re-test roster advises thousands of employees and shows none of their rows): the same
    level, gap, weighted gap and order rules, applied to the items with a positive weighted
    gap only."""
    levels = _rated_levels(ratings)
    exams = exams or {}
    gapped = []
    for t in targets:
        rated = levels.get(t.item_id)
        gap = _gap_of(t.target, _level_of(rated[2] if rated else None, exams.get(t.item_id)))
        if gap:
            weighted = _weighted(t.weight, gap)
            if weighted:
                gapped.append((_order(weighted, t.weight, t.code), t.item_id))
    gapped.sort()
    return {item_id: i for i, (_order_key, item_id) in enumerate(gapped[:top_items])}


def _advice_targets(rows: Sequence[GapRow], top_items: int) -> dict[int, int]:
    """{item pk: rank} of the ``top_items`` items with the largest positive weighted gaps."""
    return {
        row.item_id: i
        for i, row in enumerate([row for row in rows if row.weighted_gap][:top_items])
    }


def _advice_courses(item_ids: Iterable[int]) -> list[tuple[Course, list[tuple[int, object]]]]:
    """(course, [(item pk, item), …] of its competency items) of the active courses targeting
    any of ``item_ids`` (two queries); the items are listed once here, not per employee
    advised."""
    courses = (
        Course.objects.filter(is_active=True, competency_items__in=list(item_ids))
        .distinct()
        .prefetch_related("competency_items")
    )
    return [
        (course, [(item.pk, item) for item in course.competency_items.all()]) for course in courses
    ]


def advice_from(
    rows: Sequence[GapRow],
    *,
    courses: Sequence[tuple[Course, list]],
    enrolments: Mapping[int, str],
    top_items: int = TOP_GAP_ITEMS,
) -> list[Advice]:
    """THE advice rule, without queries: of ``courses`` ((active course, [(item pk, item), …]
    of its competency items), _advice_courses), those targeting the ``top_items`` items with
    the largest positive weighted gaps, ordered by the rank of the item they address (then
    priority courses first), without courses the employee completed (``enrolments``: course pk →
    the status of their enrolment)."""
    return _advice_for(_advice_targets(rows, top_items), courses=courses, enrolments=enrolments)


def _course_index(courses: Sequence[tuple[Course, list[tuple[int, object]]]]) -> dict:
    """{item pk: [positions in ``courses`` of the courses targeting it]}."""
    index: dict[int, list[int]] = {}
    for n, (_course, course_items) in enumerate(courses):
        for pk, _item in course_items:
            index.setdefault(pk, []).append(n)
    return index


def _advice_for(
    rank: Mapping[int, int],
    *,
    courses: Sequence[tuple[Course, list[tuple[int, object]]]],
    enrolments: Mapping[int, str],
    index: Mapping[int, list[int]] | None = None,
) -> list[Advice]:
    """advice_from, given the ranks of the items to address ({item pk: rank}). ``index``
    (_course_index of ``courses``, made once for many employees) narrows the courses looked at
    to those targeting a ranked item; the advice is the same with or without it."""
    if not rank:
        return []
    if index is not None:
        courses = [courses[n] for n in sorted({n for pk in rank for n in index.get(pk, ())})]
    ordered = []
    for course, course_items in courses:
        ranked = sorted((rank[pk], item) for pk, item in course_items if pk in rank)
        if not ranked:
            continue
        status = enrolments.get(course.pk)
        if status == Enrolment.Status.COMPLETED:
            continue
        ordered.append(
            (
                (ranked[0][0], not course.is_priority, course.code),
                Advice(
                    course=course,
                    items=[item for _rank, item in ranked],
                    in_progress=status is not None,
                ),
            )
        )
    ordered.sort(key=lambda pair: pair[0])
    return [advice for _order, advice in ordered]


def learning_advice(
    rows: Sequence[GapRow], *, employee, top_items: int = TOP_GAP_ITEMS
) -> list[Advice]:
    """Courses targeting the ``top_items`` items with the largest positive weighted gaps,
    ordered by the rank of the item they address (then priority courses first), without
    courses the employee already completed or inactive courses (advice_from)."""
    rank = _advice_targets(rows, top_items)
    if not rank:
        return []
    enrolments = dict(
        Enrolment.objects.filter(employee=employee).values_list("course_id", "status")
    )
    return advice_from(
        rows, courses=_advice_courses(rank), enrolments=enrolments, top_items=top_items
    )


def gap_analysis(*, employee, now: dt.datetime | None = None) -> GapAnalysis:
    """Gap analysis of ``employee`` against their position competency model (empty without a
    position), with their exam evidence and learning advice. A constant number of queries."""
    if not employee.position_id:
        return GapAnalysis(rows=[], advice=[])
    config = CurriculumSettings.current()
    competencies = list(
        PositionCompetency.objects.filter(position_id=employee.position_id).select_related("item")
    )
    ratings = BehaviourRating.objects.filter(employee=employee)
    attempts = _counting_attempts([employee.pk], config=config, now=now or timezone.now())
    exams = exam_evidence_from(
        attempts.get(employee.pk, []), item_ids=[pc.item_id for pc in competencies], config=config
    )
    rows = gap_rows(competencies, ratings, exams)
    return GapAnalysis(rows=rows, advice=learning_advice(rows, employee=employee))


@dataclass
class _Evidence:
    """What the gap analysis of many employees reads, once for all of them (_evidence_of)."""

    targets: dict[int, list[_Target]]  # position pk → its model
    ratings: dict[int, list]  # employee pk → their ratings (plain rows)
    exams: dict[int, dict[int, ExamEvidence]]  # employee pk → item pk → exam evidence
    ids: list[int]  # the employees with a position

    def per_employee(self, employees: Sequence, decide: Callable) -> dict:
        """{employee pk: decide(their position's model, their ratings, their exam evidence)}
        of the ``employees`` with a position."""
        return {
            e.pk: decide(
                self.targets.get(e.position_id, ()),
                self.ratings.get(e.pk, ()),
                self.exams.get(e.pk),
            )
            for e in employees
            if e.position_id
        }


def _evidence_of(employees: Sequence, now: dt.datetime | None) -> _Evidence | None:
    """The position models, the ratings and the counting exam attempts of ``employees`` in five
    queries (and the settings row, cached); None when none of them has a position."""
    positions = {e.position_id for e in employees if e.position_id}
    if not positions:
        return None
    by_position: dict[int, list] = {}
    for pc in PositionCompetency.objects.filter(position_id__in=positions).select_related("item"):
        by_position.setdefault(pc.position_id, []).append(pc)
    # Each position's model prepared once, not per employee (_Target).
    targets = {position: _targets(pcs) for position, pcs in by_position.items()}
    ids = [e.pk for e in employees if e.position_id]
    ratings: dict[int, list] = {}
    # Plain rows, not model instances (gap_rows reads these attributes only): a roster chunk
    # reads thousands of ratings.
    for rating in BehaviourRating.objects.filter(employee_id__in=id_set(ids)).values_list(
        *RATING_FIELDS, named=True
    ):
        ratings.setdefault(rating.employee_id, []).append(rating)
    config = CurriculumSettings.current()
    attempts = _counting_attempts(ids, config=config, now=now or timezone.now())
    exams = {
        e.pk: exam_evidence_from(
            attempts[e.pk],
            item_ids=[t.item_id for t in targets.get(e.position_id, ())],
            config=config,
        )
        for e in employees
        if e.position_id and e.pk in attempts
    }
    return _Evidence(targets=targets, ratings=ratings, exams=exams, ids=ids)


def _enrolments_of(ids: list[int], courses: list) -> dict[int, dict[int, str]]:
    """{employee pk: {course pk: enrolment status}} of ``ids`` in ``courses`` (one query)."""
    enrolments: dict[int, dict[int, str]] = {}
    if courses:
        for employee_id, course_id, status in Enrolment.objects.filter(
            employee_id__in=id_set(ids), course__in=[course for course, _items in courses]
        ).values_list("employee_id", "course_id", "status"):
            enrolments.setdefault(employee_id, {})[course_id] = status
    return enrolments


def _advised(evidence: _Evidence, employees: Sequence, ranks: Mapping[int, dict]) -> dict:
    """{employee pk: their advice} from ``ranks`` ({employee pk: {item pk: rank}} of the items
    to address): the active courses targeting any ranked item with their items, and the
    employees' enrolments in them, read once (two queries and one); _advice_for decides."""
    wanted = {pk for rank in ranks.values() for pk in rank}
    courses = _advice_courses(wanted) if wanted else []
    enrolments = _enrolments_of(evidence.ids, courses)
    index = _course_index(courses)
    return {
        e.pk: _advice_for(
            ranks.get(e.pk, {}),
            courses=courses,
            enrolments=enrolments.get(e.pk, {}),
            index=index,
        )
        for e in employees
    }


def gap_analyses(employees: Sequence, *, now: dt.datetime | None = None) -> dict[int, GapAnalysis]:
    """gap_analysis of many employees (each with ``position_id``) in eight queries whatever
    their number (and the settings row, cached): the position models, the ratings, the
    counting exam attempts (three: _counting_attempts), the courses with their items and the
    enrolments, read once;
    gap_rows, exam_evidence_from and advice_from decide per employee."""
    employees = list(employees)
    evidence = _evidence_of(employees, now)
    if evidence is None:
        return {e.pk: GapAnalysis(rows=[], advice=[]) for e in employees}
    rows_of = evidence.per_employee(employees, _gap_rows)
    ranks = {pk: _advice_targets(rows, TOP_GAP_ITEMS) for pk, rows in rows_of.items()}
    advice = _advised(evidence, employees, ranks)
    return {e.pk: GapAnalysis(rows=rows_of.get(e.pk, []), advice=advice[e.pk]) for e in employees}


def advice_of_many(employees: Sequence, *, now: dt.datetime | None = None) -> dict[int, list]:
    """{employee pk: the advice of their gap analysis} — gap_analyses(employees)[pk].advice,
    in the same queries, without building the rows nobody shows (the re-test roster's
    remedial plans: _advice_ranks)."""
    employees = list(employees)
    evidence = _evidence_of(employees, now)
    if evidence is None:
        return {e.pk: [] for e in employees}
    return _advised(evidence, employees, evidence.per_employee(employees, _advice_ranks))
