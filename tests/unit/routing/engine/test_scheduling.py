"""Every algorithm's schedule builds for any size, horizon and urgency, and stays within its parent."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.domain.urgency import URGENCY_TERMS
from routing.algorithms.schedules import VolumeProfile
from routing.engine.scheduling import SCHEDULES, schedule_for
from routing.engine.state import ExecutionState, ParentPlan
from routing.market.book import BUY
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS

STATE = ExecutionState(
    profile=VolumeProfile(OPEN_NS, CLOSE_NS, tuple(1.0 + (i % 7) for i in range(78))), tick_size=Decimal("0.01")
)


def plan_for(strategy, *, quantity, horizon_s, urgency, lot_size=100):
    return ParentPlan(
        parent_id=1,
        side=BUY,
        quantity=quantity,
        filled=0,
        limit=None,
        start_ns=OPEN_NS,
        end_ns=OPEN_NS + horizon_s * NS_PER_S,
        lot_size=lot_size,
        strategy=strategy,
        urgency=urgency,
    )


@settings(max_examples=300, deadline=None)
@given(
    strategy=st.sampled_from(sorted(SCHEDULES)),
    lots=st.integers(1, 100_000),
    lot_size=st.sampled_from([1, 10, 100]),
    horizon_s=st.integers(1, 6 * 3600),
    urgency=st.sampled_from([t.kappa_t for t in URGENCY_TERMS.values()]) | st.floats(0, 50),
    volume_per_s=st.integers(0, 10_000),
)
def test_every_schedule_builds_rises_and_stays_within_the_parent(
    strategy, lots, lot_size, horizon_s, urgency, volume_per_s
):
    quantity = lots * lot_size
    plan = plan_for(strategy, quantity=quantity, horizon_s=horizon_s, urgency=urgency, lot_size=lot_size)
    schedule = schedule_for(plan, STATE, start_ns=plan.start_ns, quantity=quantity)
    previous = 0
    for k in range(11):
        now = plan.start_ns + (plan.end_ns - plan.start_ns) * k // 10
        target = schedule.target(now, others_volume=volume_per_s * (now - plan.start_ns) // NS_PER_S)
        assert 0 <= target <= quantity
        assert target >= previous
        previous = target


@pytest.mark.parametrize("quantity", [100, 200, 1_000])
def test_a_small_urgent_shortfall_parent_gets_a_front_loaded_schedule(quantity):
    # A 100-share IS parent at HIGH urgency once made the model's η − γτ/2 negative and its
    # every step raise ("risk aversion cannot be negative"), freezing its instrument.
    plan = plan_for("IS", quantity=quantity, horizon_s=600, urgency=URGENCY_TERMS["HIGH"].kappa_t)
    schedule = schedule_for(plan, STATE, start_ns=plan.start_ns, quantity=quantity)
    halfway = schedule.target(plan.start_ns + 300 * NS_PER_S, others_volume=10**9)
    assert halfway >= quantity * 0.9 - 100  # κT = 6: nearly all done in the first half
    assert schedule.target(plan.end_ns, others_volume=10**9) == quantity
