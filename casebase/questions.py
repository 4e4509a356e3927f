"""Exam questions derived from what a case holds (pure reads; the promotion app stores them).

Every question is self-contained JSON: what the examinee sees (case title, background,
context, prompt, options keyed a, b, c, …) plus, server-side only, its ``answer`` key and the
``node_id`` it was made from, and the case's ``competency_ids`` when it is tagged (PRIVATE_KEYS;
see public_question()).

Text cases — candidates, by customer turn C (a turn of the dialogue tree):

* ``best_reply`` at a decision point (C has two or more alternative replies): choose the
  reply marked best; the options are the alternatives.
* ``main_rationale`` at a decision point: choose the main (first) rationale of the best
  reply among its rationales and the other replies' main rationales. Most of its options are
  the best reply's rationales, which an examinee can match to a reply, so it is never asked
  beside ``best_reply`` at the same turn.
* ``rationale_order`` at C whose recommended reply (the only or the best one) has two or
  more ranked rationales: order them by importance; the options are orderings (the case's
  order and up to three shuffled ones). The reply itself is not shown (it is the answer of
  other questions).
* ``shown_reply`` at C with exactly one reply (seed-style cases): choose the reply the case
  shows, distractors are replies of OTHER cases.
* ``customer_emotion`` / ``customer_thinking`` at C with that field: choose what the
  customer feels / thinks, distractors from OTHER cases' customer turns.

Voice cases: ``premise`` (service defect / emotion turned around) and ``emotion_grade`` (1–5).

Rules that keep one question from giving another away:

* questions show only customer turns, never a CSR reply (any reply could be an answer);
* per customer turn C at most one question about its reply (``best_reply``,
  ``main_rationale``, ``shown_reply``, ``rationale_order``);
* when the customer's emotion at C is asked, no other question of the case shows it;
* options never repeat the correct text (nor each other), and a question with fewer than two
  distinct options is not asked.

At most ``max_per_case`` questions per case: kinds are taken in turn (KIND_PRIORITY), one
candidate of each kind per round, chosen with the exam's random generator, so a big case cannot
dominate an exam and the questions vary between exams. Distractors come from a Distractors
source built from the OTHER active test cases of the same level (never training cases: an
examinee who studied them would recognise a distractor), preferring cases that are not in
the same exam; emotion/thinking distractors that contain the answer (or are contained in
it) are skipped. Everything is deterministic for a
given ``random.Random``.
"""

import itertools
import random
import string
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebase.models import Case, CaseNode
from casebase.tree import NodeTree

BEST_REPLY = "best_reply"
MAIN_RATIONALE = "main_rationale"
RATIONALE_ORDER = "rationale_order"
SHOWN_REPLY = "shown_reply"
CUSTOMER_EMOTION = "customer_emotion"
CUSTOMER_THINKING = "customer_thinking"
PREMISE = "premise"
EMOTION_GRADE = "emotion_grade"

KIND_LABELS = {
    BEST_REPLY: gettext_lazy("Choosing the best reply"),
    MAIN_RATIONALE: gettext_lazy("Main rationale of a reply"),
    RATIONALE_ORDER: gettext_lazy("Ranking a reply's rationales"),
    SHOWN_REPLY: gettext_lazy("Recognising the recommended reply"),
    CUSTOMER_EMOTION: gettext_lazy("Reading the customer's emotion"),
    CUSTOMER_THINKING: gettext_lazy("Reading the customer's thinking"),
    PREMISE: gettext_lazy("Premise of a call"),
    EMOTION_GRADE: gettext_lazy("Grading an emotional problem"),
}
KIND_PRIORITY = [
    BEST_REPLY,
    RATIONALE_ORDER,
    CUSTOMER_EMOTION,
    SHOWN_REPLY,
    MAIN_RATIONALE,
    CUSTOMER_THINKING,
    PREMISE,
    EMOTION_GRADE,
]
DEFAULT_MAX_PER_CASE = 3
MAX_DISTRACTORS = 3  # at most four options
ORDER_SEPARATOR = " > "
# Never sent to the examinee (the answer, the turn it was made from, and the competency items of
# the case: the result per item is shown only after submission).
PRIVATE_KEYS = ("answer", "node_id", "competency_ids")


