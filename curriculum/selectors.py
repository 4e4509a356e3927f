"""Reads for the curriculum: catalogue, learning-map progress, trajectory timeline, evaluation
summaries and the training manager's home panel. Checks about one person (may enrol, survey,
exam; whom a viewer may follow) are in curriculum.permissions; the behaviour gap analysis is
curriculum.gaps."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from curriculum.map_cache import cached_tree
from curriculum.models import (
    BehaviourRating,
    Course,
    CourseRun,
    CurriculumSettings,
    Enrolment,
    ExamAttempt,
    ImprovementPlanItem,
    LearningMap,
    MapCourse,
    MapStage,
    MapTopic,
    StageCompletion,
    SurveyResponse,
)

# --- catalogue ---------------------------------------------------------------------------


def course_list() -> QuerySet[Course]:
    """Active catalogue courses with their items and call steps prefetched, by code (the
    catalogue page and API filter them through curriculum.filters.CourseFilter)."""
    return (
        Course.objects.prefetch_related("competency_items", "call_steps", "topics")
        .filter(is_active=True)
        .distinct()
        .order_by("code")
    )


def current_run_for(course: Course, *, on: dt.date | None = None) -> CourseRun | None:
    """The run an enrolment made on ``on`` (default today) joins: the earliest run that has
    not ended yet; None when the course has no such run (self-paced)."""
    on = on or timezone.localdate()
    return course.runs.filter(ends_on__gte=on).order_by("starts_on", "id").first()


# --- learning map progress ------------------------------------------------------------------

DONE = "done"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
LOCKED = "locked"
# A course placed on a stage after the employee had finished that stage: open to take, but
# it does not take the finished stage back (StageCompletion).
NEW = "new"
STATE_LABELS = {
    DONE: gettext_lazy("Done"),
    IN_PROGRESS: gettext_lazy("In progress"),
    LOCKED: gettext_lazy("Locked"),
    NEW: gettext_lazy("New"),
    NOT_STARTED: gettext_lazy("Not started"),
}


class _Stated:
    """A stage, topic or course of the map with its ``state``, and that state's words."""

    state: str

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, STATE_LABELS[NOT_STARTED]))


@dataclass
class CourseProgress(_Stated):
    course: Course
    state: str
    enrolment: Enrolment | None = None
    href: str = ""  # the course page's link, put in by the map page (curriculum.views.my_map)


@dataclass
class TopicProgress(_Stated):
    map_topic: MapTopic
    state: str
    courses: list[CourseProgress] = field(default_factory=list)


@dataclass
class StageProgress(_Stated):
    stage: MapStage
    state: str
    done_count: int
    total_count: int
    topics: list[TopicProgress] = field(default_factory=list)
    locked_reason: str = ""
    finished_at: dt.datetime | None = None

    @property
    def is_complete(self) -> bool:
        """True when every course of the stage is done, or the stage was recorded as
        finished (a course added afterwards does not undo it)."""
        return self.finished_at is not None or self.done_count == self.total_count

    @property
    def new_count(self) -> int:
        return sum(1 for t in self.topics for c in t.courses if c.state == NEW)


@dataclass
class MapProgress:
    learning_map: LearningMap
    stages: list[StageProgress]


def learning_map_for_family(family_id: int | None) -> LearningMap | None:
    """The family's learning map with stages → topics → courses prefetched; None if none."""
    if not family_id:
        return None
    courses = MapCourse.objects.select_related("course").order_by("order", "id")
    topics = (
        MapTopic.objects.select_related("topic")
        .order_by("order", "id")
        .prefetch_related(Prefetch("map_courses", queryset=courses))
    )
    stages = MapStage.objects.order_by("order", "id").prefetch_related(
        Prefetch("map_topics", queryset=topics)
    )
    return (
        LearningMap.objects.select_related("position_family")
        .prefetch_related(Prefetch("stages", queryset=stages))
        .filter(position_family_id=family_id)
        .first()
    )


