"""The opening auction: the day's first event, the official open, on the listing venue."""

import random
import statistics

import pytest

from routing.market.book import AT_OPEN, BUY, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.messages import ACCEPTED, CANCELED, FILLED, MIDPOINT, REJECTED
from routing.market.simulator import MarketSimulator
from routing.market.venues import AUCTION, DEFAULT_VENUES

DAY_S = 7200  # a two-hour day: the opening interest scales with the day's length
OPEN = CLOSE_NS - DAY_S * NS_PER_S


def new_sim(seed=7, open_ns=OPEN):
    return MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=open_ns, close_ns=CLOSE_NS, warm_up_seed=seed
    )


def test_the_day_begins_with_one_opening_cross_on_the_listing_venue_at_one_price():
    # given a fresh day
    sim = new_sim()
    # when the first step runs
    prints = sim.run_until(OPEN + 5 * NS_PER_S, random.Random(1))
    # then the opening cross comes first: at the open, on NYSE, at the official open's price
    cross = sim.opening_cross
    at_open = [p for p in prints if p.time_ns == OPEN]
    assert cross.venue == "NYSE" and cross.time_ns == OPEN and cross.volume > 0
    assert prints[: len(at_open)] == at_open
    assert {(p.venue, p.price_half_ticks, p.aggressor_side) for p in at_open} == {
        ("NYSE", cross.price_half_ticks, MIDPOINT)
    }
    assert sum(p.quantity for p in at_open) == cross.volume
    # and the feed publishes it once, as the OPEN phase
    (published,) = sim.take_auction_messages()
    assert (published.phase, published.price_half_ticks, published.paired, published.imbalance) == (
        "OPEN",
        cross.price_half_ticks,
        cross.volume,
        cross.imbalance,
    )
    # and the next step opens nothing again
    sim.run_until(OPEN + 10 * NS_PER_S, random.Random(2))
    assert sim.take_auction_messages() == [] and sim.opening_cross == cross


def test_the_open_leaves_a_book_that_is_not_crossed_near_the_fair_value():
    for seed in range(6):
        sim = new_sim(seed)
        sim.run_until(OPEN, random.Random(seed))
        bid, ask = sim.nbbo()
        assert bid < ask
        assert abs(sim.opening_cross.price_half_ticks / 2 - sim.fair_value_ticks()) / sim.fair_value_ticks() < 30e-4


def test_the_open_trades_one_to_two_percent_of_the_day():
    """US large caps trade about 1-2% of the day's volume in the opening auction (NYSE and
    Nasdaq opening-cross statistics; e.g. Nasdaq Economic Research, "The Importance of the
    Closing and Opening Auctions", 2018: ~1% open, 7-10% close for the S&P 500)."""
    shares = []
    for seed in range(6):
        sim = new_sim(seed)
        volume = 0
        while sim.clock_ns < CLOSE_NS:
            until = min(sim.clock_ns + 10 * NS_PER_S, CLOSE_NS)
            volume += sum(p.quantity for p in sim.run_until(until, random.Random(f"{seed}:{until}")))
        shares.append(sim.opening_cross.volume / volume)
    assert 0.01 <= statistics.mean(shares) <= 0.02, shares


def test_the_same_seed_opens_at_the_same_price_whatever_the_first_step():
    short, long = new_sim(3, OPEN_NS), new_sim(3, OPEN_NS)
    short.run_until(OPEN_NS + NS_PER_S, random.Random(1))
    long.run_until(OPEN_NS + 30 * NS_PER_S, random.Random(9))
    assert short.opening_cross == long.opening_cross


def test_a_checkpoint_from_before_the_opening_auction_opens_nothing_mid_day():
    # given a simulator pickled before the opening auction existed: no _day_opened of its own
    sim = new_sim()
    del sim._day_opened
    # when it runs on
    sim.run_until(OPEN + 5 * NS_PER_S, random.Random(1))
    # then no cross: its day opened long ago
    assert sim.opening_cross is None and sim.take_auction_messages() == []


