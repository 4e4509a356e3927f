"""Turning drawn test cases into exam questions (pure reads of casebase; no writes).

How questions are made (each question stores its correct option key server-side):

* text case — for every decision point (a customer turn with two or more alternative CSR
  replies, casebase.selectors.decision_points):
  1. "Choose the best reply": the options are the alternative replies; the correct one is
     the reply marked best.
  2. "Choose the main rationale of the best reply" (when the best reply has a rationale):
     the options are the best reply's rationales (its first is the main one) plus the main
     rationales of the other replies, without duplicates; skipped when fewer than two
     distinct options exist. The best reply's text is not shown, so question 2 does not
     give away question 1.
  The customer turns leading to the decision point are shown as context (CSR replies on
  the way are left out, as they could reveal earlier answers).
* voice case — on the recording:
  1. "What is the premise of this call?": CSR service defect / CSR turned the customer's
     emotion around (the case's premise field);
  2. "How severe is the customer's emotional problem?": grades 1–5 (emotion_grade).
  A question is skipped when the case lacks that field.
Options are shuffled with the exam's random generator and keyed a, b, c, …
"""

import random
import string

from django.utils.translation import gettext as _

from casebase.models import Case
from casebase.selectors import case_walk, decision_points


def _options(texts: list[str], correct_index: int, rng: random.Random) -> tuple[list[dict], str]:
    order = list(range(len(texts)))
    rng.shuffle(order)
    options, answer = [], ""
    for key, index in zip(string.ascii_lowercase, order, strict=False):
        options.append({"key": key, "text": texts[index]})
        if index == correct_index:
            answer = key
    return options, answer


def _case_fields(case: Case) -> dict:
    return {
        "case_id": case.pk, "case_title": case.title, "case_kind": case.kind, "background": case.background,
        "audio_url": case.audio.url if case.audio else "",
        "transcript": "" if case.audio else case.transcript,
    }


def text_case_questions(case: Case, rng: random.Random) -> list[dict]:
    questions = []
    for point in decision_points(case):
        walk = case_walk(case, point.customer.pk)
        context = [n.text for n in (walk.path if walk else []) if n.role == "customer"]
        base = dict(_case_fields(case), context=context, customer=point.customer.text,
                    emotion=point.customer.emotion)
        replies = list(point.replies)
        options, answer = _options([r.text for r in replies], replies.index(point.best), rng)
        questions.append(dict(base, kind="best_reply", prompt=_("Choose the best reply."), options=options,
                              answer=answer))
        main = point.best.main_rationale()
        if main:
            texts = list(dict.fromkeys(list(point.best.rationales)
                                       + [r.main_rationale() for r in replies if r is not point.best
                                          and r.main_rationale()]))
            if len(texts) >= 2:
                options, answer = _options(texts, texts.index(main), rng)
                questions.append(dict(base, kind="main_rationale",
                                      prompt=_("Choose the main rationale of the best reply."),
                                      options=options, answer=answer))
    return questions


def voice_case_questions(case: Case, rng: random.Random) -> list[dict]:
    questions = []
    base = dict(_case_fields(case), context=[], customer="", emotion="")
    if case.premise:
        values = list(Case.Premise.values)
        labels = [str(label) for label in Case.Premise.labels]
        options, answer = _options(labels, values.index(case.premise), rng)
        questions.append(dict(base, kind="premise", prompt=_("What is the premise of this call?"), options=options,
                              answer=answer))
    if case.emotion_grade:
        grades = [str(n) for n in range(1, 6)]
        # Grades keep their natural order: shuffling a scale only confuses.
        options = [{"key": key, "text": text} for key, text in zip(string.ascii_lowercase, grades, strict=False)]
        questions.append(dict(base, kind="emotion_grade",
                              prompt=_("How severe is the customer's emotional problem (1 = mild, 5 = severe)?"),
                              options=options, answer=string.ascii_lowercase[case.emotion_grade - 1]))
    return questions


def build_questions(cases: list[Case], rng: random.Random) -> list[dict]:
    """The questions for ``cases`` in draw order, numbered q1, q2, …; [] when no case
    yields a question."""
    questions = []
    for case in cases:
        made = text_case_questions(case, rng) if case.kind == Case.Kind.TEXT else voice_case_questions(case, rng)
        questions.extend(made)
    for number, question in enumerate(questions, start=1):
        question["id"] = f"q{number}"
    return questions
