import os
import uuid

import pytest
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
