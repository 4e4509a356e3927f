"""The Q-sort maths (competency.qsort): validation, aggregation, forced distribution, weights."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competency import qsort
from competency.qsort import IMPORTANT, NEUTRAL, UNIMPORTANT, Placement

SIZES = {IMPORTANT: 1, NEUTRAL: 2, UNIMPORTANT: 1}
ITEMS = ["a", "b", "c", "d"]


def valid_placements():
    return [
        Placement("a", IMPORTANT, 1),
        Placement("b", NEUTRAL, 2),
        Placement("c", NEUTRAL, 1),
        Placement("d", UNIMPORTANT, 1),
    ]


# --- validate_sort ------------------------------------------------------------------------------


def test_a_valid_sort_gives_the_full_ranking_important_pile_first():
    # when
    ranking = qsort.validate_sort(items=ITEMS, pile_sizes=SIZES, placements=valid_placements())
    # then
    assert ranking == ["a", "c", "b", "d"]


def test_a_pile_with_the_wrong_number_of_items_is_rejected_with_the_sizes_in_the_message():
    # given: "d" moved from unimportant to important
    placements = valid_placements()[:3] + [Placement("d", IMPORTANT, 2)]
    # when
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_sort(items=ITEMS, pile_sizes=SIZES, placements=placements)
    # then
    assert exc.value.errors[IMPORTANT] == [
        "The important pile must hold exactly 1 items; it holds 2."
    ]
    assert exc.value.errors[UNIMPORTANT] == [
        "The unimportant pile must hold exactly 1 items; it holds 0."
    ]


def test_an_item_placed_twice_is_rejected():
    placements = valid_placements() + [Placement("a", NEUTRAL, 3)]
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_sort(
            items=ITEMS, pile_sizes=SIZES, placements=placements, labels={"a": "服务认知"}
        )
    assert "“服务认知” is placed more than once." in exc.value.errors["placements"]


def test_a_missing_item_is_rejected():
    placements = valid_placements()[:3]
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_sort(items=ITEMS, pile_sizes=SIZES, placements=placements)
    assert "“d” has not been put into a pile." in exc.value.errors["placements"]


def test_an_unknown_item_and_an_unknown_pile_are_rejected():
    placements = valid_placements() + [Placement("zz", "maybe", 1)]
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_sort(items=ITEMS, pile_sizes=SIZES, placements=placements)
    assert "“zz” is not an item of this round." in exc.value.errors["placements"]
    assert (
        "“maybe” is not a pile; use important, neutral or unimportant."
        in exc.value.errors["placements"]
    )


@pytest.mark.parametrize(
    "ranks", [(1, 1), (2, 3), (0, 1), (1, 3)], ids=["tie", "no-1", "zero", "gap"]
)
def test_a_pile_that_is_not_strictly_ordered_one_to_n_is_rejected(ranks):
    # given: the neutral pile ranked with a tie / gap / wrong start
    placements = [
        Placement("a", IMPORTANT, 1),
        Placement("b", NEUTRAL, ranks[0]),
        Placement("c", NEUTRAL, ranks[1]),
        Placement("d", UNIMPORTANT, 1),
    ]
    # when / then
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_sort(items=ITEMS, pile_sizes=SIZES, placements=placements)
    assert exc.value.errors == {
        NEUTRAL: ["Order the neutral pile strictly: ranks must be 1 to 2, each used once."]
    }


# --- pile sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, (1, 0, 0)),
        (2, (1, 1, 0)),
        (3, (1, 1, 1)),
        (4, (1, 2, 1)),
        (18, (4, 10, 4)),
        (20, (5, 10, 5)),
        (100, (25, 50, 25)),
    ],
)
def test_suggested_pile_sizes_are_about_a_quarter_a_half_and_a_quarter(n, expected):
    sizes = qsort.suggest_pile_sizes(n)
    assert (sizes[IMPORTANT], sizes[NEUTRAL], sizes[UNIMPORTANT]) == expected


@given(st.integers(min_value=1, max_value=500))
def test_suggested_pile_sizes_always_sum_to_the_number_of_items(n):
    sizes = qsort.suggest_pile_sizes(n)
    assert sum(sizes.values()) == n and min(sizes.values()) >= 0
    qsort.validate_pile_sizes(n, sizes)


@pytest.mark.parametrize("sizes, n", [((1, 2, 2), 4), ((1, 1, 1), 4), ((0, 0, 0), 1)])
def test_pile_sizes_not_summing_to_the_item_count_are_rejected(sizes, n):
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_pile_sizes(n, dict(zip(qsort.PILES, sizes, strict=True)))
    assert exc.value.errors["__all__"] == [
        f"The pile sizes add up to {sum(sizes)} but the round has {n} items; they must be equal."
    ]


def test_negative_pile_sizes_and_no_items_are_rejected():
    with pytest.raises(qsort.SortInvalid) as exc:
        qsort.validate_pile_sizes(0, {IMPORTANT: -1, NEUTRAL: 1, UNIMPORTANT: 0})
    assert exc.value.errors["important_count"] == ["A pile size must be zero or more."]
    assert exc.value.errors["items"] == ["Choose at least one competency item."]


# --- forced distribution ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, k, expected",
    [(1, 0, [1]), (4, 1, [1, 2, 1]), (16, 2, [1, 4, 6, 4, 1]), (100, 3, [2, 9, 23, 32, 23, 9, 2])],
)
def test_forced_distribution_follows_the_binomial_shape(n, k, expected):
    assert qsort.forced_distribution(n, k) == expected


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=6))
def test_forced_distribution_is_symmetric_unimodal_and_sums_to_n(n, k):
    sizes = qsort.forced_distribution(n, k)
    assert len(sizes) == 2 * k + 1
    assert sum(sizes) == n
    assert sizes == sizes[::-1]
    assert all(sizes[j] <= sizes[j + 1] for j in range(k))


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=6))
def test_effective_half_width_leaves_no_column_empty(n, k):
    used = qsort.effective_half_width(n, k)
    assert 0 <= used <= k
    assert 0 not in qsort.forced_distribution(n, used)


# --- aggregation --------------------------------------------------------------------------------


def test_one_rater_gives_a_weight_order_equal_to_their_ranking():
    # given
    items = list("abcdefg")
    # when
    rows = qsort.aggregate_rankings(items=items, rankings=[list("gfedcba")], half_width=1)
    # then: columns [2, 3, 2] for scores -1..+1, filled from the top
    assert [r.item for r in rows] == list("gfedcba")
    assert [r.score for r in rows] == [1, 1, 0, 0, 0, -1, -1]
    assert [round(r.weight, 6) for r in rows] == [round(x / 14, 6) for x in (3, 3, 2, 2, 2, 1, 1)]
    assert [r.position for r in rows] == [1, 2, 3, 4, 5, 6, 7]


def test_many_raters_are_combined_by_mean_rank():
    # given: "b" is first for two raters of three
    rankings = [list("abcd"), list("bacd"), list("bcad")]
    # when
    rows = qsort.aggregate_rankings(items=list("abcd"), rankings=rankings, half_width=1)
    # then: mean ranks b=(2+1+1)/3, a=(1+2+3)/3, c=(3+3+2)/3, d=4
    assert [r.item for r in rows] == list("bacd")
    assert [round(r.mean_rank, 4) for r in rows] == [1.3333, 2.0, 2.6667, 4.0]
    assert rows[0].ranks == [2, 1, 1]


def test_tied_items_share_one_score_and_weight_and_keep_dictionary_order():
    # given: a and b swap places between two raters, so their mean ranks are equal
    rows = qsort.aggregate_rankings(
        items=list("abcd"), rankings=[list("abcd"), list("bacd")], half_width=1
    )
    # then: columns [1, 2, 1]; the tie spans scores +1 and 0 → both get 0.5
    assert [r.item for r in rows] == list("abcd")
    assert rows[0].score == rows[1].score == 0.5
    assert rows[0].weight == rows[1].weight
    assert rows[0].position == rows[1].position == 1
    assert rows[2].position == 3


def test_a_complete_tie_gives_equal_weights():
    rows = qsort.aggregate_rankings(
        items=list("abc"), rankings=[list("abc"), list("bca"), list("cab")]
    )
    assert [r.weight for r in rows] == [pytest.approx(1 / 3)] * 3
    assert len({r.weight for r in rows}) == 1


@pytest.mark.parametrize("bad", [["a", "b"], ["a", "b", "b"], ["a", "b", "z"]])
def test_aggregation_refuses_a_ranking_that_is_not_a_permutation(bad):
    with pytest.raises(ValueError):
        qsort.aggregate_rankings(items=list("abc"), rankings=[list("abc"), bad])


def test_aggregation_needs_at_least_one_ranking():
    with pytest.raises(ValueError):
        qsort.aggregate_rankings(items=list("abc"), rankings=[])


@st.composite
def rounds(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    items = list(range(n))
    rankings = draw(st.lists(st.permutations(items), min_size=1, max_size=7))
    return items, rankings, draw(st.integers(min_value=1, max_value=5))


@settings(max_examples=150)
@given(rounds())
def test_weights_are_positive_sum_to_one_and_never_increase_down_the_ranking(data):
    items, rankings, k = data
    rows = qsort.aggregate_rankings(items=items, rankings=rankings, half_width=k)
    weights = [r.weight for r in rows]
    assert sorted(r.item for r in rows) == items
    assert all(w > 0 for w in weights)
    assert sum(weights) == pytest.approx(1)
    assert all(weights[i] >= weights[i + 1] - 1e-12 for i in range(len(weights) - 1))
    assert all(rows[i].mean_rank <= rows[i + 1].mean_rank for i in range(len(rows) - 1))
    # items with the same mean rank share one weight
    for a in rows:
        for b in rows:
            if a.mean_rank == b.mean_rank:
                assert a.weight == b.weight


@settings(max_examples=100)
@given(rounds())
def test_weights_of_a_single_rater_are_symmetric_around_the_middle(data):
    # One rater → no ties, so the scores mirror the symmetric forced distribution.
    items, rankings, k = data
    rows = qsort.aggregate_rankings(items=items, rankings=rankings[:1], half_width=k)
    scores = [r.score for r in rows]
    assert scores == [-s for s in reversed(scores)]
    assert sum(scores) == 0


@given(st.lists(st.floats(min_value=0.001, max_value=1), min_size=1, max_size=60))
def test_rounded_weights_sum_to_exactly_one_and_keep_the_order(raw):
    raw = sorted(raw, reverse=True)
    weights = [w / sum(raw) for w in raw]
    rounded = qsort.round_weights(weights)
    assert sum(rounded) == Decimal(1)
    assert all(rounded[i] >= rounded[i + 1] for i in range(len(rounded) - 1))
    assert all(abs(float(r) - w) <= 1e-5 for r, w in zip(rounded, weights, strict=True))