def learning_map_for_employee(employee, *, cached: bool = False) -> LearningMap | None:
    """The learning map of the employee's position family; None without position or map.
    ``cached``: from the page cache (curriculum.map_cache) — for showing the map, never for
    deciding (enrolment reads the database)."""

    def load():
        position = employee.position
        return learning_map_for_family(position.family_id if position else None)

    if cached:
        return cached_tree(employee.position_id, load)
    return load()


def _combine(states: list[str]) -> str:
    if states and all(s == DONE for s in states):
        return DONE
    if any(s in (DONE, IN_PROGRESS) for s in states):
        return IN_PROGRESS
    return NOT_STARTED if states else DONE


def map_progress(*, employee, learning_map: LearningMap) -> MapProgress:
    """Progress of ``employee`` on ``learning_map`` (prefetched by learning_map_for_family).

    A course is done when its enrolment is completed, in progress when enrolled; a stage is
    locked while any earlier stage is not complete (学习晋级: the previous stage's training
    record must be complete). A stage without courses counts as done. A stage the employee
    finished (StageCompletion) stays complete when a training manager adds a course to it
    later: that course is NEW (open, not required for the next stage). Two queries.
    """
    enrolments = {e.course_id: e for e in Enrolment.objects.filter(employee=employee)}
    finished = dict(
        StageCompletion.objects.filter(
            employee=employee, stage__learning_map=learning_map
        ).values_list("stage_id", "completed_at")
    )
    stages: list[StageProgress] = []
    blocker: StageProgress | None = None
    for stage in learning_map.stages.all():
        topics = []
        stage_course_ids: dict[int, str] = {}
        finished_at = finished.get(stage.pk)
        for map_topic in stage.map_topics.all():
            course_rows = []
            for map_course in map_topic.map_courses.all():
                enrolment = enrolments.get(map_course.course_id)
                if enrolment and enrolment.is_completed:
                    state = DONE
                elif enrolment:
                    state = IN_PROGRESS
                elif finished_at is not None:
                    state = NEW
                else:
                    state = NOT_STARTED
                stage_course_ids[map_course.course_id] = state
                course_rows.append(
                    CourseProgress(course=map_course.course, state=state, enrolment=enrolment)
                )
            topic_state = (
                DONE if finished_at is not None else _combine([c.state for c in course_rows])
            )
            topics.append(
                TopicProgress(map_topic=map_topic, state=topic_state, courses=course_rows)
            )
        done = sum(1 for s in stage_course_ids.values() if s == DONE)
        state = DONE if finished_at is not None else _combine(list(stage_course_ids.values()))
        progress = StageProgress(
            stage=stage,
            state=state,
            done_count=done,
            total_count=len(stage_course_ids),
            topics=topics,
            finished_at=finished_at,
        )
        if blocker is not None:
            progress.locked_reason = _(
                "Complete stage %(stage)s first: %(done)s of %(total)s courses done."
            ) % {
                "stage": blocker.stage.name,
                "done": blocker.done_count,
                "total": blocker.total_count,
            }
            if progress.state != DONE:
                progress.state = LOCKED
                for topic in topics:
                    if topic.state != DONE:
                        topic.state = LOCKED
                    for course in topic.courses:
                        if course.state == NOT_STARTED:
                            course.state = LOCKED
        elif not progress.is_complete:
            blocker = progress
        stages.append(progress)
    return MapProgress(learning_map=learning_map, stages=stages)


# --- trajectory ---------------------------------------------------------------------------
#
# The learning trajectory (学习轨迹档案) joins every source of an employee's learning and
# ladder history: courses (enrolled, completed, exams, surveys), stage completions,
# behaviour ratings, improvement-plan items, case study, promotion exams, re-tests,
# query-time tests, level changes and points. Each source is ONE query of plain values
# ordered newest first; a page reads at most ``stop`` rows of each source and merges them in
# Python (heapq.merge), the count is one UNION ALL query. Query count per page: one per
# source plus the count, whatever the history's length.
#
# curriculum never imports promotion (promotion imports curriculum): the promotion exams and
# re-tests, level changes and retention periods are sources promotion registers from its
# AppConfig.ready() (promotion/learning.py, register_trajectory_source). The sources are
# merged by ``order``, lowest first (entries of the same moment keep that order):
#
#     10 enrolled   20 completed   30 course exam   40 survey   50 rating   60 plan
#     70 stage   80 case study   90 ladder exam (promotion)   100 query-time test
#     110 level change (promotion)   120 retention (promotion)   130 points


