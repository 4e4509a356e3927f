import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from accounts.tests.factories import CentreFactory, TeamFactory, UserFactory
from promotion import rosters
from promotion.models import PromotionEvent
from promotion.rosters import Event, RosterFilters
from promotion.services.levels import employee_demote, promotion_history_backfill

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def history(user, *levels_at: tuple[int, datetime], retention: bool = False) -> None:
    for to_level, at in levels_at:
        promotion_history_backfill(
            employee=user,
            kind="promoted",
            from_level=to_level - 1,
            to_level=to_level,
            at=at,
            with_retention=retention,
        )


def people(n: int, team) -> list:
    users = []
    for i in range(n):
        user = UserFactory(centre=team.centre, team=team, level=1)
        history(user, (1, datetime(2026, 3, 1 + i % 20, 9, tzinfo=TZ)), retention=True)
        users.append(user)
    return users


def test_promoted_roster_filters_by_centre_team_period_and_level():
    # given
    team = TeamFactory()
    other = TeamFactory(centre=CentreFactory())
    inside = UserFactory(centre=team.centre, team=team, level=2)
    history(
        inside, (1, datetime(2026, 1, 5, 9, tzinfo=TZ)), (2, datetime(2026, 6, 1, 9, tzinfo=TZ))
    )
    outsider = UserFactory(centre=other.centre, team=other, level=1)
    history(outsider, (1, datetime(2026, 6, 2, 9, tzinfo=TZ)))
    # when
    rows = list(
        rosters.roster_rows(
            RosterFilters(
                event=Event.PROMOTED,
                centre_id=team.centre_id,
                date_from=date(2026, 5, 1),
                date_to=date(2026, 6, 30),
            )
        )
    )
    # then
    assert [(r[0], r[4], r[5]) for r in rows] == [(inside.staff_id, 1, 2)]
    assert len(list(rosters.roster_rows(RosterFilters(event=Event.PROMOTED, level=1)))) == 2
    assert (
        len(list(rosters.roster_rows(RosterFilters(event=Event.PROMOTED, team_id=other.pk)))) == 1
    )


def test_due_for_retest_and_current_level_rosters():
    team = TeamFactory()
    due = UserFactory(centre=team.centre, team=team, level=1)
    history(due, (1, datetime(2026, 1, 10, 9, tzinfo=TZ)), retention=True)
    UserFactory(centre=team.centre, team=team, level=0)
    rows = list(
        rosters.roster_rows(
            RosterFilters(
                event=Event.DUE_RETEST, date_from=date(2026, 12, 1), date_to=date(2026, 12, 31)
            )
        )
    )
    assert [(r[0], r[4], r[7]) for r in rows] == [(due.staff_id, 1, "2026-12-11 09:00")]
    assert (
        list(rosters.roster_rows(RosterFilters(event=Event.DUE_RETEST, date_to=date(2026, 11, 1))))
        == []
    )
    current = list(rosters.roster_rows(RosterFilters(event=Event.CURRENT_LEVEL, team_id=team.pk)))
    assert [(r[0], r[4], r[5], r[6]) for r in current][0] == (
        due.staff_id,
        1,
        "undergraduate",
        "2026-01-10 09:00",
    )  # English is active
    assert len(current) == 2


