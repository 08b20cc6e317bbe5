import random
import statistics

import pytest

from routing.market.book import AT_CLOSE, BUY, DAY, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S
from routing.market.closing import CUTOFF_S
from routing.market.messages import ACCEPTED, CANCELED, FILLED, REJECTED
from routing.market.simulator import MarketSimulator
from routing.market.venues import AUCTION, DEFAULT_VENUES

DAY_S = 7200  # a two-hour day: the close's calibration scales with the day's own volume
OPEN = CLOSE_NS - DAY_S * NS_PER_S
CUTOFF = CLOSE_NS - CUTOFF_S * NS_PER_S


def new_sim(seed=7):
    return MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN, close_ns=CLOSE_NS, warm_up_seed=seed
    )


def run_to(sim, end_ns, *, seed=7, step_s=10):
    """Run in steps as sessions do; returns the tape's volume."""
    volume = 0
    while sim.clock_ns < end_ns:
        until = min(sim.clock_ns + step_s * NS_PER_S, end_ns)
        volume += sum(p.quantity for p in sim.run_until(until, random.Random(f"{seed}:{until}")))
    return volume


def reports_for(sim, order_id):
    return [r for r in sim.take_reports(CLOSE_NS) if r.order_id == order_id]


def test_the_close_trades_about_a_twelfth_of_the_day_near_the_last_continuous_price():
    # given: eight days, each run to just before the close and then through it
    shares, dislocations = [], []
    for seed in range(8):
        sim = new_sim(seed)
        volume = run_to(sim, CLOSE_NS - 10 * NS_PER_S, seed=seed)
        before = sim.mid_ticks_x2()
        volume += run_to(sim, CLOSE_NS, seed=seed)
        cross = sim.closing_cross
        # then: one cross on the listing venue, on the tape
        assert cross.venue == "NYSE" and cross.time_ns == CLOSE_NS and cross.volume > 0
        shares.append(cross.volume / volume)
        dislocations.append(abs(cross.price_half_ticks - before) / before * 1e4)
    # US large caps trade 7-10% of the day in the closing auction, within a few bps of the last mid
    assert 0.07 <= statistics.mean(shares) <= 0.10, shares
    assert statistics.median(dislocations) <= 6, dislocations


def test_a_market_on_close_order_executes_at_the_official_close_as_an_auction_fill():
    # given: a MOC buy sent before the cutoff
    sim = new_sim()
    run_to(sim, CUTOFF - 60 * NS_PER_S)
    moc = sim.send_order(
        random.Random(1), venue="NYSE", side=BUY, quantity=5_000, price_half_ticks=None, owner="us", tif=AT_CLOSE
    )
    run_to(sim, CUTOFF)
    assert sim.indication().paired > 0
    # when: the day closes
    run_to(sim, CLOSE_NS)
    # then: all of it at the closing price, reported by the close, with the auction's fee
    reports = reports_for(sim, moc)
    assert [(r.kind, r.quantity, r.leaves) for r in reports] == [(ACCEPTED, 0, 5_000), (FILLED, 5_000, 0)]
    fill = reports[1]
    assert (fill.price_half_ticks, fill.liquidity, fill.venue_time_ns) == (
        sim.closing_cross.price_half_ticks,
        AUCTION,
        CLOSE_NS,
    )
    assert sim.specs["NYSE"].fee(5_000, AUCTION) == 5_000 * sim.specs["NYSE"].auction_fee
    phases = [m.phase for m in sim.take_auction_messages()]
    assert phases.count("INDICATIVE") == CUTOFF_S // 5 and phases[-1] == "CLOSE"


def test_a_limit_on_close_beyond_the_close_is_not_executed_and_is_cancelled_by_the_close():
    sim = new_sim()
    run_to(sim, CUTOFF - 60 * NS_PER_S)
    far_below = 2 * sim.nbbo()[0] - 400  # a buy 2% under the market
    loc = sim.send_order(
        random.Random(1), venue="NYSE", side=BUY, quantity=1_000, price_half_ticks=far_below, owner="us", tif=AT_CLOSE
    )
    run_to(sim, CLOSE_NS)
    assert [(r.kind, r.quantity, r.reason) for r in reports_for(sim, loc)] == [
        (ACCEPTED, 0, ""),
        (CANCELED, 1_000, "not executed in the closing auction"),
    ]


