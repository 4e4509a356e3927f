"""The Redis cache reuses one redis-py client per connection pool (config.cache): Django's own
backend builds a new client, with its ~100 response callbacks, for every cache call."""

import pytest
from django.conf import settings
from django.core.cache import caches


@pytest.mark.skipif(
    not getattr(settings, "REDIS_URL", None), reason="the embedded default has no Redis"
)
def test_cache_calls_share_one_client_and_still_reach_redis():
    cache = caches["default"]
    assert type(cache).__module__ == "config.cache"
    client = cache._cache
    cache.set("redis-client-reuse", 1, 30)
    first = client.get_client("redis-client-reuse", write=True)
    assert cache.get("redis-client-reuse") == 1
    assert client.get_client("redis-client-reuse", write=True) is first
    assert client.get_client("redis-client-reuse") is first  # one server: reads use the same pool
    assert (
        first.get(cache.make_and_validate_key("redis-client-reuse")) is not None
    )  # a real round trip
    cache.delete("redis-client-reuse")
