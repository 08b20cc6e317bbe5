import copy
import pickle
import random
from decimal import Decimal

import pytest

from routing.algorithms.schedules import VolumeProfile
from routing.engine.state import ExecutionState, ParentPlan
from routing.engine.step import run_step
from routing.market.book import BUY, IOC, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.messages import ACCEPTED, CANCELED, FILLED, REJECTED
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

STEP = 5 * NS_PER_S
FLAT = VolumeProfile(OPEN_NS, CLOSE_NS, (1.0,) * 78)


def new_sim(seed=7):
    return MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, warm_up_seed=seed
    )


def new_state(sim):
    return ExecutionState(
        profile=FLAT,
        tick_size=Decimal("0.01"),
    )


def plan(filled=0, strategy="TWAP", **overrides):
    fields = dict(
        parent_id=1,
        side=BUY,
        quantity=10_000,
        filled=filled,
        limit=None,
        start_ns=OPEN_NS,
        end_ns=OPEN_NS + 600 * NS_PER_S,
        lot_size=100,
        strategy=strategy,
    )
    return ParentPlan(**(fields | overrides))


def run(sim, state, steps, first_step=0, filled=0, **overrides):
    outcomes = []
    for step in range(first_step, first_step + steps):
        parents = [plan(filled, **overrides)] if filled < 10_000 else []
        out = run_step(sim, state, parents, end_ns=sim.clock_ns + STEP, rng=random.Random(f"42:{step}"), step_no=step)
        filled += sum(f.quantity for f in out.fills)
        outcomes.append(copy.deepcopy(out))  # as of its step: later steps update live children
    return outcomes, filled


def test_same_seed_same_day():
    sim_a, sim_b = new_sim(), new_sim()
    a, _ = run(sim_a, new_state(sim_a), 60)
    b, _ = run(sim_b, new_state(sim_b), 60)
    assert a == b


def test_checkpoint_resume_is_identical_to_an_uninterrupted_run():
    sim = new_sim()
    uninterrupted, _ = run(sim, new_state(sim), 80)
    sim = new_sim()
    state = new_state(sim)
    first, filled = run(sim, state, 40)
    resumed_sim, resumed_state = pickle.loads(pickle.dumps((sim, state)))
    second, _ = run(resumed_sim, resumed_state, 40, first_step=40, filled=filled)
    assert first + second == uninterrupted


def test_consolidated_book_never_crosses_and_trades_happen():
    sim = new_sim()
    outcomes, filled = run(sim, new_state(sim), 200)
    assert sum(o.bar.volume for o in outcomes) > 0
    for o in outcomes:
        assert o.bar.bid is not None and o.bar.ask is not None
        assert o.bar.bid < o.bar.ask
    assert filled > 0


@pytest.mark.parametrize("strategy", ["TWAP", "VWAP", "IS"])
def test_parent_completes_never_overfills_and_children_add_up(strategy):
    sim = new_sim()
    outcomes, filled = run(sim, new_state(sim), 130, strategy=strategy)  # the 10-minute schedule ends at step 120
    assert filled == 10_000
    fills_by_child: dict[int, int] = {}
    for o in outcomes:
        for f in o.fills:
            fills_by_child[f.order_id] = fills_by_child.get(f.order_id, 0) + f.quantity
    last_seen = {c.order_id: c for o in outcomes for c in o.children}
    assert fills_by_child == {oid: c.filled for oid, c in last_seen.items() if c.filled}
    assert all(c.filled <= c.quantity for c in last_seen.values())
    assert {c.tactic for c in last_seen.values()} >= {"PASSIVE"}


def test_limit_holds_for_every_child():
    sim = new_sim()
    limit = sim.nbbo()[1] - 2  # below the offer: only passive buying can fill
    outcomes, _ = run(sim, new_state(sim), 60, limit=limit)
    children = [c for o in outcomes for c in o.children]
    assert children
    for child in children:
        assert child.price_half_ticks is None or child.price_half_ticks <= 2 * limit
    for fill in (f for o in outcomes for f in o.fills):
        assert fill.price_half_ticks <= 2 * limit


def test_inactive_parent_cancels_its_children():
    sim = new_sim()
    state = new_state(sim)
    filled = 0
    for step in range(60):  # until the parent has children working
        _, filled = run(sim, state, 1, first_step=step, filled=filled)
        if state.parents[1].children:
            break
    assert state.parents[1].children
    out = run_step(sim, state, [plan(filled, active=False)], end_ns=sim.clock_ns + STEP, rng=random.Random("x"))
    assert 1 not in state.parents  # every child cancelled within the step, the parent let go
    assert any(e.kind == "child.cancelled" for e in out.events)


