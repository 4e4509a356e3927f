"""The role home panels over the API (accounts/dashboard_api.py): the selectors' numbers on
known data, the role each one needs, and queries that do not grow with what waits."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard_csr import note_own_write
from accounts.tests.factories import UserFactory
from casebase.services.study import case_mark_studied
from curriculum.tests import test_dashboard as training_rows
from curriculum.tests.factories import SurveyResponseFactory
from knowledgebase.tests.factories import CategoryFactory, EntryFactory
from points.tests import test_dashboard as operations_rows
from promotion.tests import test_dashboard as hr_rows
from promotion.tests.factories import earn_points, make_training_cases
from review import services as review_services
from review.models import Proposal
from review.tests.factories import committee_member
from review.tests.test_experts import approve, revision

pytestmark = pytest.mark.django_db
CSR, COMMITTEE, TRAINING, HR, OPERATIONS = (
    f"/api/dashboard/{name}/" for name in ("csr", "committee", "training", "hr", "operations")
)
ALL = [CSR, COMMITTEE, TRAINING, HR, OPERATIONS]
# Frozen in the middle of the month the row helpers of the selectors' own tests fill.
JUNE_15 = datetime(2026, 6, 15, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


def get(api, user, url):
    api.force_authenticate(user)
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()


# --- known data ------------------------------------------------------------------------


def test_the_csr_panel_on_known_data(api, csr):
    # given: a level-0 CSR, three level-1 training cases (one studied), 60 points, a proposal
    studied, *unstudied = make_training_cases(1, 3)
    case_mark_studied(employee=csr, case_id=studied.pk)
    earn_points(csr, 60, "api")
    waiting = revision(EntryFactory(), proposer=csr)
    # when
    data = get(api, csr, CSR)
    # then
    assert data["level"]["number"] == 0 and data["next_level"]["number"] == 1
    codes = [item["code"] for item in data["checklist"]]
    assert {"points", "training_cases", "exam"} <= set(codes)
    assert data["met"] == sum(item["met"] for item in data["checklist"]) and data["total"] == len(
        codes
    )
    assert next(item for item in data["checklist"] if item["code"] == "exam")["percent"] == 0
    assert {case["id"] for case in data["next_cases"]} == {case.pk for case in unstudied}
    assert data["study_level"] == 1 and data["more_cases"] is False
    assert data["balance"] == 60
    assert [(p["amount"], p["rule"]) for p in data["points"]] == [(20, "committee_case_review")] * 3
    assert data["proposals"] == [
        {
            "id": waiting.pk,
            "kind": "kb_revision",
            "kind_label": "Knowledge-base revision",
            "status": "open",
            "approvals": 0,
            "rejections": 0,
        }
    ]
    assert (
        data["retention_period"] is None
        and data["retention"] is None
        and data["retention_near"] is False
    )


def test_the_committee_panel_on_known_data(api, training_manager):
    # given: a member, expert of one category; three proposals waiting for them, one voted on
    member = committee_member()
    category = CategoryFactory()
    review_services.expertise_assign(member=member, category=category, assigned_by=training_manager)
    oldest, newer, mine = (
        revision(EntryFactory()),
        revision(EntryFactory()),
        revision(EntryFactory(category=category)),
    )
    Proposal.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=3))
    approve(revision(EntryFactory()), member)
    # when
    data = get(api, member, COMMITTEE)
    # then: their category first, then the oldest
    assert [p["id"] for p in data["waiting"]] == [mine.pk, oldest.pk, newer.pk]
    assert [p["yours"] for p in data["waiting"]] == [True, False, False]
    assert (data["waiting_count"], data["yours_count"], data["votes_this_month"]) == (3, 1, 1)
    assert (
        data["is_member"] is True and data["waiting"][0]["kind_label"] == "Knowledge-base revision"
    )
    oldest.refresh_from_db()
    assert datetime.fromisoformat(data["oldest_at"]) == oldest.created_at


def test_the_training_panel_on_known_data(api, training_manager):
    # given: this month two surveys (one with a 2) and last month one; one failed exam of three
    training_rows.month_of_rows()
    SurveyResponseFactory(
        employee=UserFactory(roles=["CSR"]), submitted_at=JUNE_15, content_score=3
    )
    # when
    with time_machine.travel(JUNE_15, tick=False):
        data = get(api, training_manager, TRAINING)
    # then
    assert (
        data["surveys_this_month"],
        data["low_surveys_this_month"],
        data["failed_exams_this_month"],
    ) == (3, 1, 1)
    assert len(data["open_rounds"]) == 1 and data["open_rounds"][0]["position"]
    assert data["levels_short"] and all(
        level["pool"] < level["pool_needed"] for level in data["levels_short"]
    )


def test_the_hr_panel_on_known_data(api, hr):
    hr_rows.month_of_rows(2)
    with time_machine.travel(JUNE_15, tick=False):
        data = get(api, hr, HR)
    assert (data["month_start"], data["month_end"]) == ("2026-06-01", "2026-06-30")
    assert [data[key]["count"] for key in ("promoted", "demoted", "due_retest")] == [2, 2, 2]
    assert data["demoted"]["url"] == (
        reverse("promotion:rosters") + "?event=demoted&date_from=2026-06-01&date_to=2026-06-30"
    )


def test_the_operations_panel_on_known_data(api, ops_manager):
    operations_rows.waiting_rows(2)
    data = get(api, ops_manager, OPERATIONS)
    assert {item["code"]: item["count"] for item in data["items"]} == {
        "volunteer": 2,
        "rationalisation": 2,
        "qc": 2,
        "applications": 2,
        "calls": 2,
        "reflections": 2,
        "catalogue": None,
        "kb": None,
        "review_flags": None,
    }
    assert next(item for item in data["items"] if item["code"] == "calls")["url"] == reverse(
        "casebase:calls"
    )


# --- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        (CSR, "csr", ["hr", "ops_manager"]),
        (COMMITTEE, "reviewer", ["csr", "hr"]),
        (TRAINING, "training_manager", ["csr", "hr", "ops_manager"]),
        (HR, "hr", ["csr", "reviewer", "ops_manager"]),
        (OPERATIONS, "ops_manager", ["csr", "reviewer", "hr"]),
    ],
)
def test_each_panel_answers_its_role_only(api, request, url, allowed, refused):
    get(api, request.getfixturevalue(allowed), url)
    for name in refused:
        api.force_authenticate(request.getfixturevalue(name))
        response = api.get(url)
        assert response.status_code == 403, (url, name)
        assert response.json() == {
            "detail": "You do not have permission to perform this action.",
            "code": "permission_denied",
        }


@pytest.mark.parametrize("url", ALL)
def test_the_panels_need_a_login_and_are_read_only(api, url):
    response = api.get(url)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)(url, {}).status_code == 405, (url, method)


def test_the_panels_are_documented_in_the_schema(api, csr):
    api.force_authenticate(csr)
    paths = api.get("/api/schema/?format=json").json()["paths"]
    for url in ALL:
        assert list(paths[url]) == ["get"], url
        assert "200" in paths[url]["get"]["responses"] and "403" in paths[url]["get"]["responses"]


# --- queries -----------------------------------------------------------------------------


def _rows(n: int, member) -> None:
    for _ in range(n):
        revision(EntryFactory())
        revision(EntryFactory(), proposer=member)  # the member's own proposals (the CSR panel)
    hr_rows.month_of_rows(n)
    operations_rows.waiting_rows(n)
    training_rows.month_of_rows(n)
    earn_points(member, 20 * n, f"rows{n}")


def _measure(api, url, admin) -> None:
    if (
        url == CSR
    ):  # the panel is cached per employee: an own write makes this call compute it again
        note_own_write(admin.pk)
    return api.get(url)


def test_the_panels_queries_do_not_grow_with_what_waits(api, django_assert_num_queries):
    # given a superuser (every panel) who is also a committee member and a CSR
    admin = committee_member(staff_id="ROOT01", is_superuser=True, is_staff=True)
    api.force_authenticate(admin)
    _rows(1, admin)
    counts = {}
    for url in ALL:
        api.get(url)  # warms the cached settings rows
        with CaptureQueriesContext(connection) as first:
            assert _measure(api, url, admin).status_code == 200
        counts[url] = len(first.captured_queries)
    # when four times as much waits
    _rows(4, admin)
    # then each panel makes as many queries as before
    for url in ALL:
        with django_assert_num_queries(counts[url]):
            data = _measure(api, url, admin).json()
        if url == COMMITTEE:
            assert data["waiting_count"] == 5 and len(data["waiting"]) == 5
        if url == CSR:
            assert len(data["proposals"]) == 5 and len(data["points"]) == 5
        if url == OPERATIONS:
            assert {item["code"]: item["count"] for item in data["items"]}["volunteer"] == 5
