"""Shared by the benchmark commands (``manage.py bench_*``, ``make bench``)."""

from django.conf import settings
from django.core.management.base import CommandError


def require_bench_database(*, force: bool, action: str) -> str:
    """The default database's name; CommandError unless it contains "bench" or ``force``:
    a benchmark writes (or load-tests) thousands of rows and must not hit a real database by
    accident. ``action`` completes "Refusing to …" (e.g. "write 20000 cases into")."""
    name = str(settings.DATABASES["default"]["NAME"])
    if "bench" not in name and not force:
        raise CommandError(f"Refusing to {action} {name!r}: use a *bench* database or --force.")
    return name
