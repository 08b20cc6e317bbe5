"""The opening auction: the day's first event, the official open, on the listing venue."""

import random
import statistics

from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.messages import MIDPOINT
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

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
