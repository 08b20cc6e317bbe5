import math
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.algorithms.almgren_chriss import optimal_trajectory, risk_aversion_for_urgency
from routing.algorithms.schedules import (
    PovSchedule,
    ScheduleSpec,
    ShortfallSchedule,
    TwapSchedule,
    VolumeProfile,
    VwapSchedule,
    participation_cap,
)
from routing.market.book import BUY
from routing.sor import (
    DarkPoolInfo,
    QueueOption,
    Scorecard,
    VenueQuote,
    optimal_split,
    plan_dark,
    plan_sequential,
)

# Almgren & Chriss (2000), section 3 example: 1M shares over 5 days in 5 periods.
PAPER = dict(shares=1e6, horizon=5, periods=5, sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=0.0625)


def test_zero_risk_aversion_is_the_straight_line_with_hand_computed_cost():
    t = optimal_trajectory(**PAPER, risk_aversion=0)
    assert t.holdings == pytest.approx((1e6, 8e5, 6e5, 4e5, 2e5, 0))
    assert t.trades == pytest.approx((2e5,) * 5)
    # ½γX² + εX + η̃/τ·Σn² with η̃ = 2.5e-6 − 2.5e-7/2 = 2.375e-6
    assert t.expected_cost == pytest.approx(125_000 + 62_500 + 475_000)
    # σ²τ(0.8² + 0.6² + 0.4² + 0.2²)·10¹²
    assert t.variance == pytest.approx(0.9025 * 1.2e12)


def test_discrete_kappa_solves_cosh_not_the_continuous_limit():
    t = optimal_trajectory(**PAPER, risk_aversion=2e-6)
    # κ̃² = λσ²/η̃ = 2e-6 · 0.9025 / 2.375e-6 = 0.76; cosh(κτ) = 1 + 0.76/2
    assert t.kappa == pytest.approx(math.acosh(1.38))
    assert abs(t.kappa - math.sqrt(0.76)) > 0.02
    expected = [1e6 * math.sinh(t.kappa * (5 - j)) / math.sinh(t.kappa * 5) for j in range(6)]
    assert t.holdings == pytest.approx(expected)
    assert sum(t.trades) == pytest.approx(1e6)
    eta_tilde = 2.375e-6
    assert t.expected_cost == pytest.approx(
        0.5 * 2.5e-7 * 1e12 + 0.0625 * 1e6 + eta_tilde * sum(n * n for n in t.trades)
    )
    assert t.variance == pytest.approx(0.9025 * sum(x * x for x in expected[1:]))


@given(st.floats(min_value=0, max_value=1e-5), st.floats(min_value=1e-5, max_value=1e-4))
def test_more_risk_aversion_costs_more_and_risks_less(low, extra):
    calm = optimal_trajectory(**PAPER, risk_aversion=low)
    urgent = optimal_trajectory(**PAPER, risk_aversion=low + extra)
    assert urgent.expected_cost >= calm.expected_cost - 1e-6
    assert urgent.variance <= calm.variance + 1e-6
    assert urgent.holdings[1] <= calm.holdings[1] + 1e-6  # front-loaded


def test_urgency_maps_to_the_risk_aversion_with_that_kappa():
    lam = risk_aversion_for_urgency(urgency=3.0, horizon=5, periods=5, sigma=0.95, eta=2.5e-6, gamma=2.5e-7)
    assert optimal_trajectory(**PAPER, risk_aversion=lam).kappa * 5 == pytest.approx(3.0)


SPEC = ScheduleSpec(quantity=10_000, start_ns=0, end_ns=1_000, lot_size=100, max_participation=1.0)


def test_twap_is_linear_in_lots_and_capped_by_participation():
    assert TwapSchedule(SPEC).target(500, others_volume=10**9) == 5_000
    capped = ScheduleSpec(10_000, 0, 1_000, 100, max_participation=0.2)
    # ours ≤ 0.2/(0.8) · others
    assert TwapSchedule(capped).target(500, others_volume=8_000) == 2_000
    assert participation_cap(capped, 0) == 100  # one lot is always allowed


def test_pov_trades_its_rate_of_all_volume_own_included():
    pov = PovSchedule(SPEC, rate=0.10)
    assert pov.target(10, others_volume=90_000) == 10_000  # 10% of 100,000 total
    assert pov.target(10, others_volume=45_000) == 5_000