@dataclass(frozen=True)
class TrajectoryEntry:
    when: dt.datetime
    kind: str
    subject: str
    result: str
    detail: str

    @property
    def when_text(self) -> str:
        return timezone.localtime(self.when).strftime("%Y-%m-%d %H:%M")


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


@dataclass(frozen=True)
class TrajectorySource:
    """One kind of history: ``rows(employee)`` is a values_list queryset whose first value is
    the moment (a datetime, or a date for ratings), ordered newest first; ``entry`` turns
    one row into a TrajectoryEntry; ``order`` places it among the sources (see above)."""

    name: str
    rows: Callable[[object], QuerySet]
    entry: Callable[[tuple], TrajectoryEntry]
    order: int


def _choices(model_choices) -> dict:
    return {value: str(label) for value, label in model_choices}


def _enrolled_rows(employee):
    return (
        Enrolment.objects.filter(employee=employee)
        .order_by("-enrolled_at", "-pk")
        .values_list("enrolled_at", "course__title", "course__code", "run__name", "run__starts_on")
    )


def _enrolled_entry(row):
    at, title, code, run_name, run_start = row
    run = f" · {run_name or run_start}" if (run_name or run_start) else ""
    return TrajectoryEntry(at, _("Enrolled"), title, "", f"{code}{run}")


def _completed_rows(employee):
    return (
        Enrolment.objects.filter(employee=employee, completed_at__isnull=False)
        .order_by("-completed_at", "-pk")
        .values_list("completed_at", "course__title", "course__code", "completed_by")
    )


def _completed_entry(row):
    at, title, code, completed_by = row
    return TrajectoryEntry(
        at,
        _("Course completed"),
        title,
        _choices(Enrolment.CompletedBy.choices).get(completed_by, completed_by),
        code,
    )


def _course_exam_rows(employee):
    return (
        ExamAttempt.objects.filter(employee=employee)
        .annotate(at=Coalesce("submitted_at", "started_at"))
        .order_by("-at", "-pk")
        .values_list(
            "at", "course__title", "status", "passed", "score_percent", "pass_mark_percent"
        )
    )


def _course_exam_entry(row):
    at, title, status, passed, score, mark = row
    if status == ExamAttempt.Status.SUBMITTED:
        result = (_("%(score)s%% · passed") if passed else _("%(score)s%% · not passed")) % {
            "score": score
        }
        return TrajectoryEntry(
            at, _("Exam"), title, result, _("Pass mark %(mark)s%%") % {"mark": mark}
        )
    return TrajectoryEntry(at, _("Exam started"), title, _("Open"), "")


def _survey_rows(employee):
    return (
        SurveyResponse.objects.filter(employee=employee)
        .order_by("-submitted_at", "-pk")
        .values_list(
            "submitted_at",
            "course__title",
            "content_score",
            "format_score",
            "usefulness_score",
            "comment",
        )
    )


def _survey_entry(row):
    at, title, c, f, u, comment = row
    return TrajectoryEntry(
        at,
        _("Survey"),
        title,
        _("content %(c)s · format %(f)s · usefulness %(u)s") % {"c": c, "f": f, "u": u},
        comment,
    )


def _rating_rows(employee):
    return (
        BehaviourRating.objects.filter(employee=employee)
        .order_by("-observed_on", "-created_at", "-pk")
        .values_list("observed_on", "item__name", "phase", "score", "rater__name", "note")
    )


