"""Exam questions derived from what a case holds (casebase.questions) and the exam draw."""

import json
import random
from collections import Counter

import pytest

from casebase import questions, selectors
from casebase.models import Case, CaseEvent, CaseNode
from casebase.questions import (
    ORDER_SEPARATOR,
    build_questions,
    case_has_questions,
    case_questions,
    distractors_for_level,
    public_question,
)
from casebase.services.content import case_create
from casebase.services.exam_use import case_record_exam_uses
from casebase.tests.factories import CaseFactory, category, seed_case
from casebase.tree import parse_tree_text

pytestmark = pytest.mark.django_db
SEED_KINDS = {"rationale_order", "shown_reply", "customer_emotion", "customer_thinking"}


def asked(case: Case, *, seed: int = 1, max_per_case: int = 6) -> list[dict]:
    """The questions of ``case`` with its level's distractors (as the exam builds them)."""
    nodes = list(CaseNode.objects.filter(case=case).order_by("order", "pk"))
    return case_questions(
        case,
        nodes,
        random.Random(seed),
        distractors=distractors_for_level(case.level),
        max_per_case=max_per_case,
    )


def option_text(question: dict) -> str:
    return next(o["text"] for o in question["options"] if o["key"] == question["answer"])


def test_a_seed_style_case_without_alternatives_yields_questions_of_every_seed_kind():
    # given: three seed-style test cases of level 1 (one reply per customer turn)
    case, *_others = [seed_case(n) for n in range(3)]
    # when
    made = asked(case)
    # then: rationale order, the shown reply, the customer's emotion and thinking — no best reply
    assert {q["kind"] for q in made} == SEED_KINDS
    root = CaseNode.objects.get(case=case, parent__isnull=True)
    reply = root.children.get()
    for q in made:
        node = CaseNode.objects.get(pk=q["node_id"])
        expected = {
            "rationale_order": ORDER_SEPARATOR.join(node.rationales),
            "shown_reply": node.text,
            "customer_emotion": node.emotion,
            "customer_thinking": node.thinking,
        }[q["kind"]]
        assert option_text(q) == expected
    order = next(q for q in made if q["kind"] == "rationale_order" and q["node_id"] == reply.pk)
    assert option_text(order) == "考虑#0-1 > 考虑#0-2 > 考虑#0-3" and len(order["options"]) == 4


def test_options_never_repeat_the_correct_text_even_when_other_cases_share_it():
    # given: two cases with identical texts and one different case (the only real distractor source)
    twin_a = seed_case(1, same_texts=True)
    seed_case(2, same_texts=True)
    seed_case(3)
    # when
    made = asked(twin_a, max_per_case=6)
    # then
    assert made
    for q in made:
        texts = [o["text"] for o in q["options"]]
        assert len(texts) == len(set(texts)) >= 2, q["kind"]
        assert texts.count(option_text(q)) == 1
        if q["kind"] in ("customer_emotion", "customer_thinking"):
            assert all(option_text(q) not in t for t in texts if t != option_text(q))


def test_no_question_shows_a_reply_or_the_emotion_another_question_asks_for():
    # given: a case with alternatives and follow-ups, among other test cases of its level
    case = CaseFactory(split="test")
    for n in range(3):
        seed_case(n)
    replies = set(CaseNode.objects.filter(case=case, role="csr").values_list("text", flat=True))
    for seed in range(20):
        made = asked(case, seed=seed, max_per_case=6)
        # then: customer turns only outside the options
        for q in made:
            shown = json.dumps(
                {k: q[k] for k in ("context", "customer", "emotion", "prompt", "background")},
                ensure_ascii=False,
            )
            assert not any(text in shown for text in replies)
        # at most one question about the reply to one customer turn
        per_turn = Counter(
            q["customer"]
            for q in made
            if q["kind"] in ("best_reply", "main_rationale", "shown_reply", "rationale_order")
        )
        for turn, count in per_turn.items():
            kinds = {q["kind"] for q in made if q["customer"] == turn} - {
                "customer_emotion",
                "customer_thinking",
            }
            assert count == 1, kinds
        # an emotion that is asked is shown nowhere else
        for q in made:
            if q["kind"] == "customer_emotion":
                assert all(
                    not other["emotion"] for other in made if other["customer"] == q["customer"]
                )


@pytest.mark.parametrize("bound", [1, 2, 3, 6])
def test_a_case_yields_at_most_the_bound_of_questions(bound):
    # given: a case with many candidate questions
    case = CaseFactory(split="test")
    for n in range(3):
        seed_case(n)
    # when
    made = asked(case, max_per_case=bound)
    # then
    assert len(made) == bound


def test_questions_are_deterministic_for_a_seeded_generator():
    cases = [seed_case(n) for n in range(4)]
    first = build_questions(cases, random.Random(5))
    assert build_questions(cases, random.Random(5)) == first
    assert [q["id"] for q in first] == [f"q{n}" for n in range(1, len(first) + 1)]
    assert all(
        "answer" not in public_question(q) and "node_id" not in public_question(q) for q in first
    )


