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


@pytest.mark.skipif(
    not getattr(settings, "REDIS_URL", None), reason="the embedded default has no Redis"
)
@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["moved model", "moved module", "renamed class"])
def test_a_value_an_older_release_pickled_reads_as_a_miss_not_a_500(kind):
    import pickle

    from accounts.tests.factories import UserFactory

    cache = caches["default"]
    if kind == "moved model":  # a model that has since moved to another app
        data = pickle.dumps(UserFactory.build(staff_id="OLD001")).replace(b"accounts", b"nowhere1")
    elif kind == "moved module":
        data = b"cno_such_module_anymore\nThing\n."
    else:
        data = b"cbuiltins\nNoSuchThingAnymore\n."
    key = cache.make_and_validate_key("older-release")
    cache._cache.get_client(key, write=True).set(key, data, ex=30)
    assert cache.get("older-release") is None
    assert cache.get_many(["older-release"]) == {"older-release": None}
    cache.set("older-release", "recomputed", 30)
    assert cache.get("older-release") == "recomputed"
