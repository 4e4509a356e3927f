"""The points ledger as the reviewer insights see it: the entries paid for a flag's votes and
their reversal (review.insights).

review sits below points (points pays the review kinds' rewards through their hooks, and
imports review), so review never imports points: points registers the Ledger from its
AppConfig.ready() (points/review_hooks.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Ledger:
    # votes -> the entries paid for them (each member's review points, each proposer's
    # reward), oldest first, each annotated ``reversed`` (a reversal exists). One query.
    vote_entries: Callable[[list], Any]
    # entry id -> the entry; raises ObjectDoesNotExist (the model's DoesNotExist) for none.
    entry: Callable[[int], Any]
    # entry -> whether it was paid for a review decision (a member's review points or a
    # proposer's reward): the only entries the insights reverse.
    paid_for_review: Callable[[Any], bool]
    # reverse(entry_id=, by=, reason=) -> the reversal row, under the ledger's own rules and
    # errors (its permission, never one's own entry, once per entry).
    reverse: Callable[..., Any]
    # The DRF serializer of an entry (the reversal API answers with the reversal).
    entry_serializer: type


_ledger: list[Ledger] = []


def register(ledger: Ledger) -> None:
    """Set the ledger (from the points app's AppConfig.ready(); registering again replaces
    it)."""
    _ledger[:] = [ledger]


def current() -> Ledger:
    """The registered ledger; ImproperlyConfigured when no app registered one."""
    if not _ledger:
        raise ImproperlyConfigured("No points ledger is registered (review.ledger.register).")
    return _ledger[0]
