"""Q-sort maths (DOMAIN.md §1): pure functions, no ORM.

A Q-sort round ranks ``n`` competency items for one position in two steps per rater:

1. **flat sort** — every item goes into one of three piles, important / neutral /
   unimportant, whose sizes are fixed for the round;
2. **absolute sort** — the rater strictly orders each pile (ranks 1..size, no ties).

One rater's *full ranking* is the important pile in order, then the neutral pile, then the
unimportant pile: position 1 is the most important item, position ``n`` the least.

**Aggregation** (:func:`aggregate_rankings`): the combined order sorts items by their *mean
position* over all raters (smaller = more important). Items with exactly the same mean
position are tied; inside a tie the order is the order of the ``items`` argument (the
dictionary order), which only affects display — tied items always share one score and one
weight.

**Forced distribution** (:func:`forced_distribution`): the combined order is laid onto
``2k+1`` columns with scores ``+k .. -k`` (``k`` is the round's maximum score, lowered
until no column is empty, see :func:`effective_half_width`); column sizes follow the binomial shape
``C(2k, j) / 4^k`` (a discrete normal curve), apportioned to whole items symmetrically, so
most items land in the middle and few at the extremes. The first positions of the combined
order fill the ``+k`` column, the last ones the ``-k`` column. A tie group spanning several
columns gets the mean of the scores of the positions it occupies.

**Weights** (:func:`weights_from_scores`): ``raw = score + k + 1`` (so the least important
column still has raw 1 > 0), ``weight = raw / sum(raw)``. Weights are positive, sum to 1 and
never increase down the combined order. :func:`round_weights` turns them into decimals with a
fixed number of places that still sum to exactly 1 (largest remainder).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from math import comb

from django.utils.translation import gettext as _

from config.errors import ValidationFailedError

IMPORTANT = "important"
NEUTRAL = "neutral"
UNIMPORTANT = "unimportant"
PILES: tuple[str, str, str] = (IMPORTANT, NEUTRAL, UNIMPORTANT)

ItemId = Hashable


class SortInvalid(ValidationFailedError):
    """A sort or a pile-size set-up breaks the rules; ``errors`` maps a field (or "__all__")
    to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            "; ".join(m for messages in errors.values() for m in messages), fields=errors
        )


@dataclass(frozen=True)
class Placement:
    """One item put into ``pile`` at ``rank`` (1 = most important inside the pile)."""

    item: ItemId
    pile: str
    rank: int


@dataclass
class AggregatedItem:
    """One row of a round's result, in combined order."""

    item: ItemId
    mean_rank: float
    position: int  # 1-based place in the combined order; tied items share the first place
    score: float  # forced-distribution column score in [-k, +k]
    weight: float
    ranks: list[int] = field(default_factory=list)  # each rater's position for the item


# --- pile sizes -------------------------------------------------------------------------------


def suggest_pile_sizes(n: int) -> dict[str, int]:
    """About 25% important, 50% neutral, 25% unimportant for ``n`` items.

    Returns sizes summing to ``n``; the important and unimportant piles are equal and hold at
    least one item each once there are three or more items.
    """
    if n <= 0:
        return {IMPORTANT: 0, NEUTRAL: 0, UNIMPORTANT: 0}
    if n < 3:
        return (
            {IMPORTANT: 1, NEUTRAL: n - 1, UNIMPORTANT: 0}
            if n == 2
            else {IMPORTANT: 1, NEUTRAL: 0, UNIMPORTANT: 0}
        )
    side = max(1, round(n / 4))
    return {IMPORTANT: side, NEUTRAL: n - 2 * side, UNIMPORTANT: side}


def validate_pile_sizes(n: int, sizes: Mapping[str, int]) -> None:
    """Raise :class:`SortInvalid` unless the three pile sizes are ≥ 0 and sum to ``n`` (≥ 1)."""
    errors: dict[str, list[str]] = {}
    if n < 1:
        errors.setdefault("items", []).append(_("Choose at least one competency item."))
    for pile in PILES:
        if sizes.get(pile) is None or sizes[pile] < 0:
            errors.setdefault(f"{pile}_count", []).append(_("A pile size must be zero or more."))
    if not errors and sum(sizes[p] for p in PILES) != n:
        errors.setdefault("__all__", []).append(
            _(
                "The pile sizes add up to %(total)d but the round has %(n)d items; they must be "
                "equal."
            )
            % {"total": sum(sizes[p] for p in PILES), "n": n}
        )
    if errors:
        raise SortInvalid(errors)


