"""Venue incidents: drawn per trading day, applied by the simulator, routed around by the engine."""

import random
from collections import Counter
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from routing.algorithms.schedules import VolumeProfile
from routing.engine.state import ExecutionState, ParentPlan
from routing.engine.step import run_step
from routing.market.book import BUY
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.incidents import DEGRADED, DOWN, REJECTING, UP, VenueIncident, day_incidents
from routing.market.messages import ACCEPTED, CANCELED, REJECTED
from routing.market.simulator import MarketSimulator
from routing.market.venues import DARK, DEFAULT_VENUES

T0 = OPEN_NS // NS_PER_S + 600  # 09:40
NYSE_DOWN = VenueIncident("NYSE", DOWN, T0, T0 + 120)
DEFAULT_VENUES_BY_CODE = {v.code: v for v in DEFAULT_VENUES}


def sim_with(*incidents):
    return MarketSimulator(
        venues=DEFAULT_VENUES,
        reference_ticks=10_000,
        open_ns=OPEN_NS,
        close_ns=CLOSE_NS,
        warm_up_seed=7,
        incidents=incidents,
    )


@given(st.integers(0, 10_000))
def test_a_days_incidents_are_its_seeds_alone_inside_the_day_and_never_leave_the_lit_market_dark(seed):
    incidents = day_incidents(f"day-{seed}", DEFAULT_VENUES, open_ns=OPEN_NS, close_ns=CLOSE_NS)
    assert incidents == day_incidents(f"day-{seed}", DEFAULT_VENUES, open_ns=OPEN_NS, close_ns=CLOSE_NS)
    lit_down = [i for i in incidents if i.status == DOWN and i.venue not in ("DARKX", "DARKY")]
    for incident in incidents:
        assert incident.start_s >= OPEN_NS // NS_PER_S + 900 and incident.end_s <= CLOSE_NS // NS_PER_S
        assert 120 <= incident.end_s - incident.start_s <= 1_200
    for a in lit_down:
        for b in lit_down:
            assert a is b or a.end_s <= b.start_s or b.end_s <= a.start_s


def test_over_many_days_each_venue_meets_an_incident_about_three_days_in_ten():
    days = [day_incidents(f"d{n}", DEFAULT_VENUES, open_ns=OPEN_NS, close_ns=CLOSE_NS) for n in range(1_000)]
    per_venue = Counter(i.venue for day in days for i in day)
    kinds = Counter(i.status for day in days for i in day)
    assert set(per_venue) == {v.code for v in DEFAULT_VENUES}
    assert all(250 <= n <= 340 for n in per_venue.values()), per_venue  # 0.3 less the lit overlaps refused
    assert set(kinds) == {DOWN, DEGRADED, REJECTING}
    # a desk with five names and five venues almost always sees one in a day
    assert sum(1 for day in days if day) / len(days) > 0.75