def with_recording_url(question: dict) -> dict:
    """``question`` with its "audio_url" pointing at the permission-checked recording view
    (questions stored before recordings were checked carry a /media/ URL)."""
    if question.get("audio_url") and question.get("case_id"):
        from django.urls import reverse

        return dict(question, audio_url=reverse("casebase:recording", args=[question["case_id"]]))
    return question


def public_question(question: dict) -> dict:
    """The question as the examinee may see it (no answer, no node reference; the recording
    through its permission-checked URL)."""
    return {k: v for k, v in with_recording_url(question).items() if k not in PRIVATE_KEYS}


# --- distractors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Distractors:
    """Texts of other cases to mix into options: (case id, text) pairs in a stable order."""

    replies: tuple[tuple[int, str], ...] = ()
    emotions: tuple[tuple[int, str], ...] = ()
    thinkings: tuple[tuple[int, str], ...] = ()

    def pick(
        self,
        pool: str,
        *,
        case_id: int,
        correct: str,
        rng: random.Random,
        n: int = MAX_DISTRACTORS,
        avoid: Collection[int] = (),
        loose: bool = False,
    ) -> list[str]:
        """Up to ``n`` distinct texts of ``pool`` from cases other than ``case_id``, none equal
        to ``correct`` (with ``loose``, none containing it or contained in it either: "愤怒"
        is no distractor for "更加愤怒"); texts of cases outside ``avoid`` (e.g. the other cases
        of the same exam) first. [] when there are none."""
        correct = correct.strip()
        seen = {correct}
        outside, inside = [], []
        for other, text in getattr(self, pool):
            text = text.strip()
            if other == case_id or not text or text in seen:
                continue
            if loose and (correct in text or text in correct):
                continue
            seen.add(text)
            (inside if other in avoid else outside).append(text)
        chosen = rng.sample(outside, min(n, len(outside)))
        return chosen + rng.sample(inside, min(n - len(chosen), len(inside)))


def distractors_for_level(level: int) -> Distractors:
    """The distractor source of ``level``: replies, emotions and thinking of its active TEST
    text cases (one query)."""
    rows = (
        CaseNode.objects.filter(
            case__in=Case.objects.testing().filter(level=level, kind=Case.Kind.TEXT)
        )
        .order_by("case_id", "order", "pk")
        .values_list("case_id", "role", "text", "emotion", "thinking")
    )
    replies, emotions, thinkings = [], [], []
    for case_id, role, text, emotion, thinking in rows:
        if role == CaseNode.Role.CSR:
            replies.append((case_id, text))
        else:
            if emotion:
                emotions.append((case_id, emotion))
            if thinking:
                thinkings.append((case_id, thinking))
    return Distractors(tuple(replies), tuple(emotions), tuple(thinkings))


# --- which cases yield questions ---------------------------------------------------------


def with_question_flag(qs: QuerySet[Case]) -> QuerySet[Case]:
    """``qs`` annotated with ``has_questions`` (computed in the database, no query per case):

    * voice case: it has a premise or an emotion grade;
    * text case: it has a reply and either alternatives (a non-best reply exists only at a
      decision point), a recommended (only or best) reply with two or more rationales, or
      another active test text case of its level to take distractors from.

    Degenerate trees (e.g. every distractor identical to the answer) may still yield nothing:
    the exam draw skips such a case and refuses a short exam."""
    reply = CaseNode.objects.filter(case=OuterRef("pk"), role=CaseNode.Role.CSR)
    other_text = (
        Case.objects.testing()
        .filter(level=OuterRef("level"), kind=Case.Kind.TEXT, nodes__role=CaseNode.Role.CSR)
        .exclude(pk=OuterRef("pk"))
    )
    ranked = reply.filter(is_best=True, rationales__1__isnull=False)  # a second rationale exists
    text_ok = (
        Q(kind=Case.Kind.TEXT)
        & Exists(reply)
        & (Exists(reply.filter(is_best=False)) | Exists(ranked) | Exists(other_text))
    )
    voice_ok = Q(kind=Case.Kind.VOICE) & (~Q(premise="") | Q(emotion_grade__isnull=False))
    return qs.annotate(
        has_questions=ExpressionWrapper(text_ok | voice_ok, output_field=BooleanField())
    )


