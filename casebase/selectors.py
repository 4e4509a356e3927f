"""Reads of the case libraries, including what the promotion engine uses
(training_cases_studied, next_level, the exam pool and draw: exam_pool, exam_candidates,
exam_draw) and the library health (library_health, split_counts; exam readiness through
register_exam_needs, so casebase never imports promotion)."""

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.levels import CASE_LEVELS, MAX_LEVEL, MIN_CASE_LEVEL
from accounts.rules import allowed
from casebase import questions
from casebase.models import (
    MAINTAIN_CASES,
    CallSuggestion,
    Case,
    CaseCategory,
    CaseCommentary,
    CaseEvent,
    CaseExposure,
    CaseLibrarySettings,
    CaseNode,
    CaseRating,
    CaseReflection,
    CaseStudy,
    LevelCap,
    RetirementCandidate,
    training_case_q,
)
from casebase.questions import with_question_flag
from casebase.rules import SEE_TEST_CONTENT, sits_exams
from casebase.tree import NodeTree
from config.idsets import id_set
from review.models import Proposal

# The case libraries' proposal kinds (registered in casebase.review_kinds).
KIND_NEW = "case_new"
KIND_REVISION = "case_revision"
KIND_QUALITY = "quality_case"
KIND_ITEM_MOVE = "case_item_move"


def next_level(user) -> int:
    """The level whose training cases the employee studies now: their level + 1, within 1–5
    (a level-5 master keeps studying level 5)."""
    return max(MIN_CASE_LEVEL, min((user.level or 0) + 1, MAX_LEVEL))


def study_cases(user) -> QuerySet[Case]:
    """Every case ``user`` may open in study: active TRAINING cases of level ≤ their next
    level. Test cases and the history library are never part of it."""
    return Case.objects.training().filter(level__lte=next_level(user))


# What the study page shows besides the case, in one statement: its studies and ratings
# counted (classicness) and the reader's own study and rating, as tagged rows. Plain SQL: the
# same read as ORM subqueries cost more CPU to build and compile than the rest of the page.
_STUDY_PAGE_MARKS = """
SELECT 'studies', CAST(NULL AS TEXT), count(*), CAST(NULL AS TIMESTAMP WITH TIME ZONE)
  FROM {study} WHERE case_id = %(case)s
UNION ALL
SELECT 'ratings', value, count(*), NULL FROM {rating} WHERE case_id = %(case)s GROUP BY value
UNION ALL
SELECT 'my_study', NULL, NULL, studied_at FROM {study}
 WHERE case_id = %(case)s AND employee_id = %(user)s
UNION ALL
SELECT 'my_rating', value, NULL, rated_at FROM {rating}
 WHERE case_id = %(case)s AND employee_id = %(user)s
"""


def _stored_datetime(value):
    """A timestamp read by plain SQL: SQLite (the embedded default) gives its stored text."""
    if isinstance(value, str):
        value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
    return value


def study_page_case(user, pk: int) -> Case | None:
    """The case of ``user``'s study page: a case of study_cases(user) with its category, its
    classicness as ``classicness_score``, and the user's own study and rating as ``my_study``
    / ``my_rating`` (a CaseStudy / CaseRating as stored, or None). Two queries. None when
    ``pk`` is not in the user's study scope."""
    case = study_cases(user).select_related("category").filter(pk=pk).first()
    if case is None:
        return None
    sql = _STUDY_PAGE_MARKS.format(
        study=connection.ops.quote_name(CaseStudy._meta.db_table),
        rating=connection.ops.quote_name(CaseRating._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"case": case.pk, "user": user.pk})
        rows = cursor.fetchall()
    studies, ratings = 0, {}
    case.my_study = case.my_rating = None
    for tag, value, count, stored_at in rows:
        at = _stored_datetime(stored_at)
        if tag == "studies":
            studies = count
        elif tag == "ratings":
            ratings[value] = count
        elif tag == "my_study":
            case.my_study = CaseStudy(case=case, employee=user, studied_at=at)
        else:
            case.my_rating = CaseRating(case=case, employee=user, value=value, rated_at=at)
    case.classicness_score = case.classicness_of(studies=studies, ratings=ratings)
    return case


def study_rows(user) -> QuerySet[Case]:
    """The cases ``user`` may study (study_cases) at every level, annotated with ``studied``
    and ``my_rating`` for ``user``, in list order; the study page and API filter them through
    casebase.filters.StudyFilter (the next level unless another level ≤ next is chosen)."""
    return (
        study_cases(user)
        .select_related("category")
        .annotate(
            studied=Exists(CaseStudy.objects.filter(case=OuterRef("pk"), employee=user)),
            my_rating=Subquery(
                CaseRating.objects.filter(case=OuterRef("pk"), employee=user).values("value")[:1]
            ),
        )
        .order_by("category__path", "title", "pk")
    )


