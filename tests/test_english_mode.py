"""In English, master data with an English twin (level titles, point rules, courses, topics,
call steps, competency items) is shown in English; Chinese stays the default; filter labels
are capitalised like every other label."""

import pytest
from django.urls import reverse
from django.utils import translation

from config.template_filters import localized_value
from curriculum.tests.factories import CourseFactory
from points.models import PointRule, PointsEntry
from promotion import rosters
from promotion.models import Level
from promotion.rosters import Event, RosterFilters

pytestmark = pytest.mark.django_db


def test_an_english_twin_is_used_in_english_only():
    level = Level.objects.get(number=2)
    with translation.override("en"):
        assert localized_value(level, "title") == "teacher"
    with translation.override("zh-hans"):
        assert localized_value(level, "title") == "教师"
    level.title_en = ""
    with translation.override("en"):
        assert localized_value(level, "title") == "教师"  # no twin written: the master data


def test_my_level_page_shows_english_level_titles(client, csr):
    client.force_login(csr)
    content = client.get(reverse("promotion:my_level")).content.decode()
    assert "Checklist for level 1 (undergraduate)" in content and "大学生" not in content


def test_my_points_shows_the_rules_english_name_and_capitalised_filter_labels(client, csr):
    rule = PointRule.objects.get(code="case_created")
    PointsEntry.objects.create(employee=csr, amount=1, rule=rule, source="t:1")
    client.force_login(csr)
    content = client.get(reverse("points:my_points")).content.decode()
    assert "Case created and accepted" in content and "创建案例被采纳" not in content
    assert ">Rule:</label>" in content and ">From:</label>" in content and ">To:</label>" in content


def test_course_pages_show_the_english_title(client, csr):
    course = CourseFactory(title="投诉处理六步法", title_en="Six steps of complaint handling")
    client.force_login(csr)
    detail = client.get(reverse("curriculum:course_detail", args=[course.pk])).content.decode()
    assert "<h1>Six steps of complaint handling" in detail


def test_roster_level_titles_follow_the_language(csr):
    with translation.override("en"):
        rows = list(rosters.roster_rows(RosterFilters(event=Event.CURRENT_LEVEL)))
    assert [row[5] for row in rows if row[0] == csr.staff_id] == ["pupil"]  # the CSR is at level 0


def test_level_privileges_have_an_english_twin_seeded_and_used_in_english_only():
    level = Level.objects.get(number=2)
    with translation.override("en"):
        assert level.privilege_lines()[0] == "Mentor apprentices (employees below level 1)"
    with translation.override("zh-hans"):
        assert level.privilege_lines()[0] == "带徒弟（一级以下员工）"


def test_my_level_page_lists_the_privileges_in_english(client, csr):
    client.force_login(csr)
    content = client.get(reverse("promotion:my_level")).content.decode()
    assert "Study level-1 training cases" in content and "学习一级培训案例" not in content


def test_map_stage_names_have_an_english_twin_on_the_map_page(client, csr):
    from curriculum.models import MapStage

    stage = MapStage(name="中级", name_en="Intermediate")
    with translation.override("en"):
        assert localized_value(stage, "name") == "Intermediate"
    with translation.override("zh-hans"):
        assert localized_value(stage, "name") == "中级"