def case_has_questions(case: Case) -> bool:
    """True when ``case`` yields at least one exam question (see with_question_flag)."""
    return (
        with_question_flag(Case.objects.filter(pk=case.pk))
        .values_list("has_questions", flat=True)
        .first()
        or False
    )


# --- building ----------------------------------------------------------------------------


def _options(texts: list[str], correct_index: int, rng: random.Random) -> tuple[list[dict], str]:
    order = list(range(len(texts)))
    rng.shuffle(order)
    options, answer = [], ""
    for key, index in zip(string.ascii_lowercase, order, strict=False):
        options.append({"key": key, "text": texts[index]})
        if index == correct_index:
            answer = key
    return options, answer


def _distinct(correct: str, others: Iterable[str]) -> list[str]:
    """[correct, *others] without empty texts or repeats (the correct text first)."""
    texts = [correct]
    for text in others:
        if text and text not in texts:
            texts.append(text)
    return texts


def _case_fields(case: Case) -> dict:
    return {
        "case_id": case.pk,
        "case_title": case.title,
        "case_kind": case.kind,
        "category_id": case.category_id,
        "background": case.background,
        "audio_url": case.recording_url(),
        "transcript": "" if case.audio else case.transcript,
    }


@dataclass
class _Candidate:
    kind: str
    turn: int | None  # the customer turn it is about (None for voice questions)
    make: Callable[[set[int]], dict]  # the question, given the turns whose emotion must stay hidden
    reply_question: bool = False
    order: int = 0


def _context(tree: NodeTree, turn: CaseNode) -> list[str]:
    """Texts of the customer turns before ``turn`` (CSR replies are left out: they could
    answer another question)."""
    return [node.text for node in tree.ancestors(turn) if node.role == CaseNode.Role.CUSTOMER]


