"""The training manager's home panel (curriculum.selectors.training_dashboard)."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from casebase.models import LevelCap
from casebase.tests.factories import seed_case
from competency.tests.factories import make_round
from curriculum.models import CurriculumSettings, ExamAttempt
from curriculum.selectors import training_dashboard
from curriculum.tests.factories import CourseFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))
LAST_MONTH = NOW - timedelta(days=20)
# library health (its own bounded queries), the open rounds, the surveys, the failed exams
QUERIES = 9


def attempt(*, passed: bool, at: datetime, course=None):
    return ExamAttempt.objects.create(
        employee=UserFactory(roles=["CSR"]),
        course=course or CourseFactory(),
        status=ExamAttempt.Status.SUBMITTED,
        submitted_at=at,
        pass_mark_percent=60,
        correct_count=1,
        score_percent=Decimal("50" if not passed else "90"),
        passed=passed,
    )


_serial = itertools.count(100)


def month_of_rows(n: int = 1):
    for _ in range(n):
        SurveyResponseFactory(employee=UserFactory(roles=["CSR"]), submitted_at=NOW)
        SurveyResponseFactory(
            employee=UserFactory(roles=["CSR"]), submitted_at=NOW, usefulness_score=2
        )
        SurveyResponseFactory(
            employee=UserFactory(roles=["CSR"]), submitted_at=LAST_MONTH, content_score=1
        )
        attempt(passed=False, at=NOW)
        attempt(passed=True, at=NOW)
        attempt(passed=False, at=LAST_MONTH)
        make_round()
        make_round(open_=False)
        seed_case(next(_serial), level=2)


def test_training_dashboard_on_known_data():
    # given: one level-2 test case in a category capped at 1 at level 2, and a second one over the
    # cap
    first = seed_case(1, level=2)
    LevelCap.objects.create(level=2, category=first.category, cap=1)
    seed_case(2, level=2)
    SurveyResponseFactory(employee=UserFactory(roles=["CSR"]), submitted_at=NOW)
    SurveyResponseFactory(employee=UserFactory(roles=["CSR"]), submitted_at=NOW, format_score=2)
    SurveyResponseFactory(
        employee=UserFactory(roles=["CSR"]), submitted_at=LAST_MONTH, content_score=1
    )
    attempt(passed=False, at=NOW)
    attempt(passed=True, at=NOW)
    attempt(passed=False, at=LAST_MONTH)
    opened = make_round()
    make_round(open_=False)
    # when
    dash = training_dashboard(now=NOW)
    # then
    assert dash.over_cap == 1
    assert [r.pk for r in dash.open_rounds] == [opened.pk]
    assert (dash.surveys_this_month, dash.low_surveys_this_month, dash.failed_exams_this_month) == (
        2,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("setting", "flagged"), [(1, [1]), (2, [1, 2]), (3, [1, 2, 3]), (5, [1, 2, 3, 4, 5])]
)
def test_the_low_survey_score_setting_decides_which_surveys_are_flagged(setting, flagged):
    # given: this month, one survey whose lowest score is 1, one whose lowest is 2, … up to 5
    for lowest in range(1, 6):
        SurveyResponseFactory(
            employee=UserFactory(roles=["CSR"]),
            submitted_at=NOW,
            content_score=5,
            format_score=5,
            usefulness_score=lowest,
        )
    # when the training manager's admin sets the threshold
    CurriculumSettings.objects.filter(pk=1).update(low_survey_score=setting)
    dash = training_dashboard(now=NOW)
    # then the surveys with a score at or below it are the low ones
    assert (dash.surveys_this_month, dash.low_surveys_this_month) == (5, len(flagged))


def test_the_low_survey_score_defaults_to_2_and_stays_within_1_to_5():
    row = CurriculumSettings.current()
    assert row.pk == 1 and row.low_survey_score == 2  # seeded by the migration
    for bad in (0, 6):
        row.low_survey_score = bad
        with pytest.raises(ValidationError, match="low_survey_score"):
            row.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            CurriculumSettings.objects.filter(pk=1).update(low_survey_score=bad)


def settings_form(**changes) -> dict:
    """The admin form of the curriculum settings as it stands, with ``changes``."""
    config = CurriculumSettings.current()
    fields = [f.name for f in CurriculumSettings._meta.fields if f.editable and not f.primary_key]
    return {name: getattr(config, name) for name in fields} | changes


def test_an_admin_changes_the_low_survey_score(admin_client):
    url = reverse("admin:curriculum_curriculumsettings_change", args=[1])
    assert admin_client.get(url).status_code == 200
    assert (
        admin_client.post(url, settings_form(low_survey_score=6)).status_code == 200
    )  # the form refuses it
    assert CurriculumSettings.current().low_survey_score == 2
    assert admin_client.post(url, settings_form(low_survey_score=3)).status_code == 302
    assert CurriculumSettings.current().low_survey_score == 3


def test_training_dashboard_reports_levels_whose_exam_pool_is_short():
    dash = training_dashboard(now=NOW)  # an empty library: no level can hold an exam
    assert dash.levels_short and all(lv.pool == 0 and lv.pool_short > 0 for lv in dash.levels_short)


def test_training_dashboard_queries_are_constant(django_assert_num_queries):
    month_of_rows()
    training_dashboard(now=NOW)  # warms the cached settings rows
    with django_assert_num_queries(QUERIES):
        training_dashboard(now=NOW)
    month_of_rows(4)
    with django_assert_num_queries(QUERIES):
        dash = training_dashboard(now=NOW)
    assert len(dash.open_rounds) == 5 and dash.failed_exams_this_month == 5


def test_home_shows_the_training_panel(client, training_manager):
    make_round()
    client.force_login(training_manager)
    html = client.get(reverse("home")).content.decode()
    assert 'id="panel-training"' in html and 'id="training-rounds"' in html
    assert reverse("casebase:health") in html
