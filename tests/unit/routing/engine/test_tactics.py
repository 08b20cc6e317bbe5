"""The engine's tactics and child life on a quiet market, where only what the test does happens."""

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from routing.algorithms.schedules import ScheduleSpec, TwapSchedule
from routing.engine.children import DONE_CANCELED, DONE_FILLED, LIVE
from routing.engine.state import AGGRESSIVE, DARK, PARALLEL, PASSIVE, ExecutionState, ParentPlan, ParentState
from routing.engine.step import Step
from routing.engine.tactics import FINISH_NS, decide
from routing.engine.tactics.passive import work_passive
from routing.market.book import BUY, IOC, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.flow import FlowParameters
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

QUIET = FlowParameters(events_per_s=1e-9)  # nobody else trades: every print is the test's doing


@pytest.fixture
def market():
    sim = MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, flow=QUIET, warm_up_seed=3
    )
    state = ExecutionState(
        profile=None,
        tick_size=Decimal("0.01"),
    )
    return sim, state, Step(sim, state, random.Random(1), step_no=0)


def parent_in(state, *, quantity=2_000, horizon_s=600, now_ns=OPEN_NS):
    plan = ParentPlan(
        parent_id=1,
        side=BUY,
        quantity=quantity,
        filled=0,
        limit=None,
        start_ns=now_ns,
        end_ns=now_ns + horizon_s * NS_PER_S,
        lot_size=100,
        strategy="TWAP",
        routing=PARALLEL,
    )
    spec = ScheduleSpec(quantity, plan.start_ns, plan.end_ns, 100, plan.max_participation, plan.aggressiveness)
    parent = ParentState(plan, TwapSchedule(spec), offset=0)
    state.parents[1] = parent
    return parent


def settle(sim, step, seconds=1):
    """Let the messages in flight arrive and the engine read the reports."""
    sim.run_until(sim.clock_ns + seconds * NS_PER_S, random.Random(2))
    step.apply_reports(sim.clock_ns)


def resting_at_bid(sim, state, step, quantity=1_000, venue="NYSE"):
    parent = parent_in(state)
    bid = sim.nbbo()[0]
    step.send(parent, venue=venue, tactic=PASSIVE, quantity=quantity, price_half_ticks=2 * bid)
    settle(sim, step)
    (child,) = parent.children.values()
    assert child.status == LIVE
    return parent, child, bid


def test_a_passive_order_follows_the_touch_and_loses_its_priority(market):
    # given: our bid of 1,000 rests at the touch on NYSE, at the back of its queue
    sim, state, step = market
    parent, child, bid = resting_at_bid(sim, state, step)
    book = sim.books["NYSE"]
    assert book.queue_ahead(child.order_id) == book.level_quantity(BUY, bid) - 1_000

    # when: someone improves the bid by a tick, and the parent works its passive orders
    book.submit(sim.next_order_id(), BUY, 300, bid + 1, "someone")
    work_passive(step, parent, target_ahead=1_000, near=bid + 1, room=1_000)
    settle(sim, step)

    # then: our order moved to the new touch, behind the order that got there first
    assert child.price_half_ticks == 2 * (bid + 1)
    assert book.get(child.order_id).price == bid + 1
    assert book.queue_ahead(child.order_id) == 300
    replaced = [e for e in step.events if e.kind == "child.replaced"]
    assert [(e.detail["quantity"], e.detail["price_half_ticks"]) for e in replaced] == [(1_000, 2 * (bid + 1))]


def test_a_size_down_replace_keeps_the_queue_position(market):
    # given: our bid of 1,000 rests at the touch, 900 shares queued ahead of it
    sim, state, step = market
    parent, child, bid = resting_at_bid(sim, state, step)
    book = sim.books["NYSE"]
    ahead = book.queue_ahead(child.order_id)

    # when: the schedule wants only 400 working
    work_passive(step, parent, target_ahead=400, near=bid, room=1_000)
    settle(sim, step)

    # then: the order shrank where it stands, at the same price
    assert (child.open, child.quantity, child.price_half_ticks) == (400, 400, 2 * bid)
    assert book.get(child.order_id).quantity == 400
    assert book.queue_ahead(child.order_id) == ahead


def test_in_the_finish_window_the_rest_is_taken_and_nothing_waits_at_the_touch(market):
    # given: a parent of 2,000 with 1,000 resting at the bid, 30 seconds before its end
    sim, state, step = market
    parent, child, _ = resting_at_bid(sim, state, step)
    end_ns = sim.clock_ns + FINISH_NS // 2
    parent.plan = replace(parent.plan, end_ns=end_ns)

    # when: it decides
    decide(step, parent, sim.clock_ns)

    # then: the passive order is being cancelled and IOCs swept over the venues take what
    # that leaves room for
    assert child.cancel_sent
    takers = [c for c in parent.children.values() if c.tactic == AGGRESSIVE]
    assert {c.order_type for c in takers} == {"IOC"}
    assert sum(c.quantity for c in takers) == 1_000
    assert parent.filled + parent.open_quantity() <= parent.plan.quantity

    # and once the cancel is confirmed, the next decision takes the other 1,000
    settle(sim, step)
    assert child.status == DONE_CANCELED
    decide(step, parent, sim.clock_ns)
    settle(sim, step)
    assert parent.filled == 2_000


def test_a_dark_peg_beyond_what_a_pending_cancel_leaves_is_cancelled(market):
    # given: a parent of 2,000 behind its schedule, with 1,000 resting as a midpoint peg in a pool
    sim, state, step = market
    parent = parent_in(state)
    pool = next(iter(sim.pools))
    step.send(parent, venue=pool, tactic=DARK, quantity=1_000, price_half_ticks=None, order_type="MIDPOINT")
    settle(sim, step)
    (peg,) = parent.children.values()
    assert peg.status == LIVE

    # when: a pending cancel leaves the engine 500 to work, halfway through the horizon
    parent.plan = replace(parent.plan, quantity=500)
    decide(step, parent, sim.clock_ns + 300 * NS_PER_S)

    # then: the peg is being cancelled: the parent never works for more than it has
    assert peg.cancel_sent
    settle(sim, step)
    assert peg.status == DONE_CANCELED
    assert parent.filled + parent.open_quantity() <= parent.plan.quantity


def test_a_cancel_that_races_a_fill_leaves_the_child_filled(market):
    # given: our bid of 1,000 rests at the back of the NYSE queue
    sim, state, step = market
    parent, child, bid = resting_at_bid(sim, state, step)
    book = sim.books["NYSE"]
    level = book.level_quantity(BUY, bid)

    # when: a seller takes the whole level, and we cancel before we have read the fill
    sim.send_order(
        random.Random(3), venue="NYSE", side=SELL, quantity=level, price_half_ticks=2 * bid, owner="seller", tif=IOC
    )
    sim.run_until(sim.clock_ns + 5_000_000, random.Random(4))  # it has traded; our report is on the wire
    step.cancel(child)
    settle(sim, step)

    # then: the fill counts, the venue's "too late" changes nothing, the child ended filled
    assert child.status == DONE_FILLED and child.filled == 1_000 and child.open == 0
    assert parent.filled == 1_000 and not parent.children
    assert [f.quantity for f in step.fills] == [1_000]
    kinds = [e.kind for e in step.events if e.order_id == child.order_id]
    assert kinds == ["child.placed", "child.filled"]