def test_a_venue_that_goes_down_leaves_the_nbbo_cancels_what_rested_there_and_refuses_orders():
    # given our bid resting on NYSE before NYSE goes down at 09:40 for two minutes
    sim = sim_with(NYSE_DOWN)
    rng = random.Random(1)
    sim.run_until((T0 - 60) * NS_PER_S, rng)
    bid, _ = sim.nbbo()
    resting = sim.send_order(rng, venue="NYSE", side=BUY, quantity=100, price_half_ticks=(bid - 5) * 2, owner="us")
    sim.run_until((T0 - 30) * NS_PER_S, rng)
    assert [r.kind for r in sim.take_reports((T0 - 30) * NS_PER_S) if r.order_id == resting] == [ACCEPTED]
    assert sim.take_status_changes() == []

    # when the market runs through the incident
    sim.run_until((T0 + 10) * NS_PER_S, rng)

    # then the status message is published at 09:40, and our order there was cancelled
    (down,) = sim.take_status_changes()
    assert (down.time_ns, down.venue, down.status) == (T0 * NS_PER_S, "NYSE", DOWN)
    reports = [r for r in sim.take_reports((T0 + 10) * NS_PER_S) if r.order_id == resting]
    assert [(r.kind, r.reason) for r in reports] == [(CANCELED, "venue down: order cancelled")]
    # NYSE's book no longer sets the NBBO, nothing trades there, and a new order is refused
    others = [sim.books[c] for c in ("NASDAQ", "BATS")]
    assert sim.nbbo() == (max(b.bid_prices[-1] for b in others), min(b.ask_prices[0] for b in others))
    refused = sim.send_order(rng, venue="NYSE", side=BUY, quantity=100, price_half_ticks=None, owner="us")
    prints = sim.run_until((T0 + 100) * NS_PER_S, rng)
    assert prints and not [p for p in prints if p.venue == "NYSE"]
    assert [(r.kind, r.reason) for r in sim.take_reports((T0 + 100) * NS_PER_S) if r.order_id == refused] == [
        (REJECTED, "venue down")
    ]

    # and at 09:42 it is back up and trading
    prints = sim.run_until((T0 + 400) * NS_PER_S, rng)
    (up,) = sim.take_status_changes()
    assert (up.time_ns, up.venue, up.status) == ((T0 + 120) * NS_PER_S, "NYSE", UP)
    assert [p for p in prints if p.venue == "NYSE"]


def test_a_degraded_venue_acknowledges_slower_and_a_rejecting_one_refuses_new_orders():
    sim = sim_with(VenueIncident("NASDAQ", DEGRADED, T0, T0 + 300, 20), VenueIncident("BATS", REJECTING, T0, T0 + 300))
    rng = random.Random(2)
    sim.run_until((T0 + 1) * NS_PER_S, rng)
    sent = {
        venue: sim.send_order(rng, venue=venue, side=BUY, quantity=100, price_half_ticks=2 * 9_000, owner="us")
        for venue in ("NYSE", "NASDAQ", "BATS")
    }
    sim.run_until((T0 + 5) * NS_PER_S, rng)
    reports = {r.order_id: r for r in sim.take_reports((T0 + 5) * NS_PER_S)}
    start = (T0 + 1) * NS_PER_S
    assert reports[sent["BATS"]].kind == REJECTED and reports[sent["BATS"]].reason == "venue rejecting new orders"
    nyse, nasdaq = reports[sent["NYSE"]].time_ns - start, reports[sent["NASDAQ"]].time_ns - start
    assert nasdaq > 10 * nyse  # 20 times the latency, both ways, less jitter


def test_the_engine_routes_nothing_to_a_venue_that_is_down_and_fills_elsewhere():
    # given a TWAP buy of 6,000 over the ten minutes NYSE is down
    sim = sim_with(VenueIncident("NYSE", DOWN, T0 - 1, T0 + 700))
    state = ExecutionState(profile=VolumeProfile(OPEN_NS, CLOSE_NS, (1.0,) * 78), tick_size=Decimal("0.01"))
    rng = random.Random(3)
    sim.run_until(T0 * NS_PER_S, rng)
    sim.take_status_changes()
    start = sim.clock_ns
    plan = ParentPlan(1, BUY, 6_000, 0, None, start, start + 600 * NS_PER_S, 100, "TWAP")

    # when it runs step by step
    children, statuses, filled = [], [], 0
    for step in range(130):
        outcome = run_step(sim, state, [plan], end_ns=start + (step + 1) * 5 * NS_PER_S, rng=random.Random(step))
        children += outcome.children
        statuses += outcome.venue_statuses
        filled += sum(f.quantity for f in outcome.fills)
        if 1 not in state.parents:
            break

    # then no child went to NYSE, the parent filled on the other venues, and NYSE came back
    assert children and not [c for c in children if c.venue == "NYSE"]
    assert filled == 6_000
    assert {c.venue for c in children} <= {v.code for v in DEFAULT_VENUES if v.code != "NYSE"}
    assert any(DEFAULT_VENUES_BY_CODE[c.venue].kind != DARK for c in children)  # lit venues too
    assert statuses == []  # it finished inside the incident