def _text_candidates(
    case: Case, tree: NodeTree, distractors: Distractors, rng: random.Random, avoid: Collection[int]
) -> list[_Candidate]:
    base = _case_fields(case)
    candidates: list[_Candidate] = []

    def at(
        turn: CaseNode,
        kind: str,
        prompt: str,
        options: list[dict],
        answer: str,
        node_id: int,
        hidden: set[int],
    ) -> dict:
        return dict(
            base,
            kind=kind,
            prompt=prompt,
            options=options,
            answer=answer,
            node_id=node_id,
            context=_context(tree, turn),
            customer=turn.text,
            emotion="" if turn.pk in hidden else turn.emotion,
        )

    for turn in tree.walk(*tree.roots[:1]):
        if turn.role != CaseNode.Role.CUSTOMER:
            continue
        replies = [r for r in tree.children_of(turn) if r.role == CaseNode.Role.CSR]
        best = next((r for r in replies if r.is_best), None)
        if len(replies) > 1 and best is not None:
            texts = _distinct(best.text, (r.text for r in replies if r is not best))
            if len(texts) > 1:
                options, answer = _options(texts, 0, rng)
                candidates.append(
                    _Candidate(
                        BEST_REPLY,
                        turn.pk,
                        reply_question=True,
                        make=(
                            lambda hidden, t=turn, o=options, a=answer: at(
                                t, BEST_REPLY, _("Choose the best reply."), o, a, t.pk, hidden
                            )
                        ),
                    )
                )
            main = best.main_rationale()
            if main:
                texts = _distinct(
                    main,
                    list(best.rationales[1:])
                    + [r.main_rationale() for r in replies if r is not best],
                )
                if len(texts) > 1:
                    options, answer = _options(texts, 0, rng)
                    candidates.append(
                        _Candidate(
                            MAIN_RATIONALE,
                            turn.pk,
                            reply_question=True,
                            make=(
                                lambda hidden, t=turn, o=options, a=answer: at(
                                    t,
                                    MAIN_RATIONALE,
                                    _("Choose the main rationale of the best reply."),
                                    o,
                                    a,
                                    t.pk,
                                    hidden,
                                )
                            ),
                        )
                    )
        elif len(replies) == 1:
            reply = replies[0]
            texts = _distinct(
                reply.text,
                distractors.pick(
                    "replies", case_id=case.pk, correct=reply.text, rng=rng, avoid=avoid
                ),
            )
            if len(texts) > 1:
                options, answer = _options(texts, 0, rng)
                candidates.append(
                    _Candidate(
                        SHOWN_REPLY,
                        turn.pk,
                        reply_question=True,
                        make=(
                            lambda hidden, t=turn, o=options, a=answer, r=reply: at(
                                t,
                                SHOWN_REPLY,
                                _("Which reply does the case show at this point?"),
                                o,
                                a,
                                r.pk,
                                hidden,
                            )
                        ),
                    )
                )
        if best is not None:  # the reply the case recommends (the only one, or the best)
            ranked = list(dict.fromkeys(r for r in best.rationales if r))
            if len(ranked) >= 2:
                correct = ORDER_SEPARATOR.join(ranked)
                texts = _distinct(
                    correct, (ORDER_SEPARATOR.join(p) for p in _other_orders(ranked, rng))
                )
                options, answer = _options(texts, 0, rng)
                candidates.append(
                    _Candidate(
                        RATIONALE_ORDER,
                        turn.pk,
                        reply_question=True,
                        make=(
                            lambda hidden, t=turn, o=options, a=answer, r=best: at(
                                t,
                                RATIONALE_ORDER,
                                _(
                                    "Put the rationales of the reply the case recommends at this "
                                    "point in order of importance (most important first)."
                                ),
                                o,
                                a,
                                r.pk,
                                hidden,
                            )
                        ),
                    )
                )
        for kind, value, pool, prompt in (
            (
                CUSTOMER_EMOTION,
                turn.emotion,
                "emotions",
                _("How does the customer feel at this point?"),
            ),
            (
                CUSTOMER_THINKING,
                turn.thinking,
                "thinkings",
                _("What is the customer thinking at this point?"),
            ),
        ):
            if not value:
                continue
            texts = _distinct(
                value,
                distractors.pick(
                    pool, case_id=case.pk, correct=value, rng=rng, avoid=avoid, loose=True
                ),
            )
            if len(texts) > 1:
                options, answer = _options(texts, 0, rng)
                candidates.append(
                    _Candidate(
                        kind,
                        turn.pk,
                        make=(
                            lambda hidden, t=turn, o=options, a=answer, k=kind, p=prompt: at(
                                t, k, p, o, a, t.pk, hidden
                            )
                        ),
                    )
                )
    return candidates


def _other_orders(ranked: list[str], rng: random.Random) -> list[tuple[str, ...]]:
    """Up to MAX_DISTRACTORS orderings of ``ranked`` other than its own order."""
    own = tuple(ranked)
    if len(ranked) <= 4:
        others = [p for p in itertools.permutations(ranked) if p != own]
        return rng.sample(others, min(MAX_DISTRACTORS, len(others)))
    found: list[tuple[str, ...]] = []
    for _attempt in range(50):  # 5+ rationales: 119+ orderings, random ones are distinct fast
        shuffled = list(ranked)
        rng.shuffle(shuffled)
        if tuple(shuffled) != own and tuple(shuffled) not in found:
            found.append(tuple(shuffled))
        if len(found) == MAX_DISTRACTORS:
            break
    return found


def _voice_candidates(case: Case, rng: random.Random) -> list[_Candidate]:
    base = dict(_case_fields(case), context=[], customer="", emotion="", node_id=None)
    candidates = []
    if case.premise in Case.Premise.values:
        values = list(Case.Premise.values)
        labels = [str(label) for label in Case.Premise.labels]
        options, answer = _options(labels, values.index(case.premise), rng)
        candidates.append(
            _Candidate(
                PREMISE,
                None,
                make=lambda hidden, o=options, a=answer: dict(
                    base,
                    kind=PREMISE,
                    prompt=_("What is the premise of this call?"),
                    options=o,
                    answer=a,
                ),
            )
        )
    if case.emotion_grade and 1 <= case.emotion_grade <= 5:
        # Grades keep their natural order: shuffling a scale only confuses.
        options = [
            {"key": key, "text": str(n)}
            for key, n in zip(string.ascii_lowercase, range(1, 6), strict=False)
        ]
        answer = string.ascii_lowercase[case.emotion_grade - 1]
        candidates.append(
            _Candidate(
                EMOTION_GRADE,
                None,
                make=lambda hidden, o=options, a=answer: dict(
                    base,
                    kind=EMOTION_GRADE,
                    prompt=_(
                        "How severe is the customer's emotional problem (1 = mild, 5 = severe)?"
                    ),
                    options=o,
                    answer=a,
                ),
            )
        )
    return candidates