def study_list(user) -> QuerySet[Case]:
    """The study list of ``user``'s next level (study_rows)."""
    return study_rows(user).filter(level=next_level(user))


def case_node_tree(case: Case) -> NodeTree:
    """The adjacency of ``case``'s turns (casebase.tree.NodeTree) from one query."""
    return NodeTree.of(case.nodes.order_by("order", "pk"))


def case_tree(case: Case) -> dict | None:
    """The nested tree of a text case (the proposal/API format) from one query; None when
    the case has no nodes (voice cases)."""
    return case_node_tree(case).nested()


def case_tree_with_ids(case: Case) -> dict | None:
    """Like case_tree, each node also carrying its "id" (the API's study detail)."""
    return case_node_tree(case).nested(with_ids=True)


@dataclass
class Walk:
    """Where a study walk stands: the turns from the root to ``current`` (a customer turn),
    the replies to it (best first) and, for each reply, its follow-up branches."""

    path: list[CaseNode]
    current: CaseNode
    replies: list[CaseNode]
    branches: dict[int, list[CaseNode]]

    @property
    def options(self) -> list[tuple[CaseNode, list[CaseNode]]]:
        """(reply, its follow-up customer turns) pairs, the best reply first."""
        return [(reply, self.branches[reply.pk]) for reply in self.replies]

    @property
    def has_alternatives(self) -> bool:
        return len(self.replies) > 1


def case_walk(case: Case, node_id: int | None) -> Walk | None:
    """The walk position at customer turn ``node_id`` (default the root); None when the
    case has no tree or ``node_id`` is not a customer turn of this case."""
    tree = case_node_tree(case)
    if not tree.roots:
        return None
    current = tree.roots[0] if node_id is None else tree.nodes.get(node_id)
    if current is None or current.role != CaseNode.Role.CUSTOMER:
        return None
    replies = sorted(tree.children_of(current), key=lambda n: (not n.is_best, n.order, n.pk))
    return Walk(
        path=tree.ancestors(current),
        current=current,
        replies=replies,
        branches={r.pk: tree.children_of(r) for r in replies},
    )


@dataclass
class DecisionPoint:
    """A customer turn with the replies to choose from (for exams: "choose the best reply"
    and "its main rationale")."""

    customer: CaseNode
    replies: list[CaseNode]
    best: CaseNode


def decision_points(case: Case) -> list[DecisionPoint]:
    """Customer turns of a text case that have two or more alternative replies, in tree
    order; [] for voice cases or trees without alternatives."""
    tree = case_node_tree(case)
    points = []
    for node in tree.walk():
        kids = tree.children_of(node)
        if node.role == CaseNode.Role.CUSTOMER and len(kids) > 1:
            best = next(k for k in kids if k.is_best)
            points.append(DecisionPoint(customer=node, replies=kids, best=best))
    return points


def training_cases_studied(employee, level: int) -> QuerySet[Case]:
    """Active training cases of ``level`` that ``employee`` marked studied (a case moved to
    the history library no longer counts)."""
    return Case.objects.training().filter(level=level, studies__employee=employee).distinct()


def training_studied_counts(
    employee_ids: Collection[int], *, since: datetime | None = None
) -> dict[tuple[int, int], int]:
    """{(employee pk, level): active training cases of that level the employee studied} —
    training_cases_studied counted for many employees in one query; ``since`` counts only
    the studies marked from then on (a pace)."""
    cases = Case.objects.training().filter(studies__employee__in=id_set(employee_ids))
    if since is not None:
        cases = cases.filter(studies__studied_at__gte=since)
    return {
        (row["studies__employee"], row["level"]): row["n"]
        for row in cases.order_by()
        .values("studies__employee", "level")
        .annotate(n=Count("pk", distinct=True))
    }


def training_studied_counts_of(
    rows: QuerySet, *, employee: str = "employee", level: str = "level"
) -> dict[tuple[int, int], int]:
    """{(employee pk, level): active training cases of that level the employee studied} for
    the (employee, level) pairs of ``rows`` — any queryset whose model has an ``employee``
    foreign key and a ``level`` field (the re-test roster's retention periods) — in one
    grouped statement that joins the studies to the rows themselves: no list of ids
    (preparing a 2,000-id ``IN`` list cost Django more than the database's part), and only
    each row's own level is counted. Pairs without a studied case are absent."""
    studied = f"{employee}__case_studies"
    return {
        (row[employee], row[level]): row["n"]
        for row in rows.filter(
            training_case_q(f"{studied}__case__"), **{f"{studied}__case__level": F(level)}
        )
        .order_by()
        .values(employee, level)
        # distinct: two rows of one employee and level (two open periods) join each study twice
        .annotate(n=Count(studied, distinct=True))
    }


