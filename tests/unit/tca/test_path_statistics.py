"""Expected cost over many paths: antithetic pairs, paired differences, and when a winner is named."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tca.counterfactual import ShortfallDistribution, cost_verdict, pair_means, standard_error, t_975

D = Decimal


def distribution(label, *values):
    return ShortfallDistribution(label, "TWAP", tuple(D(v) for v in values), D(1))


def test_a_pairs_mean_is_one_observation_so_the_standard_error_counts_pairs():
    # given four paths: two antithetic pairs whose drift all but cancels
    values = [D("40"), D("-36"), D("-50"), D("54")]

    # then the pairs' means are 2 and 2: no spread of the mean at all, however wide the paths
    assert pair_means(values) == [D(2), D(2)]
    assert standard_error(values) == 0
    # and with pairs apart by 2 bps the standard error is stdev(1, 3) / √2 = 1
    assert standard_error([D(1), D(1), D(3), D(3)]) == 1
    assert standard_error([D(1), D(1)]) is None  # one pair is no spread


def test_a_leader_is_named_only_when_it_is_cheaper_than_every_other_on_the_paired_paths():
    # given a market order with no risk and two algorithms that carry the drift path by path
    market = distribution("Market order", "4", "4", "4", "4", "4", "4")
    twap = distribution("TWAP", "41", "-38", "-49", "52", "30", "-27")  # pair means 1.5, 1.5, 1.5
    vwap = distribution("VWAP", "42", "-37", "-48", "53", "31", "-26")  # always 1 bps above TWAP

    # when the paths judge them
    verdict = cost_verdict([market, twap, vwap])

    # then TWAP leads, and both others cost significantly more: VWAP exactly 1 bps, path by path
    assert verdict.leader == "TWAP" and verdict.significant and verdict.best == "TWAP"
    assert [(e.label, e.mean_bps, e.standard_error_bps, e.significant) for e in verdict.excess] == [
        ("VWAP", D(1), D(0), True),
        ("Market order", D("2.5"), D(0), True),
    ]
    assert twap.mean_bps == D("1.5") and market.stdev_bps == 0 and twap.stdev_bps > 30


def test_a_lead_within_the_paths_luck_names_no_winner():
    # given two algorithms whose paired difference changes sign from pair to pair
    a = distribution("A", "10", "-8", "10", "-6", "10", "-10")  # pair means 1, 2, 0
    b = distribution("B", "10", "-7", "10", "-7", "10", "-7")  # pair means 1.5, 1.5, 1.5

    verdict = cost_verdict([b, a])

    # then A leads B by 0.5 bps on average (pairs' differences 0.5, -0.5, 1.5), but with a standard
    # error of 1/√3 and t(2) = 4.303 that is no verdict
    assert verdict.leader == "A" and verdict.runner_up.mean_bps == D("0.5")
    assert verdict.runner_up.standard_error_bps.quantize(D("0.0001")) == D("0.5774")
    assert not verdict.significant and verdict.best is None


def test_students_t_errs_towards_not_significant_between_its_keys():
    assert t_975(9) == D("2.262") and t_975(11) == t_975(10) == D("2.228") and t_975(500) == D("1.980")


@given(st.lists(st.integers(-5_000, 5_000), min_size=4, max_size=40).filter(lambda v: len(v) % 2 == 0))
def test_percentiles_are_ordered_and_bounded_by_the_paths(cents):
    d = distribution("X", *(D(c) / 100 for c in cents))
    low, high = min(d.shortfalls_bps), max(d.shortfalls_bps)
    assert low <= d.percentile(5) <= d.percentile(50) <= d.percentile(95) <= high
    assert low <= d.mean_bps <= high


def test_the_leader_of_one_alternative_alone_has_no_verdict():
    assert cost_verdict([distribution("A", "1", "2")]) is None
    with pytest.raises(ValueError):
        pair_means([D(1), D(2), D(3)])
