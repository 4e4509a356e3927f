"""Rosters read in the reader's language (demotion reasons are codes rendered when read, the
level-title column is 称号), list employees only, and keep long reasons in their own column."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import TeamFactory, UserFactory
from promotion import rosters
from promotion.models import Notification, PromotionEvent
from promotion.rosters import Event, RosterFilters
from promotion.services.levels import employee_demote

pytestmark = pytest.mark.django_db

POINTS_TASK = [{"code": "points_task", "params": {"earned": 10, "needed": 200}}]


def test_a_demotion_stores_codes_not_an_english_sentence():
    event = employee_demote(employee=UserFactory(level=2), reasons=POINTS_TASK)
    event.refresh_from_db()
    assert event.reasons == POINTS_TASK and event.reason == ""


def test_the_demotion_notification_renders_its_reason_in_the_readers_language():
    # given a demotion decided while English was active (a job, a test)
    with translation.override("en"):
        user = UserFactory(level=2)
        employee_demote(employee=user, reasons=POINTS_TASK)
    notification = Notification.objects.get(recipient=user, kind="demoted")
    # then the row holds codes, and the text follows the reader's language
    assert "Points task" not in str(notification.data)
    with translation.override("zh-hans"):
        chinese = notification.text()
    with translation.override("en"):
        english = notification.text()
    assert "Points task not met: 10 of 200" in english
    assert "Points task" not in chinese and "10 / 200" in chinese


def test_an_old_notification_with_stored_text_stays_readable():
    notification = Notification(kind="demoted", data={"level": 1, "reason": "旧的原因"})
    with translation.override("en"):
        assert notification.text() == "You were moved back to level 1. Reason: 旧的原因"


def test_the_demoted_roster_export_in_chinese_has_chinese_reasons():
    employee_demote(employee=UserFactory(level=2), reasons=POINTS_TASK)
    with translation.override("zh-hans"):
        rows = list(
            csv.reader(
                io.StringIO(
                    rosters.roster_csv(RosterFilters(event=Event.DEMOTED)).decode("utf-8-sig")
                )
            )
        )
    assert "Points task" not in rows[1][-1] and "积分" in rows[1][-1]


def test_the_level_title_column_is_not_the_word_for_a_documents_title():
    with translation.override("en"):
        headers = dict(rosters.roster_columns(Event.CURRENT_LEVEL))
    assert headers["title"] == "Level title"


def test_the_current_level_roster_lists_employees_not_the_superuser():
    team = TeamFactory()
    employee = UserFactory(team=team, centre=team.centre, level=1)
    admin = UserFactory(is_superuser=True, is_staff=True, level=0)
    staff_ids = [row[0] for row in rosters.roster_rows(RosterFilters(event=Event.CURRENT_LEVEL))]
    assert employee.staff_id in staff_ids and admin.staff_id not in staff_ids


def test_a_long_reason_wraps_in_its_own_column_on_the_roster_page(client, hr):
    employee_demote(employee=UserFactory(level=2), reason="很长的原因" * 60)
    client.force_login(hr)
    content = client.get(reverse("promotion:rosters"), {"event": "demoted"}).content.decode()
    assert 'class="data roster roster-demoted"' in content
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/app.css"), encoding="utf-8").read()
    assert "table.roster td { white-space:nowrap; }" in css
    assert "table.roster-demoted td:last-child { white-space:normal;" in css


def test_the_admin_shows_a_demotion_reason_in_words(training_manager, settings):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    event = employee_demote(employee=UserFactory(level=2), reasons=POINTS_TASK)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    content = client.get(
        reverse("admin:promotion_promotionevent_change", args=[event.pk])
    ).content.decode()
    assert "Points task not met: 10 of 200" in content and "points_task" not in content
    assert PromotionEvent.objects.count() == 1


def test_xlsx_dates_are_date_cells_in_chinese_too():
    from openpyxl import load_workbook

    employee_demote(employee=UserFactory(level=2), reasons=POINTS_TASK)
    with translation.override("zh-hans"):
        sheet = load_workbook(
            io.BytesIO(rosters.roster_xlsx(RosterFilters(event=Event.DEMOTED))), read_only=True
        ).active
    row = next(sheet.iter_rows(min_row=2))
    assert [cell.is_date for cell in row].count(True) == 1  # the date column, not text