def reports_for(sim, order_id):
    return [r for r in sim.take_reports(CLOSE_NS) if r.order_id == order_id]


def send_for_the_open(sim, *, side=BUY, quantity=5_000, price_half_ticks=None, venue="NYSE"):
    return sim.send_order(
        random.Random(1),
        venue=venue,
        side=side,
        quantity=quantity,
        price_half_ticks=price_half_ticks,
        owner="us",
        tif=AT_OPEN,
    )


def test_a_market_on_open_order_sent_before_the_first_event_is_filled_at_the_official_open():
    # given the same day twice, once with our market-on-open buy of 5,000 in the pre-open
    alone, with_ours = new_sim(), new_sim()
    moo = send_for_the_open(with_ours)
    # when the day opens
    alone.run_until(OPEN + NS_PER_S, random.Random(1))
    with_ours.run_until(OPEN + NS_PER_S, random.Random(1))
    # then all of it trades in the cross, at the official open, as an auction fill
    reports = reports_for(with_ours, moo)
    assert [(r.kind, r.quantity, r.leaves) for r in reports] == [(ACCEPTED, 0, 5_000), (FILLED, 5_000, 0)]
    fill = reports[1]
    cross = with_ours.opening_cross
    assert (fill.price_half_ticks, fill.liquidity, fill.venue_time_ns) == (cross.price_half_ticks, AUCTION, OPEN)
    # and our buying is in the uncrossing: it pairs more shares, at no lower a price, than the
    # market alone would have (the market maker sells what the buyers' surplus needs)
    before = alone.opening_cross
    assert cross.volume > before.volume and cross.price_half_ticks >= before.price_half_ticks


def test_every_market_order_for_the_open_pairs_and_one_far_limit_does_not_set_the_open():
    # given days whose opening interest leaves a market-order surplus on one side or the other,
    # and on each a small limit-on-open order 5% away on the other side
    for seed in range(8):
        sim = new_sim(seed)
        fair = sim.fair_value_ticks()
        interest = sim._opening_interest()
        at_market = {side: sum(o.quantity for o in interest if o.price is None and o.side == side) for side in (1, -1)}
        surplus_side = BUY if at_market[BUY] > at_market[SELL] else SELL
        far = round(fair * (1 + surplus_side * 0.05))
        send_for_the_open(sim, side=-surplus_side, quantity=500, price_half_ticks=2 * far)
        # when the day opens
        sim.run_until(OPEN + NS_PER_S, random.Random(1))
        # then every market order paired (the market maker takes the surplus at the fair value),
        # and the open is near the fair value, not at the far limit
        cross = sim.opening_cross
        assert cross.volume >= max(at_market.values()), seed
        assert abs(cross.price_half_ticks / 2 - fair) / fair < 30e-4, seed


def test_a_limit_on_open_beyond_the_open_is_cancelled_by_the_cross():
    sim = new_sim()
    far_above = 2 * sim.nbbo()[1] + 400  # a sell 2% over the market
    loo = send_for_the_open(sim, side=SELL, quantity=1_000, price_half_ticks=far_above)
    sim.run_until(OPEN + NS_PER_S, random.Random(1))
    assert [(r.kind, r.quantity, r.reason) for r in reports_for(sim, loo)] == [
        (ACCEPTED, 0, ""),
        (CANCELED, 1_000, "not executed in the opening auction"),
    ]


@pytest.mark.parametrize(
    ("venue", "opened", "reason"),
    [
        ("NASDAQ", False, "opening auction orders go to the listing venue, NYSE"),
        ("NYSE", True, "the opening auction has run"),
    ],
)
def test_an_order_for_the_open_elsewhere_or_after_the_cross_is_rejected(venue, opened, reason):
    sim = new_sim()
    if opened:
        sim.run_until(OPEN + NS_PER_S, random.Random(1))
    order = send_for_the_open(sim, venue=venue, quantity=100)
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(2))
    assert [(r.kind, r.reason) for r in reports_for(sim, order)] == [(REJECTED, reason)]