def training_totals() -> dict[int, int]:
    """{level: active training cases of that level} (one query)."""
    return dict(
        Case.objects.training()
        .order_by()
        .values("level")
        .annotate(n=Count("pk"))
        .values_list("level", "n")
    )


def cases_known_to(employee) -> set[int]:
    """Ids of the cases whose content ``employee`` has seen through their own work or was
    shown in full: the cases they authored, the targets of case proposals (creation,
    revision, quality-case application) they proposed, were recused from (a named
    participant, a contributor), voted on or viewed (a CaseExposure of the proposal), and
    the cases with a CaseExposure of their own (a test case's history page or recording).
    An exam never asks an employee about these (promotion.selectors.exam_check leaves them
    out of the pool). Three queries."""
    proposals = Proposal.objects.filter(
        kind__in=[KIND_NEW, KIND_REVISION, KIND_QUALITY],
        target_type=ContentType.objects.get_for_model(Case),
        target_id__isnull=False,
    ).filter(
        Q(proposer=employee)
        | Q(votes__reviewer=employee)
        | Q(recusals__employee=employee)
        | Q(case_exposures__employee=employee)
    )
    return (
        set(proposals.values_list("target_id", flat=True).distinct())
        | set(Case.objects.filter(author=employee).values_list("pk", flat=True))
        | set(
            CaseExposure.objects.filter(employee=employee, case__isnull=False).values_list(
                "case_id", flat=True
            )
        )
    )


def exam_pool(
    level: int, *, exclude_ids: Collection[int] = (), max_exposure: int | None = None
) -> QuerySet[Case]:
    """The exam pool of ``level``: active TEST cases that yield questions
    (questions.with_question_flag), without the cases in ``exclude_ids`` and, when
    ``max_exposure`` is given (a positive cap), without the cases already drawn into that
    many exams (overexposed: their questions are known around the floor)."""
    pool = (
        with_question_flag(Case.objects.testing().filter(level=level))
        .filter(has_questions=True)
        .exclude(pk__in=list(exclude_ids))
    )
    if max_exposure:
        pool = pool.filter(exam_uses__lt=max_exposure)
    return pool


def exam_candidates(
    level: int,
    rng: random.Random | None = None,
    *,
    exclude_ids: Collection[int] = (),
    max_exposure: int | None = None,
) -> list[Case]:
    """The whole exam pool of ``level`` (exam_pool, with its exposure cap) in draw order:
    least exposed first (fewest exam uses, i.e. times drawn into an exam), in random order
    (``rng``, default a SystemRandom) among cases drawn equally often. One query."""
    rng = rng or random.SystemRandom()
    cases = list(
        exam_pool(level, exclude_ids=exclude_ids, max_exposure=max_exposure)
        .select_related("category")
        .order_by("pk")
    )
    rng.shuffle(cases)
    cases.sort(key=lambda case: case.exam_uses)  # stable: the shuffle decides among equals
    return cases


def test_cases_for_exam(
    level: int, count: int, rng: random.Random | None = None, *, exclude_ids: Collection[int] = ()
) -> list[Case]:
    """The first ``count`` cases of exam_candidates (fewer when the pool is smaller, [] when
    it is empty). Drawing does not count as an exam use: call
    services.case_record_exam_uses for that."""
    return exam_candidates(level, rng, exclude_ids=exclude_ids)[:count]


@dataclass
class ExamDraw:
    """Cases drawn for one exam and their questions (with answers; numbered q1, q2, …)."""

    cases: list[Case]
    questions: list[dict]


def case_competency_tags(case_ids: Collection[int]) -> dict[int, list[int]]:
    """{case id: sorted competency item ids it is tagged with} for the tagged ones among
    ``case_ids``. One query."""
    tags: dict[int, list[int]] = {}
    rows = (
        Case.competencies.through.objects.filter(case_id__in=list(case_ids))
        .order_by("case_id", "competencyitem_id")
        .values_list("case_id", "competencyitem_id")
    )
    for case_id, item_id in rows:
        tags.setdefault(case_id, []).append(item_id)
    return tags


def blueprint_order(
    candidates: list[Case], plan: Mapping[int, int], tags: Mapping[int, Collection[int]]
) -> list[Case]:
    """``candidates`` (in draw order) rearranged to follow an exam blueprint: for each
    competency item of ``plan`` (item id → places, in the plan's order) its first
    ``places`` candidates tagged with it — so least exposed first within the item —, each
    case used once; then every other candidate in its original order (untagged cases,
    cases of items without places, the surplus of each item): the places an item cannot
    fill with its own cases are filled by the ordinary draw."""
    picked: list[Case] = []
    taken: set[int] = set()
    for item_id, places in plan.items():
        if places <= 0:
            continue
        found = 0
        for case in candidates:
            if found == places:
                break
            if case.pk not in taken and item_id in tags.get(case.pk, ()):
                picked.append(case)
                taken.add(case.pk)
                found += 1
    return picked + [case for case in candidates if case.pk not in taken]