@pytest.mark.parametrize("event", Event.CHOICES)
def test_csv_and_xlsx_exports_hold_identical_rows(event):
    # given
    users = people(7, TeamFactory())
    if event == Event.DEMOTED:
        for user in users:
            employee_demote(employee=user, reason='服务事故, "引号"\n换行')
    filters = RosterFilters(event=event)
    # when
    csv_rows = list(csv.reader(io.StringIO(rosters.roster_csv(filters).decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(rosters.roster_xlsx(filters)), read_only=True).active
    xlsx_rows = [
        [
            "" if v is None else v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else str(v)
            for v in row
        ]
        for row in sheet.iter_rows(values_only=True)
    ]
    # then: the same rows; dates in the workbook are real date cells, not text
    assert len(csv_rows) == 8 and csv_rows == xlsx_rows
    date_cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.is_date]
    assert len(date_cells) == 7 * (3 if event == Event.DUE_RETEST else 1)


@pytest.mark.parametrize("event", Event.CHOICES)
def test_the_export_runs_in_a_constant_number_of_queries(event):
    # given: a small set, then five times as many
    team = TeamFactory()
    people(4, team)
    filters = RosterFilters(event=event)
    with CaptureQueriesContext(connection) as small:
        rosters.roster_csv(filters)
        rosters.roster_xlsx(filters)
    people(16, team)
    # when / then: same count for 20 employees as for 4 (2 per export: titles + rows; the
    # re-test roster reads its remedial plans too, a constant number per chunk of rows)
    with CaptureQueriesContext(connection) as large:
        rosters.roster_csv(filters)
        rosters.roster_xlsx(filters)
    assert len(small) == len(large) == (8 if event == Event.DUE_RETEST else 4)


def test_export_of_many_rows_uses_two_queries(django_assert_num_queries):
    people(30, TeamFactory())
    with django_assert_num_queries(2):
        data = rosters.roster_csv(RosterFilters(event=Event.CURRENT_LEVEL))
    assert data.decode("utf-8-sig").count("\n") == 31


def test_roster_page_paginates_and_exports_for_hr(client, hr, csr, django_assert_max_num_queries):
    people(60, TeamFactory())
    client.force_login(hr)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("promotion:rosters"), {"event": "promoted"})
    assert response.status_code == 200 and len(response.context["rows"]) == 50
    first_event = PromotionEvent.objects.order_by("-at", "-pk").first()
    assert reverse("promotion:certificate", args=[first_event.pk]) in response.content.decode()
    assert "Page 1 of 2" in response.content.decode()
    response = client.get(reverse("promotion:rosters_csv"), {"event": "promoted"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming  # sent as it is read, never held whole in memory
    body = b"".join(response.streaming_content)
    assert (
        body == rosters.roster_csv(RosterFilters(event=Event.PROMOTED))
        and body.decode("utf-8-sig").count("\n") == 61
    )
    response = client.get(reverse("promotion:rosters_xlsx"), {"event": "current_level"})
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body[:2] == b"PK"
    assert response["Content-Disposition"].startswith('attachment; filename="roster-current_level-')
    sheet_rows = list(
        load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)
    )
    csv_lines = (
        rosters.roster_csv(RosterFilters(event=Event.CURRENT_LEVEL)).decode("utf-8-sig").count("\n")
    )
    assert len(sheet_rows) == csv_lines > 60
    assert client.post(reverse("promotion:rosters")).status_code == 405
    assert (
        client.get(reverse("promotion:rosters"), {"event": "nonsense"}).status_code == 200
    )  # falls back
    client.force_login(csr)
    for name in ("promotion:rosters", "promotion:rosters_csv", "promotion:rosters_xlsx"):
        assert client.get(reverse(name)).status_code == 403


def test_promotion_event_rows_show_the_demotion_reason():
    user = UserFactory(level=1)
    history(user, (2, datetime(2025, 1, 1, tzinfo=TZ)))
    employee_demote(
        employee=UserFactory(level=2),
        reasons=[{"code": "points_task", "params": {"earned": 10, "needed": 200}}],
    )
    rows = list(rosters.roster_rows(RosterFilters(event=Event.DEMOTED)))
    assert (
        rows[0][-1] == "Points task not met: 10 of 200 points earned within the retention period."
    )
    assert PromotionEvent.objects.filter(kind="demoted").count() == 1


def test_the_benchmark_refuses_a_database_without_bench_in_its_name():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="use a \\*bench\\* database or --force"):
        call_command("bench_roster_export", employees=10)


def test_the_benchmark_generates_and_measures_a_small_set_with_force():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("bench_roster_export", employees=30, batch=7, force=True, stdout=out)
    text = out.getvalue()
    assert "generated 30 employees" in text and "current_level  CSV  rows=    30 queries=2" in text


def test_the_benchmark_measures_the_employees_already_there_with_existing():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    people(3, TeamFactory())
    with pytest.raises(CommandError, match="use a \\*bench\\* database or --force"):
        call_command("bench_roster_export", existing=True)
    out = io.StringIO()
    call_command("bench_roster_export", existing=True, force=True, stdout=out)
    text = out.getvalue()
    assert "generated" not in text and not User.objects.filter(staff_id__startswith="BENCH")
    assert "due_retest     CSV  rows=     3" in text
