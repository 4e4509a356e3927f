import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_redis_to_staff(client, settings, training_manager):
    client.force_login(training_manager)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["database_vendor"] == connection.vendor
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert body["checks"]["redis"] == expected_redis


def test_healthz_is_503_when_redis_does_not_answer(client, settings, training_manager):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(training_manager)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.mark.parametrize(
    "redis_url, status, body",
    [(None, 200, {"status": "ok"}), ("redis://127.0.0.1:1/0", 503, {"status": "error"})],
)
def test_healthz_tells_anonymous_callers_only_ok_or_not(
    client, settings, csr, redis_url, status, body
):
    if redis_url:
        settings.REDIS_URL = redis_url
    for who in (None, csr):  # anonymous, and a logged-in employee without staff access
        if who:
            client.force_login(who)
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (status, body)


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