def test_distractors_come_only_from_other_active_test_cases_of_the_level():
    # given: the case, a test case of the same level, and cases that must never lend a distractor
    case = seed_case(1)
    seed_case(2)
    seed_case(3, split="training")
    seed_case(4, level=2)
    retired = seed_case(5)
    Case.objects.filter(pk=retired.pk).update(status="history")
    # when
    texts = {o["text"] for seed in range(10) for q in asked(case, seed=seed) for o in q["options"]}
    # then
    assert any("#2" in t for t in texts)
    assert not any(tag in t for t in texts for tag in ("#3", "#4", "#5"))


def _bare_text_case(**fields) -> Case:
    return Case.objects.create(title="空树", category=category(), level=1, split="test", **fields)


@pytest.mark.parametrize(
    "setup, expected",
    [
        ("voice with premise", True),
        ("voice with a grade only", True),
        ("voice without premise or grade", False),
        ("text without a tree", False),
        ("lone seed case, one rationale per reply", False),
        ("seed case, one rationale, another test case in the level", True),
        ("lone seed case with ranked rationales", True),
        ("lone case with alternatives", True),
    ],
)
def test_the_cheap_flag_says_whether_a_case_yields_questions(setup, expected):
    # given
    if setup == "voice with premise":
        case = _bare_text_case(kind="voice", premise="service_defect")
    elif setup == "voice with a grade only":
        case = _bare_text_case(kind="voice", emotion_grade=3)
    elif setup == "voice without premise or grade":
        case = _bare_text_case(kind="voice")
    elif setup == "text without a tree":
        case = _bare_text_case()
    elif setup == "lone seed case, one rationale per reply":
        case = seed_case(1, rationales=1)
    elif setup == "seed case, one rationale, another test case in the level":
        case = seed_case(1, rationales=1)
        seed_case(2, level=1, rationales=1)
    elif setup == "lone seed case with ranked rationales":
        case = seed_case(1, rationales=2)
    else:
        case = CaseFactory(split="test")
    # when / then: the database flag and the builder agree
    assert case_has_questions(case) is expected
    assert bool(asked(case)) is expected


def test_the_draw_takes_the_least_exposed_cases_first_and_random_among_equals():
    # given: 14 test cases, four of them drawn before
    cases = [seed_case(n) for n in range(14)]
    exposed = {c.pk for c in cases[:4]}
    Case.objects.filter(pk__in=exposed).update(exam_uses=2)
    Case.objects.filter(pk=cases[0].pk).update(exam_uses=1)
    # when
    draws = [selectors.test_cases_for_exam(1, 11, random.Random(seed)) for seed in range(6)]
    # then: the ten never drawn first, then the least drawn of the others
    for drawn in draws:
        assert {c.pk for c in drawn[:10]} == {c.pk for c in cases[4:]} and drawn[10].pk == cases[
            0
        ].pk
    assert len({tuple(c.pk for c in drawn[:10]) for drawn in draws}) > 1  # ties broken at random


def test_the_draw_leaves_out_excluded_cases():
    cases = [seed_case(n) for n in range(12)]
    excluded = {cases[0].pk, cases[5].pk}
    drawn = selectors.exam_draw(1, 10, random.Random(2), exclude_ids=excluded)
    assert len(drawn.cases) == 10 and not excluded & {c.pk for c in drawn.cases}
    assert not excluded & {q["case_id"] for q in drawn.questions}
    assert selectors.exam_pool(1, exclude_ids=excluded).count() == 10


def test_the_draw_skips_a_case_that_yields_nothing_after_all():
    # given: identical single-rationale cases without emotions: flagged (other cases exist) but
    # every distractor equals the answer, so none yields a question — and one voice case
    tree = parse_tree_text(
        "客户: 宽带断了\n  客服: 马上派人 | 出发点: 尽快恢复 | 结果: 派单 | 最终状态: 接受\n"
    )
    for n in range(3):
        case_create(
            kind="text", title=f"同一案例{n}", category=category(), level=1, split="test", tree=tree
        )
    real = _bare_text_case(kind="voice", premise="emotion_turned")
    # when
    drawn = selectors.exam_draw(1, 3, random.Random(1))
    # then: only the real case is drawn (the caller refuses such a short draw)
    assert selectors.exam_pool(1).count() == 4
    assert [c.pk for c in drawn.cases] == [real.pk]


def test_exam_uses_are_recorded_for_all_drawn_cases_in_a_few_queries(django_assert_max_num_queries):
    cases = [seed_case(n) for n in range(10)]
    with django_assert_max_num_queries(5):  # savepoint, update, select, insert, release
        counted = case_record_exam_uses(
            case_ids=[c.pk for c in cases] + [cases[0].pk], exam_ref="promotion-exam:7"
        )
    assert counted == 10
    assert set(Case.objects.values_list("exam_uses", flat=True)) == {1}
    assert CaseEvent.objects.filter(kind="exam_use", data__exam="promotion-exam:7").count() == 10


def test_kind_labels_cover_every_kind():
    assert set(questions.KIND_PRIORITY) == set(questions.KIND_LABELS)
