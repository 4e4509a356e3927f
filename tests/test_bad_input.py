"""Bad input is a 400 (API) or a form error (pages), never a 500: the paths that answered 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    # A 500 must reach the test as a response, not as the view's exception.
    return Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)


@pytest.mark.parametrize("url", ["/api/cases/proposals/", "/api/review/proposals/"])
@pytest.mark.parametrize("body", ["[]", '["case_new"]', '"case_new"', "null", "42", "true"])
def test_a_proposal_body_that_is_not_a_json_object_is_a_400(api, csr, url, body):
    # given a CSR with an API session
    api.force_authenticate(csr)
    # when the body is valid JSON but not an object
    response = api.post(url, body, content_type="application/json")
    # then it is refused by the API's JSON parser with one message, in the one error shape
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON body must be an object with named fields.",
        "code": "parse_error",
    }


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "0", "99999999999999999999", "\x00"])
def test_a_study_category_that_is_not_a_category_id_is_a_400(api, csr, value):
    # given a CSR
    api.force_authenticate(csr)
    # when the category filter is not a positive whole number
    response = api.get("/api/cases/study/", {"category": value})
    # then the category field says so
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["category"]


def test_an_unknown_study_category_is_a_400_with_its_message(api, csr):
    api.force_authenticate(csr)
    response = api.get("/api/cases/study/", {"category": 999999})
    assert response.status_code == 400 and response.json()["fields"] == {
        "category": ["Unknown category."]
    }


FAR_DATES = [
    {"date_to": "9999-12-31"},
    {"date_from": "9999-12-31"},
    {"date_from": "0001-01-01"},
    {"date_to": "0001-01-01"},
]


@pytest.mark.parametrize("params", FAR_DATES)
def test_a_roster_api_date_beyond_the_calendar_is_a_400_with_a_field_message(api, hr, params):
    # given HR
    api.force_authenticate(hr)
    # when a roster is asked for with a date the date arithmetic cannot handle
    response = api.get("/api/promotion/rosters/", params)
    # then the date field says which dates are allowed
    assert response.status_code == 400
    (field,) = params
    assert response.json()["fields"] == {
        field: ["Choose a date between 2000-01-01 and 2099-12-31."]
    }


@pytest.mark.parametrize("params", FAR_DATES)
@pytest.mark.parametrize(
    "path",
    ["/promotion/rosters/", "/promotion/rosters/export.csv", "/promotion/rosters/export.xlsx"],
)
def test_a_roster_page_or_export_with_a_far_date_is_not_a_500(web, hr, path, params):
    # given HR on the roster page or its exports
    web.force_login(hr)
    # when a date far outside the calendar is given
    response = web.get(path, params)
    # then the page shows the form error, and the exports answer 400 with the message
    if path.endswith("/"):
        assert response.status_code == 200
        assert "Choose a date between 2000-01-01 and 2099-12-31." in response.content.decode()
    else:
        assert response.status_code == 400
        assert "Choose a date between 2000-01-01 and 2099-12-31." in response.content.decode()


@pytest.mark.parametrize("params", FAR_DATES)
def test_a_points_history_date_beyond_the_calendar_is_a_400(api, csr, params):
    api.force_authenticate(csr)
    response = api.get("/api/points/me/history/", params)
    assert response.status_code == 400
    (field,) = params
    assert response.json()["fields"] == {
        field: ["Choose a date between 2000-01-01 and 2099-12-31."]
    }


@pytest.mark.parametrize("params", FAR_DATES)
def test_the_points_page_with_a_far_date_shows_a_form_error(web, csr, params):
    web.force_login(csr)
    response = web.get("/points/", params)
    assert response.status_code == 200
    assert "Choose a date between 2000-01-01 and 2099-12-31." in response.content.decode()


@pytest.mark.parametrize("query", ["\x00", "王\x00", "%00"])
def test_a_people_search_with_a_nul_byte_is_refused_not_a_500(web, training_manager, query):
    # given a training manager on the people page
    web.force_login(training_manager)
    # when the search text carries a NUL byte (PostgreSQL refuses NUL in text)
    response = web.get("/curriculum/people/", {"q": query})
    # then the search is refused with a form message (or, for the literal "%00", simply run)
    if "\x00" in query:
        assert response.status_code == 400
        assert "Null characters are not allowed." in response.content.decode()
    else:
        assert response.status_code == 200


def test_a_people_search_by_name_still_works(web, training_manager, csr):
    web.force_login(training_manager)
    response = web.get("/curriculum/people/", {"q": "小王"})
    assert response.status_code == 200 and "CSR001" in response.content.decode()


@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "-5", "abc"])
def test_a_kb_search_page_number_beyond_any_result_is_not_a_500(web, csr, page):
    # given a CSR searching the knowledge base
    from knowledgebase.tests.factories import EntryFactory

    EntryFactory(title="退款口径")
    web.force_login(csr)
    # when the page number is huge (it used to overflow the database's OFFSET), negative or no
    # number
    response = web.get("/kb/", {"q": "退款", "page": page})
    # then the page answers
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("declared", [True, False])
def test_an_api_body_above_the_upload_limit_is_a_413_not_read_whole(
    csr, settings, content_type, declared
):
    """DRF's parsers read the stream themselves, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE did
    not apply: a 200 MB JSON body was read into memory whole."""
    # given a CSR logged in on the web (session auth, as the pages' scripts call the API)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(csr)
    body = (
        '{"kind": "kb_revision", "reason": "' + "x" * 5000 + '"}'
        if content_type == "application/json"
        else "kind=kb_revision&reason=" + "x" * 5000
    )
    extra = (
        {} if declared else {"CONTENT_LENGTH": "10"}
    )  # a body longer than it says is cut, not read
    # when the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post("/api/review/proposals/", body, content_type=content_type, **extra)
    # then it is refused in the one error shape, never parsed and never a 500
    if declared:
        assert response.status_code == 413, response.content[:200]
        assert response.json() == {
            "detail": "The request body is larger than 0 KB.",
            "code": "too_large",
        }
    else:
        assert response.status_code == 400