def _rating_entry(row):
    day, item, phase, score, rater, note = row
    return TrajectoryEntry(
        _as_datetime(day),
        _("Behaviour rating"),
        item,
        f"{_choices(BehaviourRating.Phase.choices).get(phase, phase)} · {score}/5",
        f"{rater}: {note}" if note else rater,
    )


def _plan_rows(employee):
    return (
        ImprovementPlanItem.objects.filter(employee=employee)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "item__name", "course__title", "status", "action", "due_on")
    )


def _plan_entry(row):
    at, item, course, status, action, due_on = row
    due = _("due %(date)s") % {"date": due_on} if due_on else ""
    return TrajectoryEntry(
        at,
        _("Improvement plan"),
        item or course or "",
        _choices(ImprovementPlanItem.Status.choices).get(status, status),
        " · ".join(x for x in [action, due] if x),
    )


def _stage_rows(employee):
    return (
        StageCompletion.objects.filter(employee=employee)
        .order_by("-completed_at", "-pk")
        .values_list("completed_at", "stage__name", "stage__learning_map__name")
    )


def _stage_entry(row):
    at, stage, map_name = row
    return TrajectoryEntry(at, _("Stage completed"), stage, _("Finished"), map_name)


def _case_study_rows(employee):
    from casebase.models import CaseStudy

    return (
        CaseStudy.objects.filter(employee=employee)
        .order_by("-studied_at", "-pk")
        .values_list("studied_at", "case__title", "case__level", "case__kind")
    )


def _case_study_entry(row):
    from casebase.models import Case

    at, title, level, kind = row
    return TrajectoryEntry(
        at,
        _("Case studied"),
        title,
        _("Level %(level)s") % {"level": level},
        _choices(Case.Kind.choices).get(kind, kind),
    )


def _query_test_rows(employee):
    from knowledgebase.models import QueryTestSession

    return (
        QueryTestSession.objects.filter(employee=employee)
        .annotate(at=Coalesce("finished_at", "started_at"))
        .order_by("-at", "-pk")
        .values_list(
            "at",
            "finished_at",
            "task_count",
            "wrong_count",
            "total_seconds",
            "allowed_level",
            "expired",
        )
    )


def _query_test_entry(row):
    at, finished_at, tasks, wrong, total, allowed, expired = row
    if finished_at is None:
        result = _("Running")
    elif expired:
        result = _("Abandoned · level %(level)s") % {"level": allowed or 0}
    else:
        result = _("%(seconds)s s · up to level %(level)s") % {"seconds": total, "level": allowed}
    return TrajectoryEntry(
        at,
        _("Query-time test"),
        _("%(count)s query tasks") % {"count": tasks},
        result,
        _("%(wrong)s wrong") % {"wrong": wrong} if finished_at else "",
    )


def _points_rows(employee):
    from points.models import PointsEntry

    return (
        PointsEntry.objects.filter(employee=employee)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "rule__name", "amount", "note")
    )


def _points_entry(row):
    at, rule, amount, note = row
    return TrajectoryEntry(at, _("Points"), rule, f"{amount:+d}", note)


# curriculum's own sources; the apps above it add theirs (register_trajectory_source)
_trajectory_sources: dict[str, TrajectorySource] = {
    source.name: source
    for source in (
        TrajectorySource("enrolled", _enrolled_rows, _enrolled_entry, 10),
        TrajectorySource("completed", _completed_rows, _completed_entry, 20),
        TrajectorySource("course_exam", _course_exam_rows, _course_exam_entry, 30),
        TrajectorySource("survey", _survey_rows, _survey_entry, 40),
        TrajectorySource("rating", _rating_rows, _rating_entry, 50),
        TrajectorySource("plan", _plan_rows, _plan_entry, 60),
        TrajectorySource("stage", _stage_rows, _stage_entry, 70),
        TrajectorySource("case_study", _case_study_rows, _case_study_entry, 80),
        TrajectorySource("query_test", _query_test_rows, _query_test_entry, 100),
        TrajectorySource("points", _points_rows, _points_entry, 130),
    )
}


