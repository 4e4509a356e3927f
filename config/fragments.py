"""Rendered page parts reused across requests: the costly body of a page a user reloads
often (their points history, their home panel) is rendered once per change of what it shows.

A fragment's key names everything its HTML depends on — the caller passes the data version
(e.g. the employee's ledger version, bumped on every write) and the request's relevant
parameters; the active language is added here. A fragment must not hold anything secret to
the request itself (a CSRF token, a one-time link): those stay in the page around it.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


def fragment(name: str, parts: tuple, render: Callable[[], str], *, timeout: int) -> SafeString:
    """The HTML ``render()`` returns, reused for ``timeout`` seconds under ``name`` + ``parts``."""
    digest = hashlib.blake2b(repr((parts, get_language())).encode(), digest_size=16).hexdigest()
    key = f"fragment:{name}:{digest}"
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, timeout)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there