def test_vwap_follows_the_profile():
    profile = VolumeProfile(0, 1_000, (1.0, 3.0))  # a quarter of the volume in the first half
    assert VwapSchedule(SPEC, profile).target(500, others_volume=10**9) == 2_500
    assert VwapSchedule(SPEC, profile).target(750, others_volume=10**9) == 6_200  # 0.25 + 0.75/2 → 6,250 in lots


def test_shortfall_front_loads_with_urgency_and_zero_is_twap():
    twap_like = ShortfallSchedule.plan(SPEC, urgency=0.0)
    urgent = ShortfallSchedule.plan(SPEC, urgency=5.0)
    assert twap_like.target(500, 10**9) == 5_000
    assert urgent.target(200, 10**9) > 6_000
    assert urgent.target(1_000, 10**9) == 10_000


QUOTES = [
    VenueQuote("NYSE", 10_001, 300, Decimal("0.0030")),
    VenueQuote("BATS", 10_001, 200, Decimal("-0.0006")),
    VenueQuote("NASDAQ", 10_002, 100, Decimal("0.0030")),
]


def test_sequential_routes_to_the_best_ranked_venue_at_the_best_price():
    placement = plan_sequential(side=BUY, quantity=1_000, limit=None, quotes=QUOTES, ranking=["NYSE", "BATS"])
    assert (placement.venue, placement.quantity, placement.limit) == ("NYSE", 300, 10_001)
    assert plan_sequential(side=BUY, quantity=1_000, limit=10_000, quotes=QUOTES, ranking=["NYSE"]) is None


def test_scorecard_learns_fill_probability_and_ranks_toxic_venues_last():
    card = Scorecard()
    for _ in range(10):
        card.order_done("DARKX", "MIDPEG", filled_any=True)
        card.order_done("DARKY", "MIDPEG", filled_any=False)
        card.marked_out("DARKX", -4.0)  # the price moved against us after fills there
    assert card.stats("DARKX").fill_probability("MIDPEG") == pytest.approx((10 + 2) / 14)
    assert card.stats("DARKY").fill_probability("MIDPEG") == pytest.approx(2 / 14)
    ranked = card.rank(["DARKX", "DARKY"], "MIDPEG", {"DARKX": 0.1, "DARKY": 0.1})
    # cost = fee − markout − 2·p: DARKX 0.1 + 4 − 1.71 = 2.39; DARKY 0.1 − 0 − 0.29 = −0.19
    assert ranked == ["DARKY", "DARKX"]


def test_dark_plan_respects_minimum_fills():
    card = Scorecard()
    pools = [DarkPoolInfo("DARKX", 200), DarkPoolInfo("DARKY", 100)]
    plan = plan_dark(quantity=1_000, lot_size=100, pools=pools, scorecard=card)
    assert sum(q for _, q in plan) == 1_000
    assert all(q >= 100 for _, q in plan)
    assert plan_dark(quantity=100, lot_size=100, pools=[DarkPoolInfo("DARKX", 200)], scorecard=card) == []


def test_cont_kukanov_posts_where_queues_are_short_and_takes_when_they_are_hopeless():
    options = [
        QueueOption("NYSE", queue=50_000, rebate=0.2, expected_outflow=2_000),
        QueueOption("NASDAQ", queue=0, rebate=0.25, expected_outflow=3_000),
    ]
    split = optimal_split(
        quantity=1_000,
        lot_size=100,
        half_spread=0.5,
        taker_fee=0.3,
        options=options,
        under_penalty=2.0,
        over_penalty=1.0,
        rng=random.Random(1),
    )
    assert split.limits.get("NASDAQ", 0) >= 1_000 and "NYSE" not in split.limits
    hopeless = [QueueOption("NYSE", queue=50_000, rebate=0.2, expected_outflow=100)]
    split = optimal_split(
        quantity=1_000,
        lot_size=100,
        half_spread=0.5,
        taker_fee=0.3,
        options=hopeless,
        under_penalty=2.0,
        over_penalty=1.0,
        rng=random.Random(1),
    )
    assert split.market == 1_000 and not split.limits