def exam_draw(
    level: int,
    count: int,
    rng: random.Random | None = None,
    *,
    exclude_ids: Collection[int] = (),
    max_per_case: int = questions.DEFAULT_MAX_PER_CASE,
    max_exposure: int | None = None,
    plan: Mapping[int, int] | None = None,
) -> ExamDraw:
    """Draw ``count`` cases of the exam pool in exam_candidates order, skipping any case
    that yields no question after all; fewer cases when the pool runs out (the caller
    refuses a short exam). Distractors come from the level's other test cases. With a
    blueprint ``plan`` (competency item id → places) the candidates are first arranged by
    blueprint_order. Each question of a tagged case carries the case's competency item ids
    (``competency_ids``) as they are at draw time, so later re-tagging never changes a
    past result."""
    rng = rng or random.SystemRandom()
    candidates = exam_candidates(level, rng, exclude_ids=exclude_ids, max_exposure=max_exposure)
    tags = case_competency_tags([c.pk for c in candidates])
    if plan:
        candidates = blueprint_order(candidates, plan, tags)
    distractors = questions.distractors_for_level(level)
    avoid = {c.pk for c in candidates[:count]}  # distractors from cases outside the exam first
    chosen: list[Case] = []
    made: list[dict] = []
    position = 0
    while len(chosen) < count and position < len(candidates):
        batch = candidates[position : position + count - len(chosen)]
        position += len(batch)
        avoid |= {c.pk for c in batch}
        nodes = questions.nodes_by_case(batch)
        for case in batch:
            asked = questions.case_questions(
                case,
                nodes.get(case.pk, []),
                rng,
                distractors=distractors,
                max_per_case=max_per_case,
                avoid=avoid,
            )
            if asked:
                chosen.append(case)
                if tags.get(case.pk):
                    for question in asked:
                        question["competency_ids"] = list(tags[case.pk])
                made.extend(asked)
    return ExamDraw(cases=chosen, questions=questions.number_questions(made))


def sees_test_content(user, level: int) -> bool:
    """True when ``user`` may see what level-``level`` TEST cases hold: the named rule
    casebase.see_test_content (casebase/rules.py), which the exam's full view
    (promotion.selectors.can_view_in_full), the history library and the catalogue follow."""
    return allowed(SEE_TEST_CONTENT, user, level)


def test_content_levels_q(user, field: str = "level") -> Q | None:
    """casebase.see_test_content as a filter on the level column ``field``: None when ``user``
    sees every level's test content (sits no exams), else ``field`` below their own level."""
    if not sits_exams.test(user):
        return None
    return Q(**{f"{field}__lt": user.level or 0})


# --- recordings ----------------------------------------------------------------------------

_exam_access_provider: Callable[[object, int], bool] | None = None


def register_exam_access(provider: Callable[[object, int], bool] | None) -> None:
    """Register the rule "``user`` is sitting an exam that contains case ``case_id`` right
    now" (an open attempt before its server-side deadline). The promotion app registers it
    at start-up, so casebase lets an examinee hear a drawn voice case without importing
    promotion."""
    global _exam_access_provider
    _exam_access_provider = provider


def in_running_exam(user, case_id: int) -> bool:
    """True when ``user`` sits an exam containing ``case_id`` now (the registered rule);
    False when none is registered."""
    return bool(_exam_access_provider and _exam_access_provider(user, case_id))


def recording_url(case_id: int) -> str:
    """The URL where a case's recording is heard (the permission-checked view; never the
    storage's own /media/ or bucket URL)."""
    return reverse("casebase:recording", args=[case_id])


def proposal_recording_url(proposal_id: int) -> str:
    """The URL of the recording a case proposal carries (its payload's, or for a
    quality-case application the case's)."""
    return reverse("casebase:proposal_recording", args=[proposal_id])


def case_recording_access(user, case: Case) -> str | None:
    """Why ``user`` may hear ``case``'s recording, or None when they may not:

    * "study" — an active TRAINING case in their study scope (study_cases), or any training
      case for someone who sits no exams (a training manager, a reviewer without study) or
      who maintains the library;
    * "full" — a TEST case (active, or in the history library: a case may come back) of a
      level whose test content they may see (sees_test_content: nobody who can still be
      examined on it), or a history case for a holder of the history-library permission
      under the same rule; the viewing is recorded as a CaseExposure by the view;
    * "exam" — the examinee of a running exam attempt that drew the case (before the
      attempt's server-side deadline; in_running_exam).
    """
    from casebase.models import VIEW_HISTORY

    if not (user and user.is_authenticated and user.is_active):
        return None
    if case.split == Case.Split.TRAINING:
        if case.status == Case.Status.ACTIVE:
            if (
                not user.has_perm(roles.STUDY)
                or user.has_perm(MAINTAIN_CASES)
                or study_cases(user).filter(pk=case.pk).exists()
            ):
                return "study"
        elif user.has_perm(VIEW_HISTORY):
            return "study"
        return None
    if sees_test_content(user, case.level) and (
        case.status == Case.Status.ACTIVE or user.has_perm(VIEW_HISTORY)
    ):
        return "full"
    if case.status == Case.Status.ACTIVE and in_running_exam(user, case.pk):
        return "exam"
    return None