@pytest.mark.parametrize(
    ("venue", "at_ns", "reason"),
    [
        ("NASDAQ", CUTOFF - 60 * NS_PER_S, "closing auction orders go to the listing venue, NYSE"),
        ("NYSE", CUTOFF + NS_PER_S, "after the closing auction's order cutoff"),
    ],
)
def test_an_auction_order_elsewhere_or_after_the_cutoff_is_rejected(venue, at_ns, reason):
    sim = new_sim()
    run_to(sim, at_ns)
    order = sim.send_order(
        random.Random(1), venue=venue, side=SELL, quantity=100, price_half_ticks=None, owner="us", tif=AT_CLOSE
    )
    run_to(sim, at_ns + NS_PER_S)
    assert [(r.kind, r.reason) for r in reports_for(sim, order)] == [(REJECTED, reason)]


def test_an_auction_order_cancels_before_the_cutoff_and_not_after():
    sim = new_sim()
    run_to(sim, CUTOFF - 60 * NS_PER_S)
    rng = random.Random(1)
    early = sim.send_order(rng, venue="NYSE", side=BUY, quantity=300, price_half_ticks=None, owner="us", tif=AT_CLOSE)
    late = sim.send_order(rng, venue="NYSE", side=BUY, quantity=300, price_half_ticks=None, owner="us", tif=AT_CLOSE)
    run_to(sim, CUTOFF - 30 * NS_PER_S)
    sim.send_cancel(rng, early, venue="NYSE")
    run_to(sim, CUTOFF + 10 * NS_PER_S)
    sim.send_cancel(rng, late, venue="NYSE")
    run_to(sim, CLOSE_NS)
    reports = sim.take_reports(CLOSE_NS)
    assert [r.kind for r in reports if r.order_id == early] == [ACCEPTED, CANCELED]
    late_reports = [(r.kind, r.reason) for r in reports if r.order_id == late]
    assert late_reports[:2] == [
        (ACCEPTED, ""),
        (REJECTED, "closing auction orders cannot be cancelled after the cutoff"),
    ]
    assert late_reports[2][0] in (FILLED, CANCELED)  # it stayed in the auction


def test_at_the_close_resting_orders_expire_and_orders_in_flight_are_answered():
    # given: a buy resting far from the touch, and one sent a moment before the close
    sim = new_sim()
    run_to(sim, CLOSE_NS - 60 * NS_PER_S)
    rng = random.Random(1)
    resting = sim.send_order(
        rng, venue="NASDAQ", side=BUY, quantity=100, price_half_ticks=2 * sim.nbbo()[0] - 200, owner="us"
    )
    run_to(sim, CLOSE_NS - NS_PER_S)
    sim.clock_ns = CLOSE_NS - 1_000  # a microsecond before the close: it cannot arrive in time
    in_flight = sim.send_order(
        rng, venue="NASDAQ", side=BUY, quantity=100, price_half_ticks=2 * sim.nbbo()[0] - 200, owner="us", tif=DAY
    )
    # when
    run_to(sim, CLOSE_NS)
    # then: the close answers both, and nothing of ours is left anywhere
    reports = sim.take_reports(CLOSE_NS)
    assert [(r.kind, r.reason) for r in reports if r.order_id == resting] == [
        (ACCEPTED, ""),
        (CANCELED, "expired at the close"),
    ]
    assert [(r.kind, r.reason) for r in reports if r.order_id == in_flight] == [(REJECTED, "market closed")]
    assert not sim._ours and not sim.take_reports(1 << 62)


def test_the_same_seed_closes_at_the_same_price():
    crosses = []
    for _ in range(2):
        sim = new_sim(3)
        run_to(sim, CLOSE_NS, seed=3)
        crosses.append(sim.closing_cross)
    assert crosses[0] == crosses[1]
