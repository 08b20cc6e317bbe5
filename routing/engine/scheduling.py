"""Which schedule each algorithm follows, and with what. Pure Python."""

from __future__ import annotations

from orders.domain.values import Strategy

from ..algorithms.schedules import (
    CloseSchedule,
    ImmediateSchedule,
    PovSchedule,
    ScheduleSpec,
    ShortfallSchedule,
    TwapSchedule,
    VwapSchedule,
)
from ..market.clock import NS_PER_S
from .state import IMMEDIATE, ExecutionState, ParentPlan


def _vwap(spec: ScheduleSpec, plan: ParentPlan, state: ExecutionState) -> VwapSchedule:
    assert state.profile is not None, "a VWAP parent needs the volume profile"
    return VwapSchedule(spec, state.profile)


def _shortfall(spec: ScheduleSpec, plan: ParentPlan, state: ExecutionState) -> ShortfallSchedule:
    periods = max(10, min(200, (plan.end_ns - spec.start_ns) // (30 * NS_PER_S)))
    return ShortfallSchedule.plan(spec, urgency=plan.urgency, periods=periods)


SCHEDULES = {
    IMMEDIATE: lambda spec, plan, state: ImmediateSchedule(spec),
    Strategy.TWAP: lambda spec, plan, state: TwapSchedule(spec),
    Strategy.VWAP: _vwap,
    Strategy.POV: lambda spec, plan, state: PovSchedule(spec, plan.pov_rate),
    Strategy.IS: _shortfall,
    Strategy.CLOSE: lambda spec, plan, state: CloseSchedule(spec),
    Strategy.OPEN: lambda spec, plan, state: ImmediateSchedule(spec, name=Strategy.OPEN),
}


def schedule_for(plan: ParentPlan, state: ExecutionState, *, start_ns: int, quantity: int):
    """The schedule ``plan``'s algorithm follows for ``quantity`` shares from ``start_ns``."""
    spec = ScheduleSpec(
        quantity=quantity,
        start_ns=start_ns,
        end_ns=plan.end_ns,
        lot_size=plan.lot_size,
        max_participation=plan.max_participation,
        aggressiveness=plan.aggressiveness,
    )
    return SCHEDULES[plan.strategy](spec, plan, state)