# --- one rater's sort --------------------------------------------------------------------------


def validate_sort(
    *,
    items: Sequence[ItemId],
    pile_sizes: Mapping[str, int],
    placements: Sequence[Placement],
    labels: Mapping[ItemId, str] | None = None,
) -> list[ItemId]:
    """Check one rater's flat + absolute sort and return the full ranking (most important first).

    Rules: every item of the round placed exactly once, no unknown item, each pile holds
    exactly its fixed number of items, and the ranks inside a pile are exactly 1..size.
    Raises :class:`SortInvalid` with all problems found, keyed "placements" (items) or the
    pile name (sizes and order).
    """
    labels = labels or {}

    def label(item: ItemId) -> str:
        return str(labels.get(item, item))

    errors: dict[str, list[str]] = {}
    known = set(items)
    seen: dict[ItemId, Placement] = {}
    for placement in placements:
        if placement.item not in known:
            errors.setdefault("placements", []).append(
                _("“%(item)s” is not an item of this round.") % {"item": label(placement.item)}
            )
        elif placement.item in seen:
            errors.setdefault("placements", []).append(
                _("“%(item)s” is placed more than once.") % {"item": label(placement.item)}
            )
        else:
            seen[placement.item] = placement
        if placement.pile not in PILES:
            errors.setdefault("placements", []).append(
                _("“%(pile)s” is not a pile; use important, neutral or unimportant.")
                % {"pile": placement.pile}
            )
    for item in items:
        if item not in seen:
            errors.setdefault("placements", []).append(
                _("“%(item)s” has not been put into a pile.") % {"item": label(item)}
            )
    by_pile: dict[str, list[Placement]] = {pile: [] for pile in PILES}
    for placement in seen.values():
        if placement.pile in by_pile:
            by_pile[placement.pile].append(placement)
    pile_names = {IMPORTANT: _("important"), NEUTRAL: _("neutral"), UNIMPORTANT: _("unimportant")}
    for pile in PILES:
        got, wanted = len(by_pile[pile]), pile_sizes.get(pile, 0)
        if got != wanted:
            errors.setdefault(pile, []).append(
                _("The %(pile)s pile must hold exactly %(wanted)d items; it holds %(got)d.")
                % {"pile": pile_names[pile], "wanted": wanted, "got": got}
            )
        ranks = sorted(p.rank for p in by_pile[pile])
        if ranks != list(range(1, len(ranks) + 1)):
            errors.setdefault(pile, []).append(
                _("Order the %(pile)s pile strictly: ranks must be 1 to %(size)d, each used once.")
                % {"pile": pile_names[pile], "size": len(ranks)}
            )
    if errors:
        raise SortInvalid(errors)
    ranking: list[ItemId] = []
    for pile in PILES:
        ranking.extend(p.item for p in sorted(by_pile[pile], key=lambda p: p.rank))
    return ranking


# --- aggregation and the forced distribution ----------------------------------------------------