def proposal_recording_access(user, proposal: Proposal) -> bool:
    """True when ``user`` may hear the recording of a case proposal: its proposer, a
    training manager, or a committee member who may vote on it (not recused); for a
    quality-case application also its contributors (recused, but the case is theirs)."""
    from review.selectors import is_committee_member, is_recused

    if not (user and user.is_authenticated and user.is_active):
        return False
    if proposal.proposer_id == user.pk or user.has_perm(roles.MANAGE_TRAINING):
        return True
    if is_recused(proposal, user):
        return proposal.kind == KIND_QUALITY
    return is_committee_member(user)


def proposal_recording_name(proposal: Proposal) -> str:
    """The storage name of the recording a case proposal shows: the payload's "audio"
    (creation, revision), the target case's (quality-case application); "" for none."""
    if proposal.kind == KIND_QUALITY:
        return (
            Case.objects.filter(pk=proposal.target_id).values_list("audio", flat=True).first() or ""
        )
    if proposal.kind in (KIND_NEW, KIND_REVISION):
        return str((proposal.payload or {}).get("audio") or "")
    return ""


def history_cases() -> QuerySet[Case]:
    return (
        Case.objects.filter(status=Case.Status.HISTORY)
        .with_indicators()
        .select_related("category")
        .order_by("-retired_at", "-pk")
    )


def pending_retirements() -> QuerySet[RetirementCandidate]:
    return (
        RetirementCandidate.objects.filter(status=RetirementCandidate.Status.PENDING)
        .select_related("case", "case__category")
        .order_by("case__level", "created_at", "pk")
    )


@dataclass
class Contributor:
    """One participant in a case's edits: its author and/or the proposer or a named
    participant of accepted case proposals (``proposals``: their pks, oldest first)."""

    employee: object
    authored: bool = False
    proposals: list[int] = field(default_factory=list)


CONTRIBUTOR_IDS_SECONDS = 24 * 3600


def case_contributor_ids(case: Case) -> frozenset[int]:
    """The pks of case_contributors(case), kept in the cache per case version: contributors
    change only when a case is created or a revision is applied, and both write a new
    version (casebase.services.content.write_content). For showing the quality-case
    application on the study page; the application itself (quality_case_check) reads the
    contributors afresh."""
    key = f"case-contributors:{case.pk}:{case.version}"
    found = cache.get(key)
    if found is None:
        found = frozenset(c.employee.pk for c in case_contributors(case))
        cache.set(key, found, CONTRIBUTOR_IDS_SECONDS)
    return found


def case_contributors(case: Case) -> list[Contributor]:
    """The participants in ``case``'s edits (who may apply for its quality-case review and
    who is paid when it passes): its author, then for each APPLIED "case_new" /
    "case_revision" proposal of the case in the order they were applied, the proposer and
    the participants they named. Each employee once, in the order first met. [] for a case
    nobody contributed to through the system (e.g. loaded by the demo or an admin)."""
    found: dict[int, Contributor] = {}

    def add(pk, *, proposal: int | None = None, authored: bool = False) -> None:
        entry = found.setdefault(int(pk), Contributor(employee=None))
        entry.authored = entry.authored or authored
        if proposal is not None and proposal not in entry.proposals:
            entry.proposals.append(proposal)

    if case.author_id:
        add(case.author_id, authored=True)
    proposals = (
        Proposal.objects.filter(
            kind__in=[KIND_NEW, KIND_REVISION],
            status=Proposal.Status.APPLIED,
            target_type=ContentType.objects.get_for_model(Case),
            target_id=case.pk,
        )
        .order_by("decided_at", "pk")
        .values_list("pk", "proposer_id", "payload")
    )
    for pk, proposer_id, payload in proposals:
        for person in [proposer_id, *((payload or {}).get("participants") or [])]:
            add(person, proposal=pk)
    users = get_user_model().objects.in_bulk(list(found))
    result = []
    for pk, entry in found.items():
        if pk in users:
            entry.employee = users[pk]
            result.append(entry)
    return result


# --- library health ----------------------------------------------------------------------

