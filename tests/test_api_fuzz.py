"""The API against its own OpenAPI schema (schemathesis, pytest integration).

For each of three roles — a CSR (HB0002), a committee reviewer (HB0006) and HR (HB9101) on the
demo data, so ids in paths often name real cases, entries, courses, proposals and attempts —
schemathesis loads /api/schema/ from the WSGI app (no server) and sends bounded, derandomised
examples to every operation, valid and invalid ones. It fails on any 5xx, on a status code the
schema does not document, and on a body or content type that does not match the schema (the
documented Error shape included).

Run time is bounded by FUZZ_EXAMPLES per operation (about a minute on 2 cores); deselect it
locally with ``-m "not fuzz"`` — `make test` runs it."""

import io
import os

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROLES = {"csr": "HB0002", "reviewer": "HB0006", "hr": "HB9101"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _real_ids(user) -> dict[str, list]:
    """Ids of real objects for each path with a parameter (half of the generated paths use
    one of them, the rest are whatever the schema allows)."""
    from accounts.models import Position
    from casebase.selectors import study_cases
    from competency.models import QSortRound
    from curriculum.models import Course, Question
    from curriculum.models import ExamAttempt as CourseAttempt
    from knowledgebase.models import Entry
    from points.models import QCGroup, QCTopic, RationalisationProposal
    from promotion.models import ExamAttempt
    from review.models import Proposal

    def ids(qs, field="pk"):
        return list(qs.order_by(field).values_list(field, flat=True)[:5])

    cases = ids(study_cases(user))
    rounds = ids(QSortRound.objects.all())
    attempts = ids(ExamAttempt.objects.all())
    entries = ids(Entry.objects.all())
    return {
        "/api/cases/study/{id}/": cases,
        "/api/cases/study/{id}/studied/": cases,
        "/api/cases/study/{id}/rating/": cases,
        "/api/competency/positions/{code}/model/": ids(Position.objects.all(), "code"),
        "/api/competency/qsort/rounds/{id}/results/": rounds,
        "/api/competency/qsort/rounds/{id}/submission/": rounds,
        "/api/curriculum/courses/{id}/": ids(Course.objects.all()),
        "/api/curriculum/courses/{id}/questions/": ids(Course.objects.all()),
        "/api/curriculum/exams/{id}/": ids(CourseAttempt.objects.all()),
        "/api/curriculum/exams/{id}/submit/": ids(CourseAttempt.objects.all()),
        "/api/curriculum/questions/{id}/": ids(Question.objects.all()),
        "/api/kb/entries/{id}/": entries,
        "/api/kb/entries/{id}/history/": entries,
        "/api/kb/entries/{id}/revise/": entries,
        "/api/kb/entries/{id}/retire/": entries,
        "/api/kb/entries/{id}/restore/": entries,
        "/api/points/qc/groups/{id}/complete/": ids(QCGroup.objects.all()),
        "/api/points/qc/topics/{id}/claim/": ids(QCTopic.objects.all()),
        "/api/points/rationalisation/{id}/judge/": ids(RationalisationProposal.objects.all()),
        "/api/promotion/exam/{id}/": attempts,
        "/api/promotion/exam/{id}/submit/": attempts,
        "/api/promotion/exam/attempts/{id}/full/": attempts,
        "/api/review/proposals/{id}/votes/": ids(Proposal.objects.open()),
    }


@pytest.fixture(params=list(ROLES))
def role(request) -> str:
    return request.param


@pytest.fixture
def fuzz_user(role):
    from accounts.models import User

    call_command("demo", force=True, stdout=io.StringIO())
    return User.objects.get(staff_id=ROLES[role])


@pytest.fixture
def token(fuzz_user) -> str:
    _row, key = AuthToken.objects.create(fuzz_user)
    return key


@pytest.fixture
def _keep_the_test_connection():
    """Like Django's test client: the WSGI app must not close the connection that holds the
    test's transaction at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(fuzz_user, token, monkeypatch, _keep_the_test_connection):
    from config.wsgi import application

    # The run sends far more than API_USER_RATE (600/min) requests: throttling is not under test.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "1000000/min", "anon": "1000000/min"}
    )
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers={"Authorization": f"Token {token}"}
    )
    # The coverage phase's requests with methods the schema does not list (TRACE, QUERY …) only
    # meet DRF's 405; they would double the run time.
    schema.config.phases.coverage.unexpected_methods = set()
    real = _real_ids(fuzz_user)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        found = real.get(context.operation.path) if context.operation else None
        if not found:
            return st.just(path_parameters)
        name = "code" if "{code}" in context.operation.path else "id"
        return st.one_of(
            st.just(path_parameters),
            st.sampled_from(found).map(lambda value: {**path_parameters, name: value}),
        )

    return schema


# Logging out revokes the token the rest of the run uses (tested in accounts/tests/test_tokens.py).
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"^/api/auth/logout")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_5xx_and_matches_its_schema(case, token):
    # REMOTE_ADDR: the login limiter (allauth) refuses a request without a client address, as
    # a real server never sends one.
    r = case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=CHECKS,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    with open("/tmp/fuzz_statuses.txt", "a") as f:
        f.write(f"{case.method} {case.path} {case.path_parameters} {case.query} {r.status_code}\n")
