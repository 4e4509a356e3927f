"""Exam evidence in the gap analysis (curriculum.gaps): the latest counting promotion exam's
score per competency item, read as a 1–5 level by CurriculumSettings' bands, shown beside the
ratings and deciding the gap of an item nobody has rated yet. A small hand-made data set with
known answers: the attempts are written directly with their questions and answers."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from curriculum import gaps
from curriculum.models import AttemptQuestion, CurriculumSettings, ExamAttempt
from curriculum.tests.factories import (
    BehaviourRatingFactory,
    CompetencyItemFactory,
    CourseFactory,
    PositionCompetencyFactory,
    PositionFactory,
    QuestionFactory,
)
from promotion.models import ExamAttempt as LevelExam

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
D = dt.date


def write_attempt(employee, results, *, at, status=LevelExam.Status.FAILED):
    """A graded promotion exam of ``employee`` submitted at ``at``: ``results`` maps a
    competency item to (right answers, questions) about it."""
    questions, answers = [], {}
    for item, (right, total) in results.items():
        for n in range(total):
            qid = f"{item.code}-{n}"
            questions.append({"id": qid, "answer": "a", "competency_ids": [item.pk]})
            answers[qid] = "a" if n < right else "b"
    return LevelExam.objects.create(
        employee=employee,
        level=1,
        status=status,
        started_at=at - dt.timedelta(minutes=30),
        deadline=at + dt.timedelta(minutes=30),
        submitted_at=None if status == LevelExam.Status.OPEN else at,
        questions=questions,
        answers=answers,
        correct_count=sum(r for r, _t in results.values()),
        pass_percent=60,
    )


def write_course_attempt(employee, course, results, *, at):
    """A submitted course exam of ``employee``: ``results`` lists (question, right?) in order."""
    attempt = ExamAttempt.objects.create(
        employee=employee,
        course=course,
        status=ExamAttempt.Status.SUBMITTED,
        started_at=at - dt.timedelta(minutes=20),
        submitted_at=at,
        pass_mark_percent=60,
        correct_count=sum(right for _q, right in results),
        score_percent=Decimal("50"),
        passed=False,
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(attempt=attempt, question=question, order=n, is_correct=right)
        for n, (question, right) in enumerate(results, start=1)
    )
    return attempt


@pytest.fixture
def model(db):
    """A CSR with a 3-item position model (empathy target 5, products 4, selling 4), a team
    leader of their team, and nothing rated."""
    position = PositionFactory()
    items = {
        code: CompetencyItemFactory(code=code, name=code)
        for code in ("empathy", "products", "selling")
    }
    for code, weight, target in [
        ("empathy", "0.5", 5),
        ("products", "0.3", 4),
        ("selling", "0.2", 4),
    ]:
        PositionCompetencyFactory(
            position=position, item=items[code], weight=Decimal(weight), target_score=target
        )
    employee = UserFactory(roles=["CSR"], position=position)
    leader = UserFactory(roles=["Team leader", "CSR"], centre=employee.centre, team=employee.team)
    return SimpleNamespace(employee=employee, leader=leader, items=items, position=position)


def rows_by_code(analysis):
    return {row.item.code: row for row in analysis.rows}


# --- the band mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "percent, level",
    [
        ("0", 1),
        ("39.9", 1),
        ("40", 2),
        ("59.9", 2),
        ("60", 3),
        ("74.9", 3),
        ("75", 4),
        ("89.9", 4),
        ("90", 5),
        ("100", 5),
    ],
)
def test_default_bands_map_a_score_to_a_level(percent, level):
    assert CurriculumSettings().exam_level(Decimal(percent)) == level


def test_bands_are_settings():
    config = CurriculumSettings(
        exam_level_2_percent=10, exam_level_3_percent=20, exam_level_4_percent=30
    )
    assert [config.exam_level(Decimal(p)) for p in ("9.9", "10", "20", "30", "89.9", "90")] == [
        1,
        2,
        3,
        4,
        4,
        5,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"exam_level_3_percent": 40}, "exam_level_3_percent"),  # equal to the band below
        ({"exam_level_4_percent": 50}, "exam_level_4_percent"),  # below the band below
        ({"exam_level_5_percent": 101}, "exam_level_5_percent"),
        ({"exam_level_2_percent": 0}, "exam_level_2_percent"),
        ({"exam_evidence_min_questions": 0}, "exam_evidence_min_questions"),
        ({"exam_evidence_min_questions": 21}, "exam_evidence_min_questions"),
        ({"exam_evidence_window_days": 0}, "exam_evidence_window_days"),
        ({"exam_evidence_window_days": 731}, "exam_evidence_window_days"),
    ],
)
def test_settings_are_validated(changes, field):
    config = CurriculumSettings.current()
    for name, value in changes.items():
        setattr(config, name, value)
    with pytest.raises(ValidationError) as caught:
        config.full_clean()
    assert field in caught.value.message_dict


@pytest.mark.django_db
def test_the_database_refuses_bands_that_do_not_rise():
    CurriculumSettings.current()
    with pytest.raises(IntegrityError), transaction.atomic():
        CurriculumSettings.objects.update(exam_level_4_percent=60)


@pytest.mark.django_db
def test_an_admin_edits_the_bands_and_the_form_refuses_falling_ones(admin_client):
    from curriculum.tests.test_dashboard import settings_form

    url = reverse("admin:curriculum_curriculumsettings_change", args=[1])
    refused = admin_client.post(url, settings_form(exam_level_3_percent=30))
    assert refused.status_code == 200
    assert "exam_level_3_percent" in refused.context["adminform"].form.errors
    assert CurriculumSettings.current().exam_level_3_percent == 60
    saved = admin_client.post(
        url, settings_form(exam_level_5_percent=95, exam_evidence_min_questions=3)
    )
    assert saved.status_code == 302
    config = CurriculumSettings.current()
    assert (config.exam_level_5_percent, config.exam_evidence_min_questions) == (95, 3)
    assert config.exam_level(Decimal("94.9")) == 4


# --- which attempts count ------------------------------------------------------------------------


@pytest.mark.django_db
def test_latest_counting_exam_decides_unrated_items_with_known_answers(model):
    items = model.items
    # older: selling 1 of 4 (25 % → level 1)
    write_attempt(model.employee, {items["selling"]: (1, 4)}, at=NOW - dt.timedelta(days=30))
    # newer: empathy 2 of 5 (40 % → 2), products 9 of 10 (90 % → 5), selling 1 of 1 (too few)
    latest = write_attempt(
        model.employee,
        {items["empathy"]: (2, 5), items["products"]: (9, 10), items["selling"]: (1, 1)},
        at=NOW - dt.timedelta(days=10),
    )
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    empathy, products, selling = rows["empathy"], rows["products"], rows["selling"]
    assert (empathy.exam.level, empathy.exam.percent, empathy.exam.correct, empathy.exam.total) == (
        2,
        Decimal("40.0"),
        2,
        5,
    )
    assert empathy.exam.at == NOW - dt.timedelta(days=10) and empathy.exam.attempt_id == latest.pk
    assert (empathy.source, empathy.level, empathy.gap, empathy.weighted_gap) == (
        "exam",
        2,
        3,
        Decimal("1.5000"),
    )
    assert (products.exam.level, products.gap) == (5, 0)
    # one lucky answer on selling in the newer exam does not count: the older 1/4 does
    assert (selling.exam.level, selling.exam.percent, selling.exam.total, selling.gap) == (
        1,
        Decimal("25.0"),
        4,
        3,
    )
    assert selling.exam.at == NOW - dt.timedelta(days=30)


@pytest.mark.django_db
def test_too_few_questions_is_no_evidence_and_the_minimum_is_a_setting(model):
    write_attempt(model.employee, {model.items["empathy"]: (1, 1)}, at=NOW - dt.timedelta(days=1))
    row = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"]
    assert (row.exam, row.source, row.gap) == (None, None, None)
    config = CurriculumSettings.current()
    config.exam_evidence_min_questions = 1
    config.save()
    row = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"]
    assert (row.exam.level, row.source, row.gap) == (5, "exam", 0)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [LevelExam.Status.OPEN, LevelExam.Status.EXPIRED])
def test_an_unfinished_or_timed_out_attempt_is_ignored(model, status):
    older = write_attempt(
        model.employee, {model.items["empathy"]: (2, 5)}, at=NOW - dt.timedelta(days=5)
    )
    write_attempt(
        model.employee,
        {model.items["empathy"]: (5, 5)},
        at=NOW - dt.timedelta(days=1),
        status=status,
    )
    row = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"]
    assert (row.exam.attempt_id, row.exam.level) == (older.pk, 2)


@pytest.mark.django_db
def test_another_employees_attempt_is_ignored(model):
    colleague = UserFactory(roles=["CSR"], position=model.position, team=model.employee.team)
    write_attempt(colleague, {model.items["empathy"]: (5, 5)}, at=NOW - dt.timedelta(days=1))
    row = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"]
    assert row.exam is None and row.gap is None
    assert rows_by_code(gaps.gap_analysis(employee=colleague, now=NOW))["empathy"].exam.level == 5


@pytest.mark.django_db
def test_only_exams_within_the_window_count(model):
    write_attempt(model.employee, {model.items["empathy"]: (5, 5)}, at=NOW - dt.timedelta(days=365))
    write_attempt(
        model.employee,
        {model.items["products"]: (5, 5)},
        at=NOW - dt.timedelta(days=365, seconds=1),
    )
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    assert rows["empathy"].exam.level == 5 and rows["products"].exam is None
    config = CurriculumSettings.current()
    config.exam_evidence_window_days = 400
    config.save()
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    assert rows["products"].exam.level == 5


# --- the combination rule ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rating_decides_the_gap_and_the_exam_is_shown_beside_it(model):
    BehaviourRatingFactory(
        employee=model.employee,
        rater=model.leader,
        item=model.items["empathy"],
        score=4,
        observed_on=D(2026, 1, 5),
    )
    # a newer, weaker exam result does not override the observed behaviour
    write_attempt(model.employee, {model.items["empathy"]: (1, 5)}, at=NOW - dt.timedelta(days=1))
    row = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"]
    assert (row.latest, row.exam.level, row.source, row.level, row.gap) == (4, 1, "rating", 4, 1)


def test_gap_rows_fall_back_to_the_exam_only_without_ratings():
    def pc(code, weight, target):
        item = SimpleNamespace(code=code, pk=code, name=code)
        return SimpleNamespace(item=item, item_id=code, weight=Decimal(weight), target_score=target)

    exam = gaps.ExamEvidence(
        level=2, percent=Decimal("40.0"), correct=2, total=5, at=NOW, attempt_id=1
    )
    rated = SimpleNamespace(
        item_id="a", phase="before", score=5, observed_on=D(2026, 1, 1), created_at=NOW, pk=1
    )
    rows = gaps.gap_rows(
        [pc("a", "0.5", 5), pc("b", "0.1", 5), pc("c", "0.9", 5)], [rated], {"a": exam, "b": exam}
    )
    assert [(r.item.code, r.source, r.gap, r.weighted_gap) for r in rows] == [
        ("b", "exam", 3, Decimal("0.3000")),
        ("a", "rating", 0, Decimal("0.0000")),
        ("c", None, None, None),
    ]


@pytest.mark.django_db
def test_exam_evidence_feeds_the_advice_and_the_remedial_plan(model):
    course = CourseFactory(code="EMP", title="同理心课程", items=[model.items["empathy"]])
    write_attempt(model.employee, {model.items["empathy"]: (2, 5)}, at=NOW - dt.timedelta(days=1))
    analysis = gaps.gap_analysis(employee=model.employee, now=NOW)
    assert [a.course for a in analysis.advice] == [course]
    assert [
        a.course for a in gaps.gap_analyses([model.employee], now=NOW)[model.employee.pk].advice
    ] == [course]
    from promotion.forecast import remedial_plans

    assert remedial_plans([(model.employee, 1)])[(model.employee.pk, 1)].courses == [course]


# --- bounded queries ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queries_do_not_grow_with_competencies_attempts_or_employees(model):
    CurriculumSettings.current()  # the cached settings row
    course = CourseFactory(items=[model.items["empathy"]])  # advice to read in both runs
    write_attempt(model.employee, {model.items["empathy"]: (2, 5)}, at=NOW - dt.timedelta(days=1))
    question = QuestionFactory(course=course)
    write_course_attempt(model.employee, course, [(question, True)], at=NOW - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as small:
        gaps.gap_analysis(employee=model.employee, now=NOW)
    with CaptureQueriesContext(connection) as small_many:
        gaps.gap_analyses([model.employee], now=NOW)
    # more items, attempts, ratings, courses and employees
    others = []
    for n in range(4):
        item = CompetencyItemFactory(code=f"extra{n}")
        PositionCompetencyFactory(position=model.position, item=item, target_score=5)
        extra = CourseFactory(items=[item])
        model.items[item.code] = item
        tagged = QuestionFactory(course=extra)
        tagged.competency_items.set([model.items["selling"], item])
        write_course_attempt(
            model.employee, extra, [(tagged, n % 2 == 0), (question, True)], at=NOW
        )
    for n in range(5):
        write_attempt(
            model.employee,
            {item: (n % 3, 3) for item in model.items.values()},
            at=NOW - dt.timedelta(days=2 + n),
        )
    for _n in range(3):
        other = UserFactory(roles=["CSR"], position=model.position, team=model.employee.team)
        write_attempt(other, {model.items["selling"]: (1, 3)}, at=NOW - dt.timedelta(days=1))
        others.append(other)
    BehaviourRatingFactory(employee=model.employee, rater=model.leader, item=model.items["selling"])
    with CaptureQueriesContext(connection) as large:
        analysis = gaps.gap_analysis(employee=model.employee, now=NOW)
    with CaptureQueriesContext(connection) as large_many:
        gaps.gap_analyses([model.employee, *others], now=NOW)
    assert all(row.exam is not None for row in analysis.rows)
    # position model, ratings, three for the exams (promotion attempts, course attempts'
    # questions, their courses' items), courses + their items, enrolments (the single
    # employee's learning_advice reads the enrolments and courses the same way)
    assert len(large) == len(small) <= 8
    assert len(large_many) == len(small_many) <= 8


# --- the page and the API -------------------------------------------------------------------------


@pytest.fixture
def with_evidence(model):
    write_attempt(
        model.employee,
        {model.items["empathy"]: (2, 5)},
        at=dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC),
    )
    return model


@pytest.mark.django_db
def test_the_gap_page_shows_the_exam_evidence_with_its_date(client, with_evidence):
    client.force_login(with_evidence.leader)
    page = client.get(
        reverse("curriculum:employee_gaps", args=[with_evidence.employee.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Exam evidence" in html and "level 2 · 40.0 % (2/5)" in html and "2026-05-20" in html
    assert "(from the exam)" in html and 'class="exam-mark"' in html and "bar-exam" in html
    assert 'id="exam-rule"' in html and "from 40 %" in html


@pytest.mark.django_db
def test_the_gap_api_carries_the_exam_evidence(with_evidence):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(with_evidence.employee)
    body = api.get(reverse("api-curriculum-my-gaps")).json()
    assert body["employee"] == with_evidence.employee.pk
    empathy = next(row for row in body["rows"] if row["item"]["code"] == "empathy")
    assert empathy["exam_evidence"] == {
        "level": 2,
        "percent": "40.0",
        "correct": 2,
        "total": 5,
        "at": "2026-05-20T17:00:00+08:00",
        "attempt": empathy["exam_evidence"]["attempt"],
        "kind": "promotion",
    }
    assert (empathy["latest_rating"], empathy["source"], empathy["level"], empathy["gap"]) == (
        None,
        "exam",
        2,
        3,
    )
    selling = next(row for row in body["rows"] if row["item"]["code"] == "selling")
    assert selling["exam_evidence"] is None and selling["gap"] is None
    # a team leader of the team may read it, a stranger may not
    url = reverse("api-curriculum-employee-gaps", args=[with_evidence.employee.pk])
    api.force_authenticate(with_evidence.leader)
    assert api.get(url).status_code == 200
    api.force_authenticate(UserFactory(roles=["Team leader", "CSR"]))
    assert api.get(url).status_code == 403
    api.force_authenticate(None)
    assert api.get(url).status_code in (401, 403)