_exam_needs_provider: Callable[[], dict[int, int]] | None = None
NO_QUESTION_LIST_LIMIT = 100


def register_exam_needs(provider: Callable[[], dict[int, int]] | None) -> None:
    """Register how many test cases with questions an exam of each level needs ({level:
    cases}). The promotion app registers its rule at start-up, so casebase shows exam
    readiness without importing promotion (promotion imports casebase, never the reverse)."""
    global _exam_needs_provider
    _exam_needs_provider = provider


def exam_needs() -> dict[int, int]:
    """{level: test cases with questions an exam needs}; {} when no provider is registered."""
    return _exam_needs_provider() if _exam_needs_provider else {}


@dataclass
class SplitCounts:
    """A level's active training and test cases against their targets."""

    level: int
    training: int
    test: int
    training_target: int
    test_target: int

    @property
    def training_short(self) -> int:
        return max(self.training_target - self.training, 0)

    @property
    def test_short(self) -> int:
        return max(self.test_target - self.test, 0)

    @property
    def short_of(self) -> str | None:
        """The set further below its target (TEST, or TRAINING on a tie); None when both are
        at or above target."""
        if not self.training_short and not self.test_short:
            return None
        return Case.Split.TEST if self.test_short > self.training_short else Case.Split.TRAINING

    @property
    def suggested_split(self) -> str:
        """The set a new case of this level should join by default: TEST when the test set is
        further below its target, else TRAINING."""
        return Case.Split.TEST if self.short_of == Case.Split.TEST else Case.Split.TRAINING


def split_counts(config: CaseLibrarySettings | None = None) -> dict[int, SplitCounts]:
    """{level: SplitCounts} for levels 1–5 (two queries)."""
    config = config or CaseLibrarySettings.current()
    counts = {
        (row["level"], row["split"]): row["n"]
        for row in Case.objects.active().values("level", "split").annotate(n=Count("pk")).order_by()
    }
    return {
        level: SplitCounts(
            level,
            counts.get((level, Case.Split.TRAINING), 0),
            counts.get((level, Case.Split.TEST), 0),
            config.training_target(),
            config.test_target(),
        )
        for level in CASE_LEVELS
    }


MSG_LEVEL_SHORT = gettext_noop(
    "Level %(level)s is short of its %(set)s set (training %(training)s/%(training_target)s, "
    "test %(test)s/%(test_target)s)."
)
MSG_LEVEL_FULL = gettext_noop(
    "Level %(level)s has both sets at their targets (training %(training)s/"
    "%(training_target)s, test %(test)s/%(test_target)s)."
)
MSG_SPLIT_DEFAULT = gettext_noop("The default is the set the suggested level is further short of.")


def split_shortfall_text(counts: dict[int, SplitCounts] | None = None) -> str:
    """One sentence per level saying which set it is short of, for approvers choosing the
    set of a new case."""
    counts = counts or split_counts()
    sets = {Case.Split.TRAINING: _("training"), Case.Split.TEST: _("test")}
    lines = []
    for level, c in sorted(counts.items()):
        values = {
            "level": level,
            "training": c.training,
            "training_target": c.training_target,
            "test": c.test,
            "test_target": c.test_target,
        }
        if c.short_of:
            lines.append(_(MSG_LEVEL_SHORT) % dict(values, set=sets[c.short_of]))
        else:
            lines.append(_(MSG_LEVEL_FULL) % values)
    return " ".join(lines + [_(MSG_SPLIT_DEFAULT)])


@dataclass
class HealthRow:
    """One level × category: active training and test cases against the cap."""

    category: CaseCategory
    training: int
    test: int
    cap: int

    @property
    def total(self) -> int:
        return self.training + self.test

    @property
    def over_cap(self) -> bool:
        return self.total > self.cap

    @property
    def room(self) -> int:
        """Cases that may still enter before the cap (negative when over it)."""
        return self.cap - self.total


@dataclass
class LevelHealth:
    counts: SplitCounts
    rows: list[HealthRow]
    no_questions: int  # active cases of the level that yield no exam question
    pool: int  # active test cases that yield questions
    pool_needed: int | None  # what an exam of the level needs (None: unknown)

    @property
    def level(self) -> int:
        return self.counts.level

    @property
    def ready(self) -> bool | None:
        """True when an exam of the level can start (pool ≥ needed); None when unknown."""
        return None if self.pool_needed is None else self.pool >= self.pool_needed

    @property
    def pool_short(self) -> int:
        return max((self.pool_needed or 0) - self.pool, 0)


@dataclass
class LibraryHealth:
    levels: list[LevelHealth]
    no_question_cases: list[Case]  # at most NO_QUESTION_LIST_LIMIT, by level
    no_question_total: int
    default_cap: int


