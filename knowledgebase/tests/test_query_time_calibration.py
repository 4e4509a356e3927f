"""The calibration page: recent results against the bands and the seed's reference.

The data set is small and made by hand so every number below is worked out in the comments.
All results are 10-task tests, so seconds per task = total ÷ 10.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.navigation import navigation_for
from accounts.tests.factories import UserFactory
from knowledgebase import services
from knowledgebase.models import QueryTestSession, QueryTimeTest
from knowledgebase.selectors import _months_before, nearest_rank, query_time_calibration

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
D = Decimal
# Reference employees (hired 2025-01-01, ≥ 3 months): their one result in the window, s/task.
# Sorted: 1.05 1.10 1.15 1.25 1.32 1.38 1.45 1.48 1.60 1.90 (n = 10)
REFERENCE = [
    D("1.05"),
    D("1.10"),
    D("1.15"),
    D("1.25"),
    D("1.32"),
    D("1.38"),
    D("1.45"),
    D("1.48"),
    D("1.60"),
    D("1.90"),
]


def result(employee, *, per_task: Decimal, days_ago: float) -> QueryTestSession:
    return services.query_test_result_backfill(
        employee=employee,
        finished_at=NOW - timedelta(days=days_ago),
        task_count=10,
        elapsed_seconds=per_task * 10,
    )


@pytest.fixture
def data_set():
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    employees = []
    for n, per_task in enumerate(REFERENCE):
        employee = UserFactory(staff_id=f"REF{n:02d}", roles=["CSR"], hire_date=date(2025, 1, 1))
        result(employee, per_task=per_task, days_ago=10)
        employees.append(employee)
    result(employees[0], per_task=D("2.00"), days_ago=100)  # before the 90-day window: ignored
    # K: fast but hired a month ago (not in the reference group)
    result(
        UserFactory(staff_id="NEW01", roles=["CSR"], hire_date=date(2026, 5, 30)),
        per_task=D("1.00"),
        days_ago=3,
    )
    # L: no hire date (not in the reference group); latest result 1.70 counts, not the older 1.00
    unknown = UserFactory(staff_id="UNK01", roles=["CSR"], hire_date=None)
    result(unknown, per_task=D("1.00"), days_ago=20)
    result(unknown, per_task=D("1.70"), days_ago=5)
    # M: only an old result; N: a test still running — neither is in the window's results
    result(
        UserFactory(staff_id="OLD01", roles=["CSR"], hire_date=date(2020, 1, 1)),
        per_task=D("1.10"),
        days_ago=95,
    )
    QueryTestSession.objects.create(
        employee=UserFactory(staff_id="RUN01", roles=["CSR"]),
        started_at=NOW - timedelta(minutes=1),
        task_count=10,
    )
    return employees


def test_calibration_numbers_of_a_hand_made_data_set(data_set):
    calibration = query_time_calibration(days=90, now=NOW)

    # 10 reference results + K + L's two = 13 results of 12 employees
    assert (calibration.result_count, calibration.employee_count) == (13, 12)
    # Per task: 1.00 1.00 1.05 1.10 1.15 1.25 1.32 1.38 1.45 1.48 1.60 1.70 1.90, in 0.1 s bins
    # (lower, upper]
    assert [(b.lower, b.upper, b.count) for b in calibration.histogram] == [
        (D("0.9"), D("1.0"), 2),
        (D("1.0"), D("1.1"), 2),
        (D("1.1"), D("1.2"), 1),
        (D("1.2"), D("1.3"), 1),
        (D("1.3"), D("1.4"), 2),
        (D("1.4"), D("1.5"), 2),
        (D("1.5"), D("1.6"), 1),
        (D("1.6"), D("1.7"), 1),
        (D("1.7"), D("1.8"), 0),
        (D("1.8"), D("1.9"), 1),
    ]
    # Counting results of the 12 employees per band: ≤1.20: 1.05 1.10 1.15 + K 1.00 = 4 (33.3 %);
    # ≤1.30: 1.25 = 1 (8.3 %); ≤1.40: 1.32 1.38 = 2; ≤1.50: 1.45 1.48 = 2; slower: 1.60 1.90 + L
    # 1.70 = 3
    assert [
        (b.allowed_level, b.slower_than, b.at_most, b.employees, b.percent)
        for b in calibration.bands
    ] == [
        (5, None, D("1.20"), 4, D("33.3")),
        (4, D("1.20"), D("1.30"), 1, D("8.3")),
        (2, D("1.30"), D("1.40"), 2, D("16.7")),
        (1, D("1.40"), D("1.50"), 2, D("16.7")),
        (0, D("1.50"), None, 3, D("25.0")),
    ]
    # Reference group: hired on or before 2026-03-30, 10 employees; ≤ 1.50: 8 of 10; ≤ 1.20: 3 of 10
    assert (
        calibration.reference_months,
        calibration.reference_hired_on_or_before,
        calibration.reference_count,
    ) == (3, date(2026, 3, 30), 10)
    assert [
        (c.level, c.limit, c.within, c.observed_percent, c.target_percent)
        for c in calibration.reference
    ] == [(1, D("1.50"), 8, D("80.0"), 70), (5, D("1.20"), 3, D("30.0"), 15)]
    # Nearest rank: 70 % of 10 → 7th value 1.45; 15 % of 10 → 2nd value (⌈1.5⌉) 1.10.
    # Levels 3–4 and 2 evenly between: step 0.35 / 3 → 1.2167 → 1.22 and 1.3333 → 1.33
    assert [(s.allowed_level, s.current, s.suggested) for s in calibration.suggestions] == [
        (5, D("1.20"), D("1.10")),
        (4, D("1.30"), D("1.22")),
        (2, D("1.40"), D("1.33")),
        (1, D("1.50"), D("1.45")),
    ]


def test_the_counting_rule_decides_which_result_of_an_employee_is_in_the_bands(data_set):
    # given: best within 30 days — L's 1.00 (20 days ago) beats the later 1.70
    QueryTimeTest.objects.filter(pk=1).update(counting_rule="best_recent")
    # when
    calibration = query_time_calibration(days=90, now=NOW)
    # then: band 5 gains L, the slowest band loses it; the histogram still shows every result
    assert [b.employees for b in calibration.bands] == [5, 1, 2, 2, 2]
    assert calibration.result_count == 13


def test_a_shorter_window_leaves_older_results_out(data_set):
    # 7 days: K (3 days ago) and L's 1.70 (5 days ago) only
    calibration = query_time_calibration(days=7, now=NOW)
    assert (calibration.result_count, calibration.employee_count, calibration.reference_count) == (
        2,
        2,
        0,
    )
    assert [s.suggested for s in calibration.suggestions] == [None, None, None, None]
    assert [c.observed_percent for c in calibration.reference] == [None, None]


def test_no_results_gives_an_empty_calibration_and_a_page_that_says_so(client, training_manager):
    calibration = query_time_calibration(days=90, now=NOW)
    assert (calibration.result_count, calibration.histogram) == (0, [])
    assert [b.percent for b in calibration.bands] == [None] * 5
    client.force_login(training_manager)
    assert (
        "No finished results in this window."
        in client.get(reverse("knowledgebase:query_time_calibration")).content.decode()
    )


def test_calibration_needs_two_queries_whatever_the_number_of_results(
    data_set, django_assert_num_queries
):
    QueryTimeTest.current()  # the settings row is read once, then from the cache
    with django_assert_num_queries(2):
        query_time_calibration(days=90, now=NOW)
    for n in range(30):
        result(
            UserFactory(roles=["CSR"], hire_date=date(2024, 1, 1)),
            per_task=D("1.3") + D(n) / 100,
            days_ago=2,
        )
    with django_assert_num_queries(2):
        assert query_time_calibration(days=90, now=NOW).result_count == 43


@pytest.mark.parametrize(
    "values, percent, expected",
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 70, 7),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 15, 2),
        ([5], 70, 5),
        ([1, 2, 3], 70, 3),
        ([1, 2, 3], 15, 1),
    ],
)
def test_nearest_rank_is_the_smallest_value_that_the_share_is_at_most(values, percent, expected):
    assert nearest_rank([D(v) for v in values], percent) == D(expected)


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 6, 30), 3, date(2026, 3, 30)),
        (date(2026, 5, 31), 3, date(2026, 2, 28)),
        (date(2026, 2, 15), 3, date(2025, 11, 15)),
    ],
)
def test_months_of_service_count_calendar_months(day, months, expected):
    assert _months_before(day, months) == expected


# --- page and API ----------------------------------------------------------------------------


def test_training_manager_sees_the_calibration_page_with_chart_and_numbers(
    client, training_manager, data_set
):
    client.force_login(training_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("knowledgebase:query_time_calibration"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<rect class="bar"') == 9  # ten bins, one empty
    assert html.count('class="band-line"') == 4
    assert "80.0 % (8)" in html and "30.0 % (3)" in html
    assert [
        (s.allowed_level, s.suggested) for s in response.context["calibration"].suggestions
    ] == [(5, D("1.10")), (4, D("1.22")), (2, D("1.33")), (1, D("1.45"))]
    assert (
        "Results finished 2026-04-01 12:00 – 2026-06-30 12:00: 13 results of 12 employees." in html
    )


def test_the_page_window_is_chosen_and_validated(client, training_manager, data_set):
    client.force_login(training_manager)
    with time_machine.travel(NOW, tick=False):
        week = client.get(reverse("knowledgebase:query_time_calibration"), {"days": 7})
        bad = client.get(reverse("knowledgebase:query_time_calibration"), {"days": 0})
    assert week.context["calibration"].result_count == 2
    assert bad.status_code == 400
    assert bad.context["form"].errors["days"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert bad.context["calibration"].days == 90


@pytest.mark.parametrize("role", ["csr", "hr", "reviewer", "team_leader"])
def test_other_roles_get_403_on_the_calibration_page_and_api(client, api, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(reverse("knowledgebase:query_time_calibration")).status_code == 403
    api.force_authenticate(user)
    assert api.get(reverse("api-kb-query-calibration")).status_code == 403


def test_anonymous_users_cannot_read_the_calibration(client, api):
    assert client.get(reverse("knowledgebase:query_time_calibration")).status_code in (302, 403)
    assert api.get(reverse("api-kb-query-calibration")).status_code in (401, 403)


def test_the_api_returns_the_same_numbers(api, training_manager, data_set):
    api.force_authenticate(training_manager)
    with time_machine.travel(NOW, tick=False):
        response = api.get(reverse("api-kb-query-calibration"))
    assert response.status_code == 200
    body = response.json()
    assert (
        body["days"],
        body["result_count"],
        body["employee_count"],
        body["reference_count"],
    ) == (90, 13, 12, 10)
    assert body["histogram"][0] == {"lower": "0.9", "upper": "1.0", "count": 2}
    assert body["bands"][0] == {
        "allowed_level": 5,
        "slower_than": None,
        "at_most": "1.20",
        "employees": 4,
        "percent": "33.3",
    }
    assert body["reference"] == [
        {
            "level": 1,
            "limit": "1.50",
            "target_percent": 70,
            "within": 8,
            "observed_percent": "80.0",
        },
        {
            "level": 5,
            "limit": "1.20",
            "target_percent": 15,
            "within": 3,
            "observed_percent": "30.0",
        },
    ]
    assert body["suggestions"] == [
        {"allowed_level": 5, "current": "1.20", "suggested": "1.10"},
        {"allowed_level": 4, "current": "1.30", "suggested": "1.22"},
        {"allowed_level": 2, "current": "1.40", "suggested": "1.33"},
        {"allowed_level": 1, "current": "1.50", "suggested": "1.45"},
    ]


@pytest.mark.parametrize(
    "days, message",
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("731", "Ensure this value is less than or equal to 730."),
        ("abc", "A valid integer is required."),
    ],
)
def test_a_bad_window_is_a_400_with_a_field_message(api, training_manager, days, message):
    api.force_authenticate(training_manager)
    response = api.get(reverse("api-kb-query-calibration"), {"days": days})
    assert response.status_code == 400
    assert response.json()["fields"]["days"] == [message]


def test_the_api_is_read_only(api, training_manager):
    api.force_authenticate(training_manager)
    assert api.post(reverse("api-kb-query-calibration"), [1, 2], format="json").status_code == 405


def test_the_calibration_page_is_in_the_training_managers_menu_only(training_manager, csr):
    url = reverse("knowledgebase:query_time_calibration")
    assert url in [item["url"] for item in navigation_for(training_manager)]
    assert url not in [item["url"] for item in navigation_for(csr)]
