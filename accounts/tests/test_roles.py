import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db

WORKSPACES = {
    "review:queue": {"reviewer", "ops_manager"},
    "accounts:training_workspace": {"training_manager"},
    "accounts:employee_directory": {"training_manager", "hr", "ops_manager"},
    "accounts:operations_workspace": {"ops_manager"},
}
ROLE_FIXTURES = ["csr", "reviewer", "training_manager", "hr", "ops_manager"]


def test_every_role_group_exists_with_its_permissions():
    for role in Role:
        group = Group.objects.get(name=role.value)
        codenames = set(group.permissions.values_list("codename", flat=True))
        assert set(ROLE_PERMISSIONS[role]) <= codenames


@pytest.mark.parametrize("role_fixture", ROLE_FIXTURES)
@pytest.mark.parametrize("url_name", list(WORKSPACES))
def test_workspace_pages_are_open_only_to_their_roles(client, request, role_fixture, url_name):
    # given
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    # when
    response = client.get(reverse(url_name))
    # then
    expected = 200 if role_fixture in WORKSPACES[url_name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role_fixture", ROLE_FIXTURES)
def test_navigation_shows_only_what_the_role_may_use(client, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    response = client.get(reverse("home"))
    nav_urls = {item["url"] for item in response.context["nav_items"]}
    for url_name, allowed in WORKSPACES.items():
        assert (reverse(url_name) in nav_urls) == (role_fixture in allowed), url_name
    assert reverse("home") in nav_urls


@pytest.mark.parametrize(
    "role_fixture, panel",
    [
        ("csr", "panel-study"),
        ("reviewer", "panel-review"),
        ("training_manager", "panel-training"),
        ("hr", "panel-rosters"),
        ("ops_manager", "panel-operations"),
        ("team_leader", "panel-team"),
    ],
)
def test_home_page_has_a_panel_for_each_role(client, request, role_fixture, panel):
    client.force_login(request.getfixturevalue(role_fixture))
    content = client.get(reverse("home")).content.decode()
    assert f'id="{panel}"' in content
    if role_fixture == "csr":
        assert 'id="panel-review"' not in content


def test_employee_directory_filters_and_paginates(client, hr, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    UserFactory.create_batch(55, centre=hr.centre, team=hr.team, level=2)
    UserFactory(name="特别的名字", centre=hr.centre, team=hr.team, level=3)
    client.force_login(hr)

    with django_assert_max_num_queries(8):
        page1 = client.get(reverse("accounts:employee_directory"))
    assert page1.status_code == 200
    assert len(page1.context["page"].object_list) == 50
    assert page1.context["page"].paginator.count == 57

    filtered = client.get(reverse("accounts:employee_directory"), {"level": 3})
    assert [e.name for e in filtered.context["page"]] == ["特别的名字"]

    by_name = client.get(reverse("accounts:employee_directory"), {"q": "特别"})
    assert by_name.context["page"].paginator.count == 1


def test_employee_directory_query_count_does_not_grow_with_rows(client, hr):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import UserFactory

    client.force_login(hr)
    UserFactory.create_batch(3, centre=hr.centre, team=hr.team)
    client.get(
        reverse("accounts:employee_directory")
    )  # the first request caches the permission set
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("accounts:employee_directory"))
    UserFactory.create_batch(40, centre=hr.centre, team=hr.team)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("accounts:employee_directory"))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_employee_directory_rejects_bad_filter_with_a_form_error(client, hr):
    client.force_login(hr)
    response = client.get(
        reverse("accounts:employee_directory"), {"level": "9"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["form"].errors["level"]
    assert "Select a valid choice" in response.content.decode()


def test_navigation_groups_entries_into_menus_and_hides_empty_menus(client, csr, hr):
    from accounts.navigation import NAV_GROUPS

    client.force_login(csr)
    menus = client.get(reverse("home")).context["nav_menus"]
    learning = next(m for m in menus if m.get("label") == NAV_GROUPS["learning"])
    learning_entries = [i["url"] for i in learning["entries"]]
    # the gap analysis sits in the learning menu right after the learning map
    assert learning_entries.index(reverse("curriculum:my_gaps")) == (
        learning_entries.index(reverse("curriculum:my_map")) + 1
    )
    assert all(m.get("label") != NAV_GROUPS["management"] for m in menus)

    client.force_login(hr)
    menus = client.get(reverse("accounts:employee_directory")).context["nav_menus"]
    management = next(m for m in menus if m.get("label") == NAV_GROUPS["management"])
    assert management["active"] is True  # the current page is inside this menu
    learning_urls = {
        i["url"] for m in menus if m.get("label") == NAV_GROUPS["learning"] for i in m["entries"]
    }
    assert reverse("curriculum:my_map") not in learning_urls  # HR does not study
    assert reverse("curriculum:my_gaps") not in learning_urls


def test_top_level_links_render_as_plain_links_not_menus(client, csr):
    client.force_login(csr)
    html = client.get(reverse("home")).content.decode()
    home_link = f'<li><a href="{reverse("home")}" aria-current="page">'
    assert home_link in html
    assert html.count("<details>") == len(
        [m for m in client.get(reverse("home")).context["nav_menus"] if "entries" in m]
    )


def test_an_employee_without_roles_is_told_to_ask_for_one(client):
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(roles=[]))
    assert "Your account has no role yet" in client.get(reverse("home")).content.decode()
