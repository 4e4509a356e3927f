"""bench_population: the page-test population is written once, consistent with the models'
rules, and reused on the next run."""

import io
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Centre, Team, User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseNode, CaseRating, CaseStudy
from curriculum.models import Enrolment
from curriculum.tests.factories import MapCourseFactory
from points.models import PointsEntry
from promotion.models import PromotionEvent, RetentionPeriod

pytestmark = pytest.mark.django_db

TINY = {
    "centres": 1,
    "csrs": 20,
    "team_size": 15,
    "entries": 10,
    "studies": 6,
    "cases_per_level": 4,
    "batch": 7,
    "force": True,
}


def _run(**options) -> str:
    out = io.StringIO()
    call_command("bench_population", stdout=out, **{**TINY, **options})
    return out.getvalue()


def test_the_population_refuses_a_database_without_bench_in_its_name(monkeypatch):
    monkeypatch.setattr(
        "config.bench.settings", SimpleNamespace(DATABASES={"default": {"NAME": "cc_production"}})
    )
    with pytest.raises(CommandError, match="use a \\*bench\\* database or --force"):
        call_command("bench_population", centres=1, csrs=20)
    assert not User.objects.filter(staff_id__startswith="POP").exists()


def test_a_tiny_population_has_a_consistent_history_and_is_reused():
    login = UserFactory(staff_id="HB0001", level=0, roles=[Role.CSR])
    MapCourseFactory()
    MapCourseFactory()
    # when
    first = _run()
    # then: 20 CSRs in teams of at most 15, in the CSR role, on the ladder
    csrs = User.objects.filter(staff_id__startswith="POP")
    assert csrs.count() == 20 and "generated the population" in first
    assert Centre.objects.filter(code__startswith="pop-").count() == 1
    assert sorted(Counter(csrs.values_list("team", flat=True)).values()) == [5, 15]
    assert csrs.filter(groups__name=Role.CSR).count() == 20
    assert all(0 <= level <= 5 for level in csrs.values_list("level", flat=True))
    # the promotions up to each level, one retention period for the latest
    promoted = csrs.exclude(level=0)
    assert PromotionEvent.objects.filter(employee__in=csrs).count() == sum(u.level for u in csrs)
    assert RetentionPeriod.objects.filter(employee__in=csrs).count() == promoted.count()
    for period in RetentionPeriod.objects.filter(employee__in=csrs).select_related(
        "employee", "promotion"
    ):
        assert period.level == period.employee.level == period.promotion.to_level
        assert period.starts_at < period.retest_opens_at < period.due_at
    # ledger entries from the point rules, each amount within its rule
    entries = PointsEntry.objects.filter(employee__in=csrs).select_related("rule")
    assert entries.count() >= 20 * 6
    assert all(e.rule.allows(e.amount) and e.amount != 0 for e in entries)
    # the fuller library: 4 training cases per level, each a question with a best and a weaker reply
    generated = Case.objects.filter(title__startswith="POPCASE")
    assert generated.count() == 20 and set(generated.values_list("split", flat=True)) == {
        "training"
    }
    assert CaseNode.objects.filter(case__in=generated).count() == 60
    assert CaseNode.objects.filter(case__in=generated, is_best=True).count() == 20
    # studies of cases up to one level above the CSR's own, ratings only of studied cases
    studies = CaseStudy.objects.filter(employee__in=csrs).select_related("case", "employee")
    assert studies.exists()
    assert all(s.case.level <= max(s.employee.level + 1, 1) for s in studies)
    studied = set(studies.values_list("employee", "case"))
    assert (
        set(CaseRating.objects.filter(employee__in=csrs).values_list("employee", "case")) <= studied
    )
    assert Enrolment.objects.filter(employee__in=csrs).exists()
    # the CSR the page test logs in as got a history too
    assert PointsEntry.objects.filter(employee=login).count() == 10
    assert CaseStudy.objects.filter(employee=login).count() == 4  # all of level 1, fewer than 6

    # when: run again with the same size
    pks = set(csrs.values_list("pk", flat=True))
    counts = (
        PointsEntry.objects.count(),
        CaseStudy.objects.count(),
        Case.objects.count(),
        Team.objects.count(),
    )
    second = _run()
    # then: everything is reused, nothing added
    assert "reusing 20 generated CSRs and 20 generated cases" in second
    assert set(User.objects.filter(staff_id__startswith="POP").values_list("pk", flat=True)) == pks
    assert (
        PointsEntry.objects.count(),
        CaseStudy.objects.count(),
        Case.objects.count(),
        Team.objects.count(),
    ) == counts


def test_another_size_replaces_the_population_and_keeps_the_login_ledger():
    login = UserFactory(staff_id="HB0001", level=0, roles=[Role.CSR])
    _run()
    login_entries = set(PointsEntry.objects.filter(employee=login).values_list("pk", flat=True))
    # when
    _run(csrs=10, cases_per_level=3)
    # then: the earlier CSRs and cases are gone with their rows; the login's ledger stays
    # (append-only)
    csrs = User.objects.filter(staff_id__startswith="POP")
    assert csrs.count() == 10 and Case.objects.filter(title__startswith="POPCASE").count() == 15
    assert Team.objects.filter(centre__code__startswith="pop-").count() == 1
    assert PointsEntry.objects.exclude(employee__in=[*csrs, login]).count() == 0
    assert (
        set(PointsEntry.objects.filter(employee=login).values_list("pk", flat=True))
        == login_entries
    )
    assert CaseStudy.objects.filter(employee=login, case__title__startswith="POPCASE").exists()
    # when: cleaned up
    call_command("bench_population", cleanup=True, force=True, stdout=io.StringIO())
    assert not User.objects.filter(staff_id__startswith="POP").exists()
    assert not Case.objects.filter(title__startswith="POPCASE").exists()
    assert not Centre.objects.filter(code__startswith="pop-").exists()
