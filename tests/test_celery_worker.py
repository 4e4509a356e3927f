import os
import uuid

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from accounts.tasks import celery_ping_task
from config.celery import app as celery_app

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL and not os.environ.get("CI"),
    reason="REDIS_URL is not set (allowed outside CI only)",
)


@pytest.mark.real_worker
@needs_redis
def test_task_round_trips_through_redis_and_a_real_worker(real_worker):
    # given
    token = uuid.uuid4().hex
    # when
    result = celery_ping_task.delay(token)
    # then: the answer came back from the worker through the result backend
    assert result.get(timeout=20) == f"pong:{token}"
    assert celery_app.conf.broker_url.startswith("redis://")


@needs_redis
def test_without_a_worker_a_task_is_not_run_in_process(settings):
    """The guard for the fixture above: with eager mode off (as real_worker sets it) and no
    worker consuming, the task is only queued, so a real-worker test cannot pass by
    accident when the suite runs with CELERY_TASK_ALWAYS_EAGER=1."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    token = uuid.uuid4().hex
    result = celery_ping_task.apply_async((token,), queue=f"nobody-listens-{token}")
    with pytest.raises(CeleryTimeout):
        result.get(timeout=2)
    assert result.state == "PENDING"
