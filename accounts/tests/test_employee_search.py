"""Finding employees by what a person types has one rule (accounts.selectors.employee_search_q):
the employee directory API and the team leader's people page match the same way."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["  hb77 ", "hb7712", "明亮", " 王明"])
def test_the_directory_and_the_people_page_find_the_same_employee(client, api, typed):
    # given: a team leader and an HR user who both may look for the same colleague
    target = UserFactory(staff_id="HB7712", name="王明亮", roles=["CSR"])
    UserFactory(
        staff_id="HB8800", name="李四", roles=["CSR"], team=target.team, centre=target.centre
    )
    leader = UserFactory(
        staff_id="TL7700", roles=["Team leader"], team=target.team, centre=target.centre
    )
    hr = UserFactory(staff_id="HR7700", roles=["HR"])
    # when
    api.force_authenticate(hr)
    found_by_api = [
        row["staff_id"] for row in api.get(reverse("api-employees"), {"q": typed}).json()["results"]
    ]
    client.force_login(leader)
    page = client.get(reverse("curriculum:people"), {"q": typed}).content.decode()
    # then
    assert found_by_api == ["HB7712"]
    assert "HB7712" in page and "HB8800" not in page
