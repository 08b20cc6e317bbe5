from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from routing.algorithms.twap import twap_target
from routing.market.book import BUY, SELL
from routing.sor import VenueQuote, plan_sweep

QUOTES = [
    VenueQuote("NYSE", 10_001, 300, Decimal("0.0030")),
    VenueQuote("BATS", 10_001, 200, Decimal("-0.0006")),
    VenueQuote("NASDAQ", 10_000, 100, Decimal("0.0030")),
]


def test_sweep_takes_best_price_then_cheapest_venue():
    plan = plan_sweep(side=BUY, quantity=450, limit=None, quotes=QUOTES)
    assert [(p.venue, p.quantity, p.limit) for p in plan] == [
        ("NASDAQ", 100, 10_000),
        ("BATS", 200, 10_001),
        ("NYSE", 150, 10_001),
    ]


def test_sweep_respects_the_limit():
    plan = plan_sweep(side=BUY, quantity=450, limit=10_000, quotes=QUOTES)
    assert [(p.venue, p.quantity) for p in plan] == [("NASDAQ", 100)]


def test_sell_sweep_takes_the_highest_bid_first():
    bids = [VenueQuote("NYSE", 9_999, 100, Decimal(0)), VenueQuote("NASDAQ", 10_000, 100, Decimal(0))]
    assert [p.venue for p in plan_sweep(side=SELL, quantity=150, limit=None, quotes=bids)] == ["NASDAQ", "NYSE"]


@given(st.integers(min_value=0, max_value=5_000))
def test_sweep_never_plans_more_than_asked(quantity):
    assert sum(p.quantity for p in plan_sweep(side=BUY, quantity=quantity, limit=None, quotes=QUOTES)) <= quantity


@given(
    quantity=st.integers(min_value=1, max_value=10**6),
    lot=st.sampled_from([1, 100]),
    points=st.lists(st.integers(min_value=-10, max_value=1_100), min_size=2, max_size=30),
)
def test_twap_target_is_monotone_whole_lots_and_ends_at_the_quantity(quantity, lot, points):
    quantity *= lot
    targets = [twap_target(quantity=quantity, start_ns=0, end_ns=1_000, now_ns=t, lot_size=lot) for t in sorted(points)]
    assert targets == sorted(targets)
    assert all(t % lot == 0 and 0 <= t <= quantity for t in targets)
    assert twap_target(quantity=quantity, start_ns=0, end_ns=1_000, now_ns=1_000, lot_size=lot) == quantity
