"""The one thread helper of the race tests against real PostgreSQL.

Every race test runs its functions through ``run_at_once``: each in its own thread (so each
with its own database connection), all released by one barrier, their results or
exceptions returned in order. ``Rendezvous`` makes an interleaving happen instead of hoping
for it: both transactions call ``wait()`` after their first lock, so each holds that lock
before either takes its second one. When one transaction blocks on the other's lock before
reaching the rendezvous (the correct lock order does exactly that), the other waits only
``timeout`` seconds and goes on alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.utils import translation


def run_at_once(functions: Sequence[Callable[[], Any]], *, join_timeout: float = 30) -> list[Any]:
    """Start every function at the same moment in its own thread; return their results, an
    exception in place of the result of a function that raised."""
    barrier = threading.Barrier(len(functions))
    results: list[Any] = [None] * len(functions)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            with translation.override("en"):  # threads do not inherit the test's language
                results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_timeout)
    return results


class Rendezvous:
    """A meeting point inside the racing transactions (see the module docstring)."""

    def __init__(self, parties: int = 2, *, timeout: float = 1.0):
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.met = False
        self._waited = threading.local()

    def wait(self) -> None:
        """Wait for the other parties — once per thread: later calls return at once."""
        if getattr(self._waited, "done", False):
            return
        self._waited.done = True
        try:
            self.barrier.wait()
            self.met = True
        except threading.BrokenBarrierError:  # the other one is blocked on our lock: go on alone
            pass

    def before(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` preceded by a wait at this rendezvous (for monkeypatching a step)."""

        def wrapped(*args, **kwargs):
            self.wait()
            return fn(*args, **kwargs)

        return wrapped


def is_deadlock(exc: Any) -> bool:
    """True for PostgreSQL's "deadlock detected" (SQLSTATE 40P01), however wrapped (False
    for anything that is not an exception)."""
    while isinstance(exc, BaseException):
        if getattr(exc, "pgcode", None) == "40P01" or "deadlock detected" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def record_retries(monkeypatch) -> list[BaseException]:
    """Make ``config.locks.retry_on_deadlock`` report every deadlock / serialisation failure
    it retries (into the returned list): a race test asserts the lock order prevented them,
    not that the retry hid them."""
    from config import locks

    seen: list[BaseException] = []
    real = locks.is_retryable

    def recording(exc: BaseException) -> bool:
        retryable = real(exc)
        if retryable:
            seen.append(exc)
        return retryable

    monkeypatch.setattr(locks, "is_retryable", recording)
    return seen
