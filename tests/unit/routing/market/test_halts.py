"""Volatility halts: limit up-limit down bands around the five-minute reference, a five-minute
pause on every venue, a reopening cross on the listing venue (the US LULD plan for Tier 1)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.market.book import BUY, DAY, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.halts import PAUSE_S, PAUSED, NewsJump, day_news_jumps
from routing.market.messages import ACCEPTED, CANCELED, REJECTED
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

JUMP_S = OPEN_NS // NS_PER_S + 3_600  # 10:30, inside the 5% bands' hours


def new_sim(move=0.08, seed=3, jump_s=JUMP_S):
    return MarketSimulator(
        venues=DEFAULT_VENUES,
        reference_ticks=10_000,
        open_ns=OPEN_NS,
        close_ns=CLOSE_NS,
        warm_up_seed=seed,
        news_jumps=[NewsJump(jump_s, move)] if move else [],
    )


def run_to(sim, end_ns, *, step_s=5, rng=None):
    """Run in steps; one generator for the whole run, so the steps' length changes nothing."""
    rng = rng or random.Random(f"run:{sim.clock_ns}")
    prints = []
    while sim.clock_ns < end_ns:
        prints.extend(sim.run_until(min(sim.clock_ns + step_s * NS_PER_S, end_ns), rng))
    return prints


@pytest.mark.parametrize("move, direction", [(0.08, "UP"), (-0.07, "DOWN")])
def test_news_beyond_the_band_pauses_every_venue_then_the_listing_venue_reopens_it(move, direction):
    # given a day whose news jumps at 10:30
    sim = new_sim(move)
    before = run_to(sim, JUMP_S * NS_PER_S - NS_PER_S)
    lower, upper = sim.price_bands(JUMP_S)
    assert 0.949 < lower / 20_000 < 0.951 and 1.049 < upper / 20_000 < 1.051  # 5% either side of ~100.00

    # when the market runs through the jump and the pause
    during = run_to(sim, (JUMP_S + PAUSE_S) * NS_PER_S - NS_PER_S)
    halt = sim.halt
    reopening = run_to(sim, (JUMP_S + PAUSE_S + 60) * NS_PER_S)

    # then it paused the second the news came, at the band it went through, for five minutes
    assert (halt.start_s, halt.end_s, halt.direction) == (JUMP_S, JUMP_S + PAUSE_S, direction)
    assert halt.band_half_ticks == (upper if direction == "UP" else lower)
    assert sim.halts == (halt,) and sim.halt is None
    # nothing printed outside the bands before it, and nothing at all in the pause
    assert all(lower <= p.price_half_ticks <= upper for p in before)
    assert all(p.time_ns < JUMP_S * NS_PER_S for p in during)
    # the listing venue reopened it with one cross near the news's new price
    crossed = [p for p in reopening if p.time_ns == halt.end_s * NS_PER_S]
    assert crossed and {(p.venue, p.price_half_ticks) for p in crossed} == {("NYSE", crossed[0].price_half_ticks)}
    assert abs(crossed[0].price_half_ticks / 20_000 - (1 + move)) < 0.01
    halted, reopened = [m for m in sim.take_auction_messages() if m.phase in ("HALT", "REOPEN")]
    assert (halted.phase, halted.time_ns, halted.price_half_ticks) == ("HALT", JUMP_S * NS_PER_S, halt.band_half_ticks)
    assert (reopened.phase, reopened.price_half_ticks, reopened.paired) == (
        "REOPEN",
        crossed[0].price_half_ticks,
        sum(p.quantity for p in crossed),
    )
    # and continuous trading goes on from the new price, uncrossed
    later = [p for p in reopening if p.time_ns > halt.end_s * NS_PER_S]
    assert later and all(abs(p.price_half_ticks / crossed[0].price_half_ticks - 1) < 0.005 for p in later)
    bid, ask = sim.nbbo()
    assert bid < ask


def test_in_the_pause_new_orders_and_replaces_are_refused_and_cancels_taken():
    # given an order of ours resting on NASDAQ before the news, and the market paused
    sim = new_sim()
    run_to(sim, JUMP_S * NS_PER_S - 30 * NS_PER_S)
    rng = random.Random(5)
    bid, _ = sim.nbbo()
    resting = sim.send_order(rng, venue="NASDAQ", side=BUY, quantity=300, price_half_ticks=2 * (bid - 20), owner="us")
    run_to(sim, (JUMP_S + 10) * NS_PER_S)
    assert sim.halted

    # when we send an order, replace the resting one and then cancel it
    new = sim.send_order(rng, venue="NYSE", side=SELL, quantity=100, price_half_ticks=None, owner="us", tif=DAY)
    sim.send_replace(rng, resting, venue="NASDAQ", quantity=400, price_half_ticks=2 * (bid - 21))
    run_to(sim, (JUMP_S + 20) * NS_PER_S)
    sim.send_cancel(rng, resting, venue="NASDAQ")
    run_to(sim, (JUMP_S + 30) * NS_PER_S)

    # then the order and the replace were refused for the pause, and the cancel was taken
    reports = sim.take_reports(1 << 62)
    assert [(r.kind, r.reason) for r in reports if r.order_id == new] == [(REJECTED, PAUSED)]
    assert [(r.kind, r.reason) for r in reports if r.order_id == resting] == [
        (ACCEPTED, ""),
        (REJECTED, PAUSED),
        (CANCELED, "requested"),
    ]


def test_ordinary_news_never_halts_a_day():
    # given two days with no news jumps, run through the busy open and close
    for seed in (1, 2):
        sim = new_sim(move=0, seed=seed)
        run_to(sim, CLOSE_NS, step_s=30)
        # then no pause: a few bps a minute never moves the price 5% in five minutes
        assert sim.halts == ()


def test_the_same_seed_pauses_and_reopens_alike_whatever_the_steps():
    first, second = new_sim(seed=4), new_sim(seed=4)
    run_to(first, (JUMP_S + PAUSE_S + 10) * NS_PER_S, step_s=5, rng=random.Random(1))
    run_to(second, (JUMP_S + PAUSE_S + 10) * NS_PER_S, step_s=7, rng=random.Random(1))
    reopened = [[m for m in sim.take_auction_messages() if m.phase == "REOPEN"] for sim in (first, second)]
    assert first.halts == second.halts and reopened[0] == reopened[1]


@given(seed=st.integers(0, 10_000), chance=st.sampled_from([0.0, 0.5, 1.0]))
@settings(max_examples=50, deadline=None)
def test_a_days_news_jumps_are_drawn_from_its_seed_inside_the_day(seed, chance):
    jumps = day_news_jumps(str(seed), open_ns=OPEN_NS, close_ns=CLOSE_NS, chance=chance)
    assert jumps == day_news_jumps(str(seed), open_ns=OPEN_NS, close_ns=CLOSE_NS, chance=chance)
    assert len(jumps) <= 1 and (chance < 1.0 or len(jumps) == 1) and (chance > 0.0 or not jumps)
    for jump in jumps:
        assert OPEN_NS // NS_PER_S + 1_800 <= jump.second <= CLOSE_NS // NS_PER_S - 3_600
        assert 0.06 <= abs(jump.move) <= 0.12