def library_health(*, needs: dict[int, int] | None = None) -> LibraryHealth:
    """The case libraries against their plan: per level × category the active training and
    test cases and the cap (LevelCap row, else the default cap); per level the totals
    against the training/test targets (CaseLibrarySettings), the active cases that yield no
    exam question and the exam pool (active test cases with questions) against what an exam
    needs (``needs``, default the registered exam_needs()). A bounded number of queries,
    whatever the library's size."""
    config = CaseLibrarySettings.current()
    needs = exam_needs() if needs is None else needs
    categories = list(CaseCategory.objects.get_tree())
    caps = {(cap.level, cap.category_id): cap.cap for cap in LevelCap.objects.all()}
    cells: dict[tuple[int, int, str], int] = {
        (row["level"], row["category_id"], row["split"]): row["n"]
        for row in Case.objects.active()
        .values("level", "category_id", "split")
        .annotate(n=Count("pk"))
        .order_by()
    }
    flagged = with_question_flag(Case.objects.active())
    flags: dict[tuple[int, str, bool], int] = {
        (row["level"], row["split"], row["has_questions"]): row["n"]
        for row in flagged.values("level", "split", "has_questions")
        .annotate(n=Count("pk"))
        .order_by()
    }
    levels = []
    for level in CASE_LEVELS:
        rows = [
            HealthRow(
                category,
                cells.get((level, category.pk, Case.Split.TRAINING), 0),
                cells.get((level, category.pk, Case.Split.TEST), 0),
                caps.get((level, category.pk), config.default_cap),
            )
            for category in categories
        ]
        counts = SplitCounts(
            level,
            sum(r.training for r in rows),
            sum(r.test for r in rows),
            config.training_target(),
            config.test_target(),
        )
        no_questions = sum(n for (lv, _split, ok), n in flags.items() if lv == level and not ok)
        levels.append(
            LevelHealth(
                counts=counts,
                rows=rows,
                no_questions=no_questions,
                pool=flags.get((level, Case.Split.TEST, True), 0),
                pool_needed=needs.get(level),
            )
        )
    missing = (
        flagged.filter(has_questions=False)
        .select_related("category")
        .order_by("level", "split", "title", "pk")
    )
    return LibraryHealth(
        levels=levels,
        no_question_cases=list(missing[:NO_QUESTION_LIST_LIMIT]),
        no_question_total=sum(lv.no_questions for lv in levels),
        default_cap=config.default_cap,
    )


# --- the catalogue: browsing and maintaining the library ---------------------------------