def _compatible(candidate: _Candidate, chosen: list[_Candidate]) -> bool:
    for other in chosen:
        if (
            other.kind == candidate.kind
            and other.turn == candidate.turn
            and candidate.turn is not None
        ):
            return False
        if candidate.reply_question and other.reply_question and other.turn == candidate.turn:
            return False
    return True


def _select(
    candidates: list[_Candidate], max_per_case: int, rng: random.Random
) -> list[_Candidate]:
    """Round-robin over KIND_PRIORITY, one compatible candidate (chosen at random) per kind and
    round, until ``max_per_case`` are chosen or nothing fits. Returned in tree order."""
    for index, candidate in enumerate(candidates):
        candidate.order = index
    by_kind = {kind: [c for c in candidates if c.kind == kind] for kind in KIND_PRIORITY}
    chosen: list[_Candidate] = []
    progress = True
    while progress and len(chosen) < max_per_case:
        progress = False
        for kind in KIND_PRIORITY:
            if len(chosen) >= max_per_case:
                break
            fitting = [c for c in by_kind[kind] if c not in chosen and _compatible(c, chosen)]
            if fitting:
                chosen.append(rng.choice(fitting))
                progress = True
    return sorted(chosen, key=lambda c: c.order)


def case_questions(
    case: Case,
    nodes: Sequence[CaseNode],
    rng: random.Random,
    *,
    distractors: Distractors | None = None,
    max_per_case: int = DEFAULT_MAX_PER_CASE,
    avoid: Collection[int] = (),
) -> list[dict]:
    """The questions of one case (without ids), at most ``max_per_case``; [] when it yields
    none. ``nodes`` are the case's turns (ignored for voice cases); distractors come from
    cases outside ``avoid`` (the exam's other cases) first."""
    distractors = distractors or Distractors()
    if case.kind == Case.Kind.TEXT:
        candidates = _text_candidates(case, NodeTree.of(nodes), distractors, rng, avoid)
    else:
        candidates = _voice_candidates(case, rng)
    chosen = _select(candidates, max(1, max_per_case), rng)
    hidden = {c.turn for c in chosen if c.kind == CUSTOMER_EMOTION}
    return [c.make(hidden) for c in chosen]


def build_questions(
    cases: Sequence[Case],
    rng: random.Random,
    *,
    distractors: Distractors | None = None,
    max_per_case: int = DEFAULT_MAX_PER_CASE,
) -> list[dict]:
    """The questions of ``cases`` in draw order, numbered q1, q2, …; [] when none yields a
    question. Loads the cases' turns in one query; ``distractors`` defaults to the source of
    the first case's level."""
    if not cases:
        return []
    if distractors is None:
        distractors = distractors_for_level(cases[0].level)
    nodes = nodes_by_case(cases)
    questions = []
    drawn = {c.pk for c in cases}
    for case in cases:
        questions.extend(
            case_questions(
                case,
                nodes.get(case.pk, []),
                rng,
                distractors=distractors,
                max_per_case=max_per_case,
                avoid=drawn,
            )
        )
    return number_questions(questions)


def nodes_by_case(cases: Iterable[Case]) -> dict[int, list[CaseNode]]:
    """The turns of ``cases`` by case id, each list in (order, pk) order (one query)."""
    nodes: dict[int, list[CaseNode]] = {}
    for node in CaseNode.objects.filter(case_id__in=[c.pk for c in cases]).order_by("order", "pk"):
        nodes.setdefault(node.case_id, []).append(node)
    return nodes


def number_questions(questions: list[dict]) -> list[dict]:
    for number, question in enumerate(questions, start=1):
        question["id"] = f"q{number}"
    return questions