def effective_half_width(n: int, requested: int) -> int:
    """The ``k`` actually used for ``n`` items: the largest ``k ≤ requested`` whose forced
    distribution leaves no column empty (0 for one or two items)."""
    k = max(0, min(requested, (n - 1) // 2))
    while k > 0 and 0 in forced_distribution(n, k):
        k -= 1
    return k


def forced_distribution(n: int, k: int) -> list[int]:
    """Column sizes for scores -k..+k (index 0 is -k) summing to ``n``, symmetric, binomial-shaped.

    Ideal sizes are ``n * C(2k, j) / 4^k``. Outer columns get the floor of their ideal size;
    a symmetric pair of columns gets one more item each when its remainder is at least 1/2 and
    the middle column stays the largest and at least its ideal size rounded down; the middle
    column takes the rest.
    """
    if n < 0 or k < 0:
        raise ValueError("n and k must be non-negative")
    if k == 0:
        return [n]
    total = 4**k
    ideal = [Fraction(n * comb(2 * k, j), total) for j in range(2 * k + 1)]
    sizes = [int(x) for x in ideal]
    middle_floor = sizes[k]
    # Inner columns first: an inner column's ideal size is never below an outer one's, so the
    # left half stays non-decreasing towards the centre (a unimodal, bell-like shape).
    for j in range(k - 1, -1, -1):
        if ideal[j] - sizes[j] < Fraction(1, 2):
            continue
        new_middle = n - 2 * sum(sizes[:k]) - 2
        if new_middle >= max(middle_floor, sizes[k - 1] + (1 if j == k - 1 else 0)):
            sizes[j] += 1
    for j in range(k):
        sizes[2 * k - j] = sizes[j]
    sizes[k] = n - 2 * sum(sizes[:k])
    return sizes


def position_scores(n: int, k: int) -> list[int]:
    """The column score of each position 1..n of the combined order (+k first, -k last)."""
    scores: list[int] = []
    sizes = forced_distribution(n, k)
    for column in range(2 * k, -1, -1):
        scores.extend([column - k] * sizes[column])
    return scores


def weights_from_scores(scores: Sequence[float], k: int) -> list[float]:
    """Positive weights summing to 1: ``(score + k + 1) / Σ(score + k + 1)``; [] for no scores."""
    raw = [s + k + 1 for s in scores]
    total = sum(raw)
    return [r / total for r in raw] if total else []


def round_weights(weights: Sequence[float], places: int = 5) -> list[Decimal]:
    """Decimals with ``places`` places that sum to exactly 1 (largest remainder method).

    Order is preserved: a weight never ends up below a smaller one, because on equal
    remainders the earlier (larger or equal) weight gets the extra unit first. Weights that
    are equal before rounding may differ by one unit (0.00001) afterwards — the price of an
    exact sum; the exact shared score is kept in the round's result.
    """
    if not weights:
        return []
    unit = Decimal(1).scaleb(-places)
    scaled = [Decimal(repr(w)) / unit for w in weights]
    floors = [s.to_integral_value(rounding=ROUND_FLOOR) for s in scaled]
    missing = int(Decimal(1) / unit - sum(floors))
    order = sorted(range(len(weights)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[: max(missing, 0)]:
        floors[i] += 1
    return [(f * unit).quantize(unit) for f in floors]


def aggregate_rankings(
    *, items: Sequence[ItemId], rankings: Sequence[Sequence[ItemId]], half_width: int = 3
) -> list[AggregatedItem]:
    """Combine full rankings (each a permutation of ``items``) into weighted rows.

    Returns rows in combined order (see the module docstring); [] when there are no items.
    Raises ValueError when there is no ranking or one is not a permutation of ``items``.
    """
    n = len(items)
    if n == 0:
        return []
    if not rankings:
        raise ValueError("at least one ranking is needed")
    positions: dict[ItemId, list[int]] = {item: [] for item in items}
    for ranking in rankings:
        if len(ranking) != n or set(ranking) != set(items):
            raise ValueError("every ranking must order every item exactly once")
        for place, item in enumerate(ranking, start=1):
            positions[item].append(place)
    # Fractions keep the mean exact so ties are detected exactly, not by float luck.
    mean = {item: Fraction(sum(p), len(p)) for item, p in positions.items()}
    dictionary_order = {item: i for i, item in enumerate(items)}
    ordered = sorted(items, key=lambda item: (mean[item], dictionary_order[item]))
    k = effective_half_width(n, half_width)
    base_scores = position_scores(n, k)

    scores: list[float] = []
    places: list[int] = []
    start = 0
    while start < n:
        end = start
        while end + 1 < n and mean[ordered[end + 1]] == mean[ordered[start]]:
            end += 1
        group_score = sum(base_scores[start : end + 1]) / (end - start + 1)
        scores.extend([group_score] * (end - start + 1))
        places.extend([start + 1] * (end - start + 1))
        start = end + 1
    weights = weights_from_scores(scores, k)
    return [
        AggregatedItem(
            item=item,
            mean_rank=float(mean[item]),
            position=places[i],
            score=scores[i],
            weight=weights[i],
            ranks=positions[item],
        )
        for i, item in enumerate(ordered)
    ]
