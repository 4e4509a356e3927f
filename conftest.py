import copy
import os
import uuid

import pytest
from django.conf import settings
from django.utils import translation


def pytest_configure(config):
    # CI and `make test` must run on PostgreSQL: SQLite would hide locking, constraint and
    # full-text behaviour the system relies on.
    if (os.environ.get("REQUIRE_POSTGRES") or os.environ.get("CI")) and not settings.IS_POSTGRES:
        raise pytest.UsageError(
            f"Tests must run on PostgreSQL but DATABASE_URL gives "
            f"{settings.DATABASES['default']['ENGINE']}."
        )


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service-level messages are asserted in English. Requests still choose their language
    in LocaleMiddleware (zh-hans unless the client asks otherwise), so page tests can check
    either language explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clients_ask_for_a_language_by_header(settings):
    """The suite's clients ask for English with Accept-Language (the fixtures below, the
    browser's --lang); pages honour that header only with LANGUAGE_FOLLOWS_BROWSER, which is
    off in production. Tests of the product's default language turn it off again
    (tests/test_language_default.py)."""
    settings.LANGUAGE_FOLLOWS_BROWSER = True


@pytest.fixture
def client():
    """The test client asks for English; tests of the Chinese default build Client() themselves."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Rate-limit counters live in the cache (Redis in CI). Each test gets its own key
    prefix instead of a flush, so parallel workers and the Celery broker are left alone."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    yield
    from django.core.cache import caches as cache_handler

    for cache in cache_handler.all(initialized_only=True):
        if hasattr(cache, "disconnect"):
            cache.disconnect()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the run; hashing strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Named users per role, shared by every app's tests.
@pytest.fixture
def csr(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(staff_id="CSR001", name="客服小王", roles=["CSR"])


@pytest.fixture
def reviewer(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(staff_id="REV001", name="评委老陈", level=4, roles=["CSR", "Reviewer"])


@pytest.fixture
def training_manager(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(
        staff_id="TM001", name="培训经理周", roles=["Training manager"], is_staff=True
    )


@pytest.fixture
def hr(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(staff_id="HR001", name="人事吴", roles=["HR"])


@pytest.fixture
def ops_manager(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(staff_id="OPS001", name="运营郑", roles=["Operations manager"])


@pytest.fixture
def team_leader(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(staff_id="TL001", name="班长黄", level=4, roles=["Team leader", "CSR"])


@pytest.fixture
def real_worker():
    """A Celery worker thread consuming from the real Redis broker, tasks not eager.
    (Shared: tests/test_celery_worker.py and casebase's pruning test use it.)

    Celery reads its configuration through Django settings (namespace CELERY), where
    CELERY_TASK_ALWAYS_EAGER from the environment wins over ``app.conf.task_always_eager =
    False`` — so the override goes through Django settings. tests/test_celery_worker.py
    proves that without the worker a task now waits instead of running in-process."""
    from celery.contrib.testing.worker import start_worker
    from django.test import override_settings

    from config.celery import app as celery_app

    assert settings.REDIS_URL, "CI must run this test against Redis: set REDIS_URL"
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        assert celery_app.conf.task_always_eager is False
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