def can_browse_catalogue(user) -> bool:
    """Who may browse and read the whole case library (the catalogue, /cases/manage/): case
    maintainers, training managers and operations managers. What each sees is
    catalogue_cases(user)."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (
            user.has_perm(MAINTAIN_CASES)
            or user.has_perm(roles.MANAGE_TRAINING)
            or user.has_perm(roles.MANAGE_OPERATIONS)
        )
    )


def can_maintain(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MAINTAIN_CASES))


def catalogue_cases(user) -> QuerySet[Case]:
    """The cases ``user`` may read in full in the catalogue (active and in the history
    library): every training case, and the TEST cases of the levels whose test content they
    may see (sees_test_content: anyone who sits no exams; an examinee only below their own
    level). Opening a test case records a CaseExposure (the views and the services)."""
    qs = Case.objects.all()
    test_levels = test_content_levels_q(user)
    if test_levels is not None:
        qs = qs.filter(Q(split=Case.Split.TRAINING) | test_levels)
    return qs


def catalogue_list(user) -> QuerySet[Case]:
    """The catalogue's rows for ``user`` (catalogue_cases) in catalogue order; the page and
    the API filter them through casebase.filters.CatalogueFilter."""
    return (
        catalogue_cases(user)
        .select_related("category")
        .order_by("level", "category__path", "title", "pk")
    )


@dataclass
class CaseVersion:
    """One entry of a case's history: who changed it, when, why, and the line diff of its
    content against the version before (None for a creation or a retirement)."""

    kind: str
    label: str
    actor: object
    at: object
    version: int | None
    reason: str
    via: str
    proposal_id: int | None
    diff: list[tuple[str, str]] | None


def case_versions(case: Case) -> list[CaseVersion]:
    """The history of ``case``, newest first: its creation, every revision (a committee-applied
    proposal: reason and diff from the proposal; a direct change by a maintainer or an admin:
    from its CaseEvent) and its retirement. Three queries."""
    from casebase.review_kinds import case_content_diff

    events = list(
        case.events.filter(
            kind__in=[CaseEvent.Kind.CREATED, CaseEvent.Kind.REVISED, CaseEvent.Kind.RETIRED]
        ).select_related("actor")
    )
    proposal_ids = [
        e.data.get("proposal") for e in events if isinstance(e.data.get("proposal"), int)
    ]
    proposals = Proposal.objects.select_related("proposer").in_bulk(proposal_ids)
    rows = []
    for event in events:
        data = event.data or {}
        proposal = proposals.get(data.get("proposal"))
        diff, reason = None, str(data.get("reason") or "")
        if proposal is not None:
            reason = proposal.reason
            before = (proposal.payload or {}).get("before")
            if before:
                diff = case_content_diff(before, proposal.payload)
        elif data.get("before") is not None and data.get("after") is not None:
            diff = case_content_diff(data["before"], data["after"])
        rows.append(
            CaseVersion(
                kind=event.kind,
                label=event.get_kind_display(),
                actor=event.actor,
                at=event.created_at,
                version=data.get("version"),
                reason=reason,
                via=str(data.get("via") or data.get("by") or ("committee" if proposal else "")),
                proposal_id=proposal.pk if proposal else None,
                diff=diff,
            )
        )
    return rows


def call_suggestions_visible(user=None) -> QuerySet[CallSuggestion]:
    """Suggested calls of every status. For ``user``: without the ones made into a case
    outside their catalogue (a suggestion's reason describes the call: a TEST case's content)."""
    qs = CallSuggestion.objects.select_related("suggested_by", "decided_by", "case")
    if user is not None:
        qs = qs.exclude(Q(case__isnull=False) & ~Q(case__in=catalogue_cases(user)))
    return qs


def call_suggestions_of_status(
    qs: QuerySet[CallSuggestion], status: str
) -> QuerySet[CallSuggestion]:
    """``qs`` limited to ``status`` (all when empty); pending ones oldest first (a queue)."""
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk") if status == CallSuggestion.Status.PENDING else qs


def call_suggestions(
    *, status: str = CallSuggestion.Status.PENDING, user=None
) -> QuerySet[CallSuggestion]:
    """Suggested calls by status (call_suggestions_visible, call_suggestions_of_status)."""
    return call_suggestions_of_status(call_suggestions_visible(user), status)


def can_moderate_reflections(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.has_perm(MAINTAIN_CASES) or user.has_perm(roles.MANAGE_TRAINING))
    )


def can_write_commentary(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.has_perm(roles.MANAGE_TRAINING) or user.has_perm(roles.REVIEW))
    )


def visible_reflections(case: Case, user) -> list[CaseReflection]:
    """The reflections on ``case`` that ``user`` sees: the approved ones, their own whatever
    its status, and every one for a moderator (with its status)."""
    qs = case.reflections.select_related("employee")
    if not can_moderate_reflections(user):
        qs = qs.filter(Q(status=CaseReflection.Status.APPROVED) | Q(employee=user))
    return list(qs)


def moderatable_reflections(user) -> QuerySet[CaseReflection]:
    """The reflections ``user`` may read and moderate: those on the cases of their catalogue
    (catalogue_cases) — a reflection tells what a case holds, so a moderator who sits exams
    never reads those of a TEST case they may still be examined on."""
    return CaseReflection.objects.filter(case__in=catalogue_cases(user))


def pending_reflections(user) -> QuerySet[CaseReflection]:
    return (
        moderatable_reflections(user)
        .filter(status=CaseReflection.Status.PENDING)
        .select_related("employee", "case")
        .order_by("created_at", "pk")
    )


def case_commentary(case: Case) -> CaseCommentary | None:
    return CaseCommentary.objects.filter(case=case).select_related("author").first()


def commentary_history(commentary: CaseCommentary | None) -> list:
    if commentary is None:
        return []
    return list(
        commentary.history.select_related("history_user").order_by("-history_date", "-history_id")
    )


# --- cited KB entries ---------------------------------------------------------------------


def cases_citing(entry_id: int) -> set[int]:
    """Ids of the active cases citing the KB entry ``entry_id`` (CaseCitation; a case in the
    history library is not studied or examined any more, so it is not flagged). One query."""
    from casebase.models import CaseCitation

    return set(
        CaseCitation.objects.filter(entry_id=entry_id, case__status=Case.Status.ACTIVE).values_list(
            "case_id", flat=True
        )
    )


def revisable_cases(user, case_ids: set[int]) -> set[int]:
    """Of ``case_ids``, the cases ``user`` can answer with a revision: all for a case
    maintainer (the case's edit page), else those of their study scope (the revision
    proposal page opens only those). At most one query."""
    if not case_ids or can_maintain(user):
        return set(case_ids)
    return set(study_cases(user).filter(pk__in=case_ids).values_list("pk", flat=True))


def cited_entries(case: Case) -> QuerySet:
    """The KB entries ``case`` cites, by id (with their category)."""
    from knowledgebase.models import Entry

    return Entry.objects.filter(case_citations__case=case).select_related("category").order_by("pk")
