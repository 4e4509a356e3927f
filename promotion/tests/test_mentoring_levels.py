"""Who may take apprentices is data (Level.can_mentor): the mentoring page says so from the
rows, the pairing service decides with the same rows."""

import pytest
from django.urls import reverse

from promotion.models import Level

pytestmark = pytest.mark.django_db


def who_mentors(client) -> str:
    content = client.get(reverse("promotion:mentoring"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return (
        content.split('id="who-mentors">')[1].split("</p>")[0]
        if 'id="who-mentors"' in content
        else ""
    )


def test_the_page_names_the_seeded_mentoring_levels(client, csr):
    client.force_login(csr)
    assert who_mentors(client) == "Employees of level 2 and above can take apprentices."


def test_the_page_follows_the_level_rows_when_an_admin_changes_them(client, csr):
    # given: the admin lets only levels 3 and above mentor
    Level.objects.filter(number=2).update(can_mentor=False)
    client.force_login(csr)
    assert who_mentors(client) == "Employees of level 3 and above can take apprentices."
    # and: levels that are not a run up to the top are listed
    Level.objects.filter(number=4).update(can_mentor=False)
    assert who_mentors(client) == "Employees of these levels can take apprentices: 3, 5."
    Level.objects.update(can_mentor=False)
    assert who_mentors(client) == "No level can take apprentices at present."


def test_a_mentor_level_employee_sees_no_such_notice(client, csr):
    csr.level = 2
    csr.save(update_fields=["level"])
    client.force_login(csr)
    assert who_mentors(client) == ""
    Level.objects.filter(number=2).update(can_mentor=False)
    assert who_mentors(client).startswith("Employees of level 3")
