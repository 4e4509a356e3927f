import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_redis(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["database_vendor"] == connection.vendor
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert body["checks"]["redis"] == expected_redis


def test_healthz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
