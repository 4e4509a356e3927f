"""Django's Redis cache with one client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call,
and redis-py's constructor copies its ~100 response callbacks into a case-insensitive dict
each time. A page makes five or six cache calls (session, permissions, version keys,
throttle). Measured with cProfile on the KB search API (100 requests): 1,200 constructions,
98,400 dict insertions, 13 % of the request's CPU. ``redis.Redis`` is thread-safe and holds
no state beyond its pool, so one client per pool serves every call.

A value an older release pickled may name a class that has moved since (a model moved between
apps, a dataclass moved between modules): unpickling it raises, and every page reading that
key answered 500 until the key expired. Such a value reads as a miss (``None``) and is
logged; the caller computes and stores it again.
"""

import logging
import pickle

from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer

logger = logging.getLogger(__name__)


class ReleaseTolerantSerializer(RedisSerializer):
    """Django's serializer, with a value that no longer unpickles read as a miss."""

    def loads(self, data):
        try:
            return super().loads(data)
        except (LookupError, AttributeError, ImportError, pickle.UnpicklingError, EOFError) as exc:
            logger.warning("cached value from another release ignored: %s", exc)
            return None


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("serializer", ReleaseTolerantSerializer)
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def disconnect(self) -> None:
        """Close every connection of this client's pools (they reconnect on next use)."""
        for pool in self._pools.values():
            pool.disconnect()
        self._clients.clear()
        self._pools.clear()


class PooledClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient

    def disconnect(self) -> None:
        """Close this cache's Redis connections. Not called per request (the pool is reused);
        the test suite calls it when a test drops its cache instance (conftest: each test has
        its own key prefix, so its own instance), or every test would leave its connections
        open until the garbage collector found them — the server's client limit (10,000) was
        reached by a few parallel suites."""
        if "_cache" in self.__dict__:  # the client exists only once the cache was used
            self._cache.disconnect()