def test_dark_pool_crosses_at_the_midpoint_above_minimum_size():
    sim = new_sim()
    rng = random.Random(3)
    order_id = sim.send_order(rng, venue="DARKX", side=BUY, quantity=5_000, price_half_ticks=None, owner="us")
    fills = []
    for i in range(120):
        prints = sim.run_until(sim.clock_ns + NS_PER_S, random.Random(i))
        for p in prints:
            if p.venue == "DARKX":
                assert p.quantity >= 200  # Dark Pool X's minimum fill
        fills += [r for r in sim.take_reports(sim.clock_ns) if r.kind == FILLED]
    assert fills, "contra interest arrived within two minutes"
    for f in fills:
        assert f.order_id == order_id


def test_venue_rejects_with_reasons():
    sim = new_sim()
    rng = random.Random(1)
    bid, ask = sim.nbbo()
    odd = sim.send_order(rng, venue="NYSE", side=BUY, quantity=100, price_half_ticks=2 * bid + 1, owner="us")
    crossing = sim.send_order(
        rng, venue="NASDAQ", side=BUY, quantity=100, price_half_ticks=2 * ask + 2, owner="us", post_only=True
    )
    empty = sim.send_order(rng, venue="BATS", side=SELL, quantity=0, price_half_ticks=2 * ask, owner="us")
    ioc = sim.send_order(
        rng, venue="BATS", side=SELL, quantity=100, price_half_ticks=2 * (ask + 5), owner="us", tif=IOC
    )
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(2))
    reports = {(r.order_id, r.kind): r for r in sim.take_reports(sim.clock_ns)}
    assert reports[(odd, REJECTED)].reason == "price off tick"
    assert reports[(crossing, REJECTED)].reason == "post-only order would cross"
    assert "quantity must be positive" in reports[(empty, REJECTED)].reason
    assert (ioc, ACCEPTED) in reports and reports[(ioc, CANCELED)].reason == "IOC remainder"
    for r in reports.values():
        assert r.time_ns > r.venue_time_ns  # reports come back after a latency


@pytest.mark.parametrize("routing,dark_expected", [("LIQUIDITY_SEEKING", True), ("PARALLEL", False)])
def test_only_liquidity_seeking_routing_goes_dark(routing, dark_expected):
    # over two days: hidden contra interest is rare, so one day's pegs may meet none
    outcomes = []
    for seed in (7, 8):
        sim = new_sim(seed)
        day, filled = run(sim, new_state(sim), 130, routing=routing)
        assert filled == 10_000
        outcomes.extend(day)
    dark_fills = [f for o in outcomes for f in o.fills if f.venue in ("DARKX", "DARKY")]
    assert bool(dark_fills) is dark_expected
    dark_children = [c for o in outcomes for c in o.children if c.venue in ("DARKX", "DARKY")]
    assert bool(dark_children) is dark_expected
    assert all(c.order_type == "MIDPEG" for c in dark_children)


def test_a_cancel_that_crosses_the_last_fill_is_rejected_as_too_late():
    sim = new_sim()
    rng = random.Random(5)
    ask = sim.nbbo()[1]
    order_id = sim.send_order(rng, venue="NYSE", side=BUY, quantity=100, price_half_ticks=2 * (ask + 3), owner="us")
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(6))  # it arrives and fills at once
    sim.send_cancel(rng, order_id, venue="NYSE")  # we have not read the fill yet
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(7))
    kinds = [(r.kind, r.reason) for r in sim.take_reports(sim.clock_ns) if r.order_id == order_id]
    assert kinds[0] == (ACCEPTED, "")
    assert (FILLED, "") in kinds
    assert kinds[-1] == (REJECTED, "too late: the order is already done")


def test_a_cancel_goes_to_the_venue_its_order_rests_at_and_no_other():
    # given a buy resting on NYSE, well below the market
    sim = new_sim()
    rng = random.Random(5)
    bid = sim.nbbo()[0]
    order_id = sim.send_order(rng, venue="NYSE", side=BUY, quantity=100, price_half_ticks=2 * (bid - 50), owner="us")
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(6))

    # when a cancel names another venue, it is refused before anything is sent
    with pytest.raises(ValueError, match=r"order \d+ is at NYSE, not BATS"):
        sim.send_cancel(rng, order_id, venue="BATS")

    # then the cancel on its own venue cancels it
    sim.send_cancel(rng, order_id, venue="NYSE")
    sim.run_until(sim.clock_ns + NS_PER_S, random.Random(7))
    kinds = [r.kind for r in sim.take_reports(sim.clock_ns) if r.order_id == order_id]
    assert kinds == [ACCEPTED, CANCELED]


def test_level1_is_the_nbbo_with_the_size_quoted_there_across_venues():
    sim = new_sim()
    sim.run_until(OPEN_NS + 30 * NS_PER_S, random.Random("l1"))

    top = sim.l1()

    assert (top.bid, top.ask) == sim.nbbo()
    assert top.time_ns == OPEN_NS + 30 * NS_PER_S
    depth = sim.l2(levels=1)
    assert top.bid_size == sum(q for d in depth.values() for p, q in d["bids"] if p == top.bid) > 0
    assert top.ask_size == sum(q for d in depth.values() for p, q in d["asks"] if p == top.ask) > 0
