"""A version number in the shared cache that says "everything cached under the previous
number is stale" — for data read on every page and changed rarely (permission sets, the
learning-map tree, the KB synonym table). Readers put ``version.current()`` into their cache
keys (or compare it with what they hold in memory); every write calls ``version.bump()``.

``bump()`` increments now and again when the surrounding transaction commits: a reader
between the write and its commit may cache the old data under the new number, and the second
increment makes that copy unreachable too.
"""

import time

from django.core.cache import cache
from django.db import transaction


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

    def bump(self, **_signal_kwargs) -> None:
        """Make everything cached under the current version stale (usable as a signal receiver)."""
        self._increment()
        transaction.on_commit(self._increment)

    def _increment(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:  # no version yet: nothing was cached under one either
            cache.add(self.key, time.time_ns(), timeout=None)
