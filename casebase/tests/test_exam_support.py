import random

import pytest

from casebase import selectors
from casebase.models import Case, CaseEvent, CaseStudy
from casebase.selectors import decision_points, training_cases_studied
from casebase.services.exam_use import case_record_exam_use
from casebase.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_exam_draw_uses_only_active_test_cases_of_the_level():
    tests = CaseFactory.create_batch(4, level=2, split="test")
    CaseFactory(level=2, split="training")
    CaseFactory(level=3, split="test")
    retired = CaseFactory(level=2, split="test")
    Case.objects.filter(pk=retired.pk).update(status="history")
    drawn = selectors.test_cases_for_exam(2, 3, random.Random(7))
    assert len(drawn) == 3 and {c.pk for c in drawn} <= {c.pk for c in tests}
    assert (
        selectors.test_cases_for_exam(2, 3, random.Random(7)) == drawn
    )  # reproducible with a seeded rng
    assert len(selectors.test_cases_for_exam(2, 20)) == 4
    assert selectors.test_cases_for_exam(5, 10) == []


def test_training_cases_studied_counts_active_training_cases_of_the_level(csr):
    a, b = CaseFactory.create_batch(2, level=1)
    other_level = CaseFactory(level=2)
    for case in (a, b, other_level):
        CaseStudy.objects.create(case=case, employee=csr)
    Case.objects.filter(pk=b.pk).update(status="history")
    assert list(training_cases_studied(csr, 1)) == [a]


def test_decision_points_name_the_best_reply_and_its_main_rationale():
    case = CaseFactory()
    points = decision_points(case)
    assert len(points) == 1
    point = points[0]
    assert point.customer.parent_id is None and len(point.replies) == 2
    assert point.best.main_rationale() == "先安抚情绪"


def test_recording_an_exam_use_raises_classicness():
    case = CaseFactory()
    before = case.classicness()
    case_record_exam_use(case_id=case.pk, exam_ref="exam:1")
    case.refresh_from_db()
    assert case.exam_uses == 1 and case.classicness() == before + 2
    assert CaseEvent.objects.filter(case=case, kind="exam_use").count() == 1
