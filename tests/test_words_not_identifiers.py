"""Pages show words in the reader's language, never stored identifiers: a case rating, a role
name; and the project's catalogue does not take over Django admin's words ("Change")."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from casebase.services.study import case_rate
from casebase.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def chinese_client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(user)
    return client


def test_the_case_library_shows_my_rating_as_a_word(csr):
    case = CaseFactory(level=1)
    case_rate(employee=csr, case_id=case.pk, value="excellent")
    content = chinese_client(csr).get(reverse("casebase:library")).content.decode()
    assert "优秀" in content and ">excellent<" not in content


def test_the_profile_shows_role_names_in_the_readers_language(team_leader):
    content = chinese_client(team_leader).get(reverse("accounts:profile")).content.decode()
    assert "班组长" in content and "Team leader" not in content


def test_the_api_keeps_role_identifiers(api, team_leader):
    api.force_authenticate(team_leader)
    assert "Team leader" in api.get(reverse("api-me")).json()["roles"]


def test_no_project_string_reuses_django_admins_change_with_another_meaning():
    # The project's catalogue wins over Django's own: "Change" translated as 变动 (a level
    # change) turned every admin "Change" link into 变动. Pages that mean a level change say so.
    tables = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in (settings.BASE_DIR / "locale/translations").glob("*.json")
    }
    changes = {name: table["Change"] for name, table in tables.items() if "Change" in table}
    assert changes and set(changes.values()) == {"修改"}, changes
    my_level = (settings.BASE_DIR / "promotion/templates/promotion/my_level.html").read_text(
        encoding="utf-8"
    )
    assert (
        '{% translate "Level change" %}' in my_level and '{% translate "Change" %}' not in my_level
    )