def register_trajectory_source(source: TrajectorySource) -> None:
    """Add a source of the trajectory (from the owning app's AppConfig.ready(); registering
    the same source twice is harmless, another one under a taken name or order is an
    error)."""
    for other in _trajectory_sources.values():
        if other != source and (other.name == source.name or other.order == source.order):
            raise ValueError(f"{source.name!r} clashes with {other.name!r} (name or order taken)")
    _trajectory_sources[source.name] = source


def trajectory_sources() -> list[TrajectorySource]:
    """The registered sources, by order."""
    return sorted(_trajectory_sources.values(), key=lambda source: source.order)


def _sort_key(entry: TrajectoryEntry):
    return entry.when


class Trajectory:
    """An employee's trajectory as a lazy sequence, newest first: ``count()`` is one query,
    a slice ``[start:stop]`` one query per source reading at most ``stop`` rows of each
    (Django's Paginator and DRF's pagination use exactly these), iteration reads everything
    (exports) with one query per source."""

    def __init__(self, employee, sources: Sequence[TrajectorySource] | None = None):
        self.employee = employee
        self.sources = tuple(trajectory_sources() if sources is None else sources)
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            parts = [
                source.rows(self.employee).order_by().values_list(Value(1))
                for source in self.sources
            ]
            self._count = parts[0].union(*parts[1:], all=True).count() if parts else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _entries(self, limit: int | None) -> list[TrajectoryEntry]:
        streams = []
        for source in self.sources:
            rows = source.rows(self.employee)
            if limit is not None:
                rows = rows[:limit]
            streams.append([source.entry(row) for row in rows])
        merged = heapq.merge(*streams, key=_sort_key, reverse=True)
        return list(merged if limit is None else itertools.islice(merged, limit))

    def __getitem__(self, key):
        if isinstance(key, slice):
            if (
                key.step not in (None, 1)
                or (key.start or 0) < 0
                or (key.stop is not None and key.stop < 0)
            ):
                raise ValueError("Only forward slices are supported.")
            return self._entries(key.stop)[key.start or 0 :]
        if not isinstance(key, int) or key < 0:
            raise TypeError("Use a non-negative index or a slice.")
        entries = self._entries(key + 1)
        if len(entries) <= key:
            raise IndexError(key)
        return entries[key]

    def __iter__(self):
        return iter(self._entries(None))

    def stream(self) -> Iterator[TrajectoryEntry]:
        """Every entry, newest first, without holding the history: each source is read from
        a server-side cursor in chunks and the sources are merged as they come (exports)."""
        from config.exports import CHUNK

        def entries(source: TrajectorySource) -> Iterator[TrajectoryEntry]:
            for row in source.rows(self.employee).iterator(chunk_size=CHUNK):
                yield source.entry(row)

        return heapq.merge(
            *(entries(source) for source in self.sources), key=_sort_key, reverse=True
        )


def trajectory(*, employee) -> Trajectory:
    """The employee's learning trajectory (学习轨迹档案), newest first, as a lazy sequence
    for Paginator / DRF pagination / exports."""
    return Trajectory(employee)


def trajectory_entries(*, employee) -> list[TrajectoryEntry]:
    """Every entry of the employee's trajectory, newest first (one query per source)."""
    return list(Trajectory(employee))


def trajectory_headers() -> list[str]:
    return [_("Date"), _("Type"), _("Course or item"), _("Result"), _("Detail")]


def trajectory_row(entry: TrajectoryEntry, *, typed: bool = False) -> list:
    """One export row; the date as "YYYY-MM-DD HH:MM" in the current time zone (page, CSV)
    or, with ``typed``, as a naive local datetime (an XLSX date cell)."""
    when = (
        timezone.localtime(entry.when).replace(tzinfo=None, second=0, microsecond=0)
        if typed
        else entry.when_text
    )
    return [when, entry.kind, entry.subject, entry.result, entry.detail]


