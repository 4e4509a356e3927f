"""The API contract: the schema documents the one error shape and says what the responses
are (runs against any version of the code: it reads the schema and calls the API)."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERROR_SHAPE = {"detail", "code", "fields"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


# --- the API answers ---------------------------------------------------------------------------


def test_an_unknown_api_url_answers_in_the_error_shape(api, csr):
    api.force_authenticate(csr)
    response = api.get("/api/cases/study/abc/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_missing_token_is_a_401_in_the_error_shape(api):
    response = api.get("/api/me/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


# --- the schema ---------------------------------------------------------------------------------


def test_the_error_shape_is_a_schema_component_on_every_operations_4xx_answers(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == ERROR_SHAPE and error["required"] == ["detail", "code"]
    assert error["additionalProperties"] is False
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("400", "404", "429"):
                assert operation["responses"][code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, code)
            if operation.get("security"):
                assert "401" in operation["responses"] and "403" in operation["responses"], (
                    method,
                    path,
                )


def test_the_token_login_documents_no_401(schema):
    assert "401" not in schema["paths"]["/api/auth/token/"]["post"]["responses"]


def _response_schema(schema, path, method="get", code="200"):
    ref = schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"][
        "$ref"
    ]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize(
    "path", ["/api/kb/search/", "/api/points/leaderboard/", "/api/points/rationalisation/"]
)
def test_lists_in_a_results_envelope_are_documented_as_such(schema, path):
    body = _response_schema(schema, path)
    assert body["type"] == "object" and body["properties"]["results"]["type"] == "array"


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("PointsEntry", "granted_by"),
        ("Rationalisation", "judged_by"),
        ("Employee", "centre"),
        ("Me", "centre"),
    ],
)
def test_fields_that_can_be_null_are_marked_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["nullable"] is True


def test_the_e_mail_may_be_empty_and_so_claims_no_email_format(schema):
    assert "format" not in schema["components"]["schemas"]["Me"]["properties"]["email"]


def test_the_search_text_is_a_documented_required_parameter(schema, api, csr):
    (q,) = [p for p in schema["paths"]["/api/kb/search/"]["get"]["parameters"] if p["name"] == "q"]
    assert q["required"] is True and q["in"] == "query"
    api.force_authenticate(csr)
    missing = api.get("/api/kb/search/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400 and missing.json()["fields"] == {
        "q": ["This field is required."]
    }
    nul = api.get("/api/kb/search/", {"q": "退\x00款"}, HTTP_ACCEPT_LANGUAGE="en")
    assert nul.status_code == 400 and nul.json()["fields"] == {
        "q": ["Null characters are not allowed."]
    }


def test_every_proposal_kind_documents_its_body(schema):
    from review.serializers import proposable_kinds

    body = schema["paths"]["/api/review/proposals/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    proposal_input = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    mapping = proposal_input["discriminator"]["mapping"]
    assert (
        set(mapping)
        == set(proposable_kinds())
        >= {"kb_revision", "kb_new_entry", "case_new", "case_revision", "quality_case"}
    )
    for kind, ref in mapping.items():
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        kind_schema = component["properties"]["kind"]
        ref = kind_schema.get("$ref") or kind_schema["allOf"][0]["$ref"]
        assert schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"] == [kind]
        assert "kind" in component["required"]


def test_the_case_proposal_endpoint_documents_the_revision_body(schema):
    body = schema["paths"]["/api/cases/proposals/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(component["discriminator"]["mapping"]) == {"case_new", "case_revision"}
    revision = schema["components"]["schemas"]["CaseRevisionProposalInput"]
    assert {"case_id", "base_version", "reason"} <= set(revision["required"])


@pytest.mark.parametrize("event", ["promoted", "demoted", "due_retest", "current_level"])
def test_roster_rows_are_keyed_by_identifiers_whatever_the_language(hr, event):
    from promotion.services.levels import promotion_history_backfill

    # given one row of every roster: a promotion with its running retention period, a demotion
    promoted, demoted = UserFactory(level=1), UserFactory(level=0)
    promotion_history_backfill(
        employee=promoted,
        kind="promoted",
        from_level=0,
        to_level=1,
        at=promoted.date_joined,
        with_retention=True,
    )
    promotion_history_backfill(
        employee=demoted, kind="demoted", from_level=1, to_level=0, at=demoted.date_joined
    )
    keys = {}
    for language in ("zh-hans", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(hr)
        response = client.get("/api/promotion/rosters/", {"event": event})
        assert response.status_code == 200
        keys[language] = [list(row) for row in response.json()["results"]]
    assert keys["en"] and keys["zh-hans"] == keys["en"]
    assert all(key.isascii() and key == key.lower() for rows in keys["en"] for key in rows)
