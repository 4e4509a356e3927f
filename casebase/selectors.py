"""Reads of the case libraries, including what the promotion engine (issue 6) uses:
training_cases_studied, test_cases_for_exam, decision_points and next_level."""

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from casebase.models import (
    MAX_LEVEL,
    MIN_LEVEL,
    Case,
    CaseNode,
    CaseRating,
    CaseStudy,
    RetirementCandidate,
)
from review.models import Proposal

# The case libraries' proposal kinds (registered in casebase.review_kinds).
KIND_NEW = "case_new"
KIND_REVISION = "case_revision"
KIND_QUALITY = "quality_case"


def next_level(user) -> int:
    """The level whose training cases the employee studies now: their level + 1, within 1–5
    (a level-5 master keeps studying level 5)."""
    return max(MIN_LEVEL, min((user.level or 0) + 1, MAX_LEVEL))


def study_cases(user) -> QuerySet[Case]:
    """Every case ``user`` may open in study: active TRAINING cases of level ≤ their next
    level. Test cases and the history library are never part of it."""
    return Case.objects.training().filter(level__lte=next_level(user))


def study_list(user, *, level: int | None = None, category=None) -> QuerySet[Case]:
    """The study list: the next level by default (``level`` may pick any level ≤ next),
    optionally one category and its sub-categories; annotated with ``studied`` and
    ``my_rating`` for ``user``."""
    qs = study_cases(user).filter(level=level or next_level(user))
    if category is not None:
        qs = qs.filter(category__path__startswith=category.path)
    return (
        qs.select_related("category")
        .annotate(
            studied=Exists(CaseStudy.objects.filter(case=OuterRef("pk"), employee=user)),
            my_rating=Subquery(CaseRating.objects.filter(case=OuterRef("pk"), employee=user).values("value")[:1]),
        )
        .order_by("category__path", "title", "pk")
    )


def case_tree(case: Case) -> dict | None:
    """The nested tree of a text case (the proposal/API format) from one query; None when
    the case has no nodes (voice cases)."""
    nodes = list(case.nodes.order_by("order", "pk"))
    children: dict[int | None, list[CaseNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)

    def build(node: CaseNode) -> dict:
        data = {"role": node.role, "text": node.text, "emotion": node.emotion, "thinking": node.thinking,
                "rationales": list(node.rationales), "is_best": node.is_best, "outcome": node.outcome,
                "final_state": node.final_state}
        data["children"] = [build(c) for c in children.get(node.pk, [])]
        return data

    roots = children.get(None, [])
    return build(roots[0]) if roots else None


def case_tree_with_ids(case: Case) -> dict | None:
    """Like case_tree, each node also carrying its "id" (the API's study detail)."""
    nodes = list(case.nodes.order_by("order", "pk"))
    children: dict[int | None, list[CaseNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)

    def build(node: CaseNode) -> dict:
        return {"id": node.pk, "role": node.role, "text": node.text, "emotion": node.emotion,
                "thinking": node.thinking, "rationales": list(node.rationales), "is_best": node.is_best,
                "outcome": node.outcome, "final_state": node.final_state,
                "children": [build(c) for c in children.get(node.pk, [])]}

    roots = children.get(None, [])
    return build(roots[0]) if roots else None


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
    nodes = {n.pk: n for n in case.nodes.order_by("order", "pk")}
    children: dict[int | None, list[CaseNode]] = {}
    for node in nodes.values():
        children.setdefault(node.parent_id, []).append(node)
    roots = children.get(None, [])
    if not roots:
        return None
    current = roots[0] if node_id is None else nodes.get(node_id)
    if current is None or current.role != CaseNode.Role.CUSTOMER:
        return None
    path, cursor = [], current.parent_id
    while cursor is not None:
        path.append(nodes[cursor])
        cursor = nodes[cursor].parent_id
    path.reverse()
    replies = sorted(children.get(current.pk, []), key=lambda n: (not n.is_best, n.order, n.pk))
    return Walk(path=path, current=current, replies=replies,
                branches={r.pk: children.get(r.pk, []) for r in replies})


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
    nodes = list(case.nodes.order_by("order", "pk"))
    children: dict[int | None, list[CaseNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    points, stack = [], list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        kids = children.get(node.pk, [])
        if node.role == CaseNode.Role.CUSTOMER and len(kids) > 1:
            best = next(k for k in kids if k.is_best)
            points.append(DecisionPoint(customer=node, replies=kids, best=best))
        stack.extend(reversed(kids))
    return points


def training_cases_studied(employee, level: int) -> QuerySet[Case]:
    """Active training cases of ``level`` that ``employee`` marked studied (a case moved to
    the history library no longer counts)."""
    return Case.objects.training().filter(level=level, studies__employee=employee).distinct()


def test_cases_for_exam(level: int, count: int, rng: random.Random | None = None) -> list[Case]:
    """``count`` active TEST cases of ``level`` drawn at random with ``rng`` (default a
    SystemRandom); fewer when the level has fewer test cases, [] when it has none.
    Drawing does not count as an exam use: call services.case_record_exam_use for that."""
    rng = rng or random.SystemRandom()
    ids = sorted(Case.objects.testing().filter(level=level).values_list("pk", flat=True))
    chosen = rng.sample(ids, min(count, len(ids)))
    by_id = Case.objects.select_related("category").in_bulk(chosen)
    return [by_id[pk] for pk in chosen]


def history_cases() -> QuerySet[Case]:
    return (Case.objects.filter(status=Case.Status.HISTORY).with_indicators()
            .select_related("category").order_by("-retired_at", "-pk"))


def pending_retirements() -> QuerySet[RetirementCandidate]:
    return (RetirementCandidate.objects.filter(status=RetirementCandidate.Status.PENDING)
            .select_related("case", "case__category").order_by("case__level", "created_at", "pk"))


@dataclass
class Contributor:
    """One participant in a case's edits: its author and/or the proposer or a named
    participant of accepted case proposals (``proposals``: their pks, oldest first)."""

    employee: object
    authored: bool = False
    proposals: list[int] = field(default_factory=list)


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
    proposals = (Proposal.objects.filter(kind__in=[KIND_NEW, KIND_REVISION], status=Proposal.Status.APPLIED,
                                         target_type=ContentType.objects.get_for_model(Case), target_id=case.pk)
                 .order_by("decided_at", "pk").values_list("pk", "proposer_id", "payload"))
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