def trajectory_csv_chunks(*, employee) -> Iterator[bytes]:
    """The trajectory as streamed CSV (UTF-8 with a BOM), through the shared export helper."""
    from config.exports import csv_chunks

    return csv_chunks(
        trajectory_headers(), (trajectory_row(e) for e in Trajectory(employee).stream())
    )


def trajectory_xlsx_write(*, employee, target) -> None:
    """The trajectory as an XLSX workbook written into ``target`` in constant memory, with the
    same rows as the CSV; dates are real date cells."""
    from config.exports import xlsx_write

    xlsx_write(
        target,
        sheet_name="trajectory",
        headers=trajectory_headers(),
        rows=(trajectory_row(e, typed=True) for e in Trajectory(employee).stream()),
    )


# --- evaluation summaries -------------------------------------------------------------------


def course_evaluation_summaries() -> QuerySet[Course]:
    """Courses annotated with survey counts and averages and exam attempt/pass counts."""
    return Course.objects.annotate(
        survey_count=Count("survey_responses", distinct=True),
        avg_content=Avg("survey_responses__content_score"),
        avg_format=Avg("survey_responses__format_score"),
        avg_usefulness=Avg("survey_responses__usefulness_score"),
        enrolment_count=Count("enrolments", distinct=True),
        completed_count=Count(
            "enrolments", filter=Q(enrolments__status=Enrolment.Status.COMPLETED), distinct=True
        ),
    ).order_by("code")


def course_exam_stats(course: Course) -> dict:
    """Submitted attempts, passes and the average score (None without attempts)."""
    qs = ExamAttempt.objects.filter(course=course, status=ExamAttempt.Status.SUBMITTED)
    return qs.aggregate(
        attempts=Count("id"),
        passes=Count("id", filter=Q(passed=True)),
        avg_score=Avg("score_percent"),
    )


def course_survey_responses(course: Course) -> QuerySet[SurveyResponse]:
    return (
        SurveyResponse.objects.filter(course=course)
        .select_related("employee", "run")
        .order_by("-submitted_at", "-id")
    )


# --- the training manager's home panel ----------------------------------------------------


@dataclass
class TrainingDashboard:
    """Library health in brief (levels whose exam pool is short, level × category cells over
    their cap, active cases yielding no exam question), the Q-sort rounds open for sorting,
    and this month's course surveys and failed course exams."""

    levels_short: list
    over_cap: int
    no_questions: int
    open_rounds: list
    surveys_this_month: int
    low_surveys_this_month: int
    failed_exams_this_month: int


def training_dashboard(*, now: dt.datetime | None = None) -> TrainingDashboard:
    """The training manager's home panel from casebase.selectors.library_health (the
    /cases/health/ page's own numbers), the open Q-sort rounds (competency round_list) and
    this local month's survey responses (those with a score at or below
    CurriculumSettings.low_survey_score counted apart) and failed course exams. A constant
    number of queries, whatever the library, the rounds or the courses hold."""
    from casebase.selectors import library_health
    from competency.models import QSortRound
    from competency.selectors import round_list

    now = now or timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    health = library_health()
    low_score = (
        CurriculumSettings.current().low_survey_score
    )  # a survey with any score at or below it asks for a look
    low = (
        Q(content_score__lte=low_score)
        | Q(format_score__lte=low_score)
        | Q(usefulness_score__lte=low_score)
    )
    surveys = SurveyResponse.objects.filter(submitted_at__gte=month_start).aggregate(
        total=Count("pk"), low=Count("pk", filter=low)
    )
    return TrainingDashboard(
        levels_short=[lv for lv in health.levels if lv.ready is False],
        over_cap=sum(1 for lv in health.levels for row in lv.rows if row.over_cap),
        no_questions=health.no_question_total,
        open_rounds=list(round_list().filter(status=QSortRound.Status.OPEN)),
        surveys_this_month=surveys["total"],
        low_surveys_this_month=surveys["low"],
        failed_exams_this_month=ExamAttempt.objects.filter(
            status=ExamAttempt.Status.SUBMITTED, passed=False, submitted_at__gte=month_start
        ).count(),
    )
