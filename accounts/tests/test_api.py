import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_me_returns_the_logged_in_employee(api, csr):
    api.force_authenticate(csr)
    response = api.get("/api/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["staff_id"] == "CSR001"
    assert body["name"] == "客服小王"
    assert body["level"] == 0
    assert body["roles"] == ["CSR"]
    assert "accounts.study" in body["permissions"]


def test_me_requires_authentication(api):
    assert api.get("/api/me/").status_code in (401, 403)


def test_me_is_read_only(api, csr):
    api.force_authenticate(csr)
    assert api.post("/api/me/", {}).status_code == 405


def test_token_authentication_works(api, csr):
    response = api.post("/api/auth/token/", {"staff_id": "csr001", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(user=csr).digest != token  # stored hashed, never in plaintext
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").json()["staff_id"] == "CSR001"


def test_token_with_bad_password_is_a_400_with_a_message(api, csr):
    response = api.post(
        "/api/auth/token/", {"staff_id": "CSR001", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The staff ID or the password is wrong.",
        "code": "login_refused",
    }


def test_token_login_without_a_staff_id_is_a_400_with_a_field_message(api):
    response = api.post("/api/auth/token/", {"password": "x"}, format="json")
    assert response.status_code == 400
    assert "staff_id" in response.json()["fields"]


def test_schema_and_docs_are_served(api, csr):
    api.force_authenticate(csr)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/me/" in schema.json()["paths"]
    api.force_login(csr)  # the docs are a page for a logged-in person (a session)
    assert api.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    "role_fixture, expected",
    [("csr", 403), ("reviewer", 403), ("hr", 200), ("training_manager", 200), ("ops_manager", 200)],
)
def test_employee_list_api_is_for_managers_and_hr(api, request, role_fixture, expected):
    api.force_authenticate(request.getfixturevalue(role_fixture))
    assert api.get("/api/employees/").status_code == expected


def test_employee_list_api_filters_by_level_and_query(api, hr):
    UserFactory(name="张三", level=3)
    UserFactory(name="李四", level=1)
    api.force_authenticate(hr)
    assert [e["name"] for e in api.get("/api/employees/", {"level": 3}).json()["results"]] == [
        "张三"
    ]
    assert [e["name"] for e in api.get("/api/employees/", {"q": "李"}).json()["results"]] == [
        "李四"
    ]


def test_employee_list_api_rejects_out_of_range_level(api, hr):
    api.force_authenticate(hr)
    response = api.get("/api/employees/", {"level": 9})
    assert response.status_code == 400
    assert "level" in response.json()["fields"]


def test_unknown_api_path_is_404(api, csr):
    api.force_authenticate(csr)
    assert api.get("/api/no-such-thing/").status_code == 404
