"""The exam blueprint: how an exam's places are shared among the competency items of the
candidate's position, by the weights its published Q-sort round set. Pure arithmetic, no
database: promotion.selectors builds the blueprint, casebase.selectors.exam_draw follows it;
competency_tally reads a graded attempt back per item (the result page, the gap analysis)."""

from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def apportion(
    total: int, weights: Mapping[K, Decimal | float | int], floor: Decimal | float | int = 0
) -> dict[K, int]:
    """Share ``total`` places among the keys of ``weights`` in proportion to their weights
    (largest-remainder method, Hamilton): each key gets the whole part of its quota
    ``total·w/Σw``, the places left go to the largest fractional parts (ties: the heavier
    key, then the order of ``weights``). Every key whose weight is above ``floor`` gets at
    least one place: such a key whose quota is below one is given exactly one and the
    others share what is left, again by weight. Keys of weight 0 (or less) get nothing.

    The result has every key of ``weights`` and sums exactly to ``total`` — unless no key
    has a positive weight (all 0) or ``total`` ≤ 0. When more keys are above the floor than
    there are places, the heaviest ``total`` of them get one each."""
    order = {key: i for i, key in enumerate(weights)}
    exact = {
        key: Fraction(str(w)) if not isinstance(w, int) else Fraction(w)
        for key, w in weights.items()
    }
    counts = dict.fromkeys(weights, 0)
    positive = [key for key in weights if exact[key] > 0]
    if total <= 0 or not positive:
        return counts
    bar = Fraction(str(floor)) if not isinstance(floor, int) else Fraction(floor)

    def heaviest_first(key):
        return (-exact[key], order[key])

    guaranteed = sorted((key for key in positive if exact[key] > bar), key=heaviest_first)
    if len(guaranteed) >= total:
        for key in guaranteed[:total]:
            counts[key] = 1
        return counts
    fixed: set = set()
    while True:  # a guaranteed key whose share is below one place gets exactly one
        free = [key for key in positive if key not in fixed]
        seats = total - len(fixed)
        weight = sum(exact[key] for key in free)
        small = [key for key in free if key in guaranteed and seats * exact[key] < weight]
        if not free or not small:
            break
        fixed.update(small)
    for key in fixed:
        counts[key] = 1
    free = [key for key in positive if key not in fixed] or sorted(fixed, key=heaviest_first)
    seats = total - sum(counts.values())
    weight = sum(exact[key] for key in free)
    quotas = {key: seats * exact[key] / weight for key in free}
    for key in free:
        counts[key] += int(quotas[key])  # floor: quotas are non-negative
    left = total - sum(counts.values())
    by_remainder = sorted(
        free, key=lambda key: (-(quotas[key] - int(quotas[key])), -exact[key], order[key])
    )
    for key in by_remainder[:left]:
        counts[key] += 1
    return counts


def competency_tally(questions: Iterable[Mapping], answers: Mapping) -> dict[int, tuple[int, int]]:
    """{competency item id: (right answers, questions)} of a graded exam attempt, over the
    questions drawn from cases tagged with the item (the tags stored on each question at
    draw time, ``competency_ids``; a question of a case with several tags counts for each),
    in the order the items first appear. ``answers``: question id → the option given."""
    tally: dict[int, list[int]] = {}
    for question in questions:
        right = int(answers.get(question["id"]) == question["answer"])
        for item_id in question.get("competency_ids") or ():
            counts = tally.setdefault(item_id, [0, 0])
            counts[0] += right
            counts[1] += 1
    return {item_id: (right, total) for item_id, (right, total) in tally.items()}
