"""A version number in the shared cache that says "everything cached under the previous
number is stale" — for data read on every page and changed rarely (permission sets, the
learning-map tree, the KB synonym table). Readers put ``version.current()`` into their cache
keys (or compare it with what they hold in memory), or read the version and a value kept for
it in one round trip (``read`` / ``keep``); every write calls ``version.bump()``.

``bump()`` increments now and again when the surrounding transaction commits: a reader
between the write and its commit may cache the old data under the new number, and the second
increment makes that copy unreachable too.
"""

import time

from django.core.cache import cache
from django.db import transaction

MISSING = object()  # read: nothing kept for the current version (None is a value)


class CacheVersion:
    def __init__(self, key: str):
        self.key = key

    def current(self) -> int:
        """The version. When none is set yet (or the cache lost it) it starts at the current
        time in nanoseconds, never at a fixed number: a process holding data in memory under
        an old number (the synonym table) must not mistake a restarted cache's first version
        for the one it knew."""
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, time.time_ns(), timeout=None)
            version = cache.get(self.key)
        return version

    def read(self, key: str) -> tuple[int, object]:
        """(the current version, the value kept under ``key`` for that version, or MISSING),
        in ONE round trip to the cache: the version and the value are read together and a
        value kept under an older version does not count. A page reads two or three such
        values (permissions, the learning map, a KB search); two round trips each cost more
        than the reads themselves. The value is kept with ``keep(key, version, value)``."""
        found = cache.get_many([self.key, key])
        version = found.get(self.key)
        if version is None:
            return self.current(), MISSING
        kept = found.get(key)
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == version:
            return version, kept[1]
        return version, MISSING

    def keep(self, key: str, version: int, value, timeout: int | None) -> None:
        """Keep ``value`` under ``key`` for ``version`` (what read returned with MISSING)."""
        cache.set(key, (version, value), timeout)

    def bump(self, **_signal_kwargs) -> None:
        """Make everything cached under the current version stale (usable as a signal receiver)."""
        self._increment()
        transaction.on_commit(self._increment)

    def _increment(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:  # no version yet: nothing was cached under one either
            cache.add(self.key, time.time_ns(), timeout=None)
