"""How a parent works its schedule at each decision: pull what runs ahead, cross the spread
when behind by more than its aggressiveness tolerates (``aggressive``), rest midpoint pegs
in the dark pools for what is due (``dark``), post the rest at the touch (``passive``).
Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orders.domain.values import Strategy

from ...market.book import BUY
from ...market.clock import NS_PER_S
from ..children import clip
from ..state import AGGRESSIVE, DARK, LIQUIDITY_SEEKING, PASSIVE, ParentState
from .aggressive import take
from .close import work_close, work_open
from .dark import work_dark
from .passive import LOOKAHEAD_NS, work_passive

if TYPE_CHECKING:
    from ..step import Step

CATCH_UP_S = 30  # at aggressiveness 0 a parent may fall this many seconds of schedule behind before crossing
FINISH_NS = 60 * NS_PER_S  # in the last seconds of its horizon a parent takes what is left
# dark fills may run ahead of schedule by this share of the parent, or this much time, whichever is less
DARK_AHEAD_SHARE = 0.10
DARK_AHEAD_S = 60


def decide(step: Step, parent: ParentState, now_ns: int) -> None:
    plan = parent.plan
    if plan.strategy == Strategy.CLOSE:
        work_close(step, parent, now_ns)
        return
    if plan.strategy == Strategy.OPEN:
        work_open(step, parent)
        return
    live = [c for c in parent.children.values() if not c.cancel_sent]
    if not plan.active or now_ns >= plan.end_ns or parent.filled >= plan.quantity:
        for child in live:
            step.cancel(child)
        return
    if step.sim.halted:  # a volatility pause: venues take cancels only; the schedule catches up after it
        return
    lot = plan.lot_size
    target_now = parent.offset + parent.schedule.target(now_ns, parent.others_volume)
    target_ahead = parent.offset + parent.schedule.target(now_ns + LOOKAHEAD_NS, parent.others_volume)
    bid, ask = step.sim.nbbo()
    if bid is None or ask is None:
        return
    near, far = (bid, ask) if plan.side == BUY else (ask, bid)

    # Ahead of schedule: pull passive orders first, then dark beyond its allowance.
    rate_per_s = plan.quantity / max(1, (plan.end_ns - plan.start_ns) / NS_PER_S)
    dark_allowance = max(lot, int(min(plan.quantity * DARK_AHEAD_SHARE, rate_per_s * DARK_AHEAD_S)) // lot * lot)
    committed = parent.filled + parent.open_quantity()
    if committed > target_ahead:
        for child in sorted(live, key=lambda c: c.tactic != PASSIVE):
            if committed <= target_ahead + (dark_allowance if child.tactic == DARK else 0):
                break
            step.cancel(child)
            committed -= child.open

    room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
    behind = target_now - parent.filled
    tolerance = max(lot, int((1 - plan.aggressiveness) * rate_per_s * CATCH_UP_S) // lot * lot)
    if plan.end_ns - now_ns <= FINISH_NS and plan.strategy != "POV":
        # The last seconds: whatever is left is taken, so the parent completes on time.
        behind, tolerance = plan.quantity - parent.filled, 0
        for child in live:
            if child.tactic != AGGRESSIVE:
                step.cancel(child)
        room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
    in_flight = parent.open_quantity(AGGRESSIVE)
    catch_up = clip(behind - in_flight, lot, room, plan.quantity - parent.filled)
    if behind - in_flight > tolerance and catch_up:
        take(step, parent, catch_up, far)
        room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())

    if plan.end_ns - now_ns <= FINISH_NS and plan.strategy != "POV":
        return
    if plan.routing == LIQUIDITY_SEEKING:
        # Dark liquidity works what is already due: those shares would otherwise cross
        # the spread, and a midpoint fill beats that; passive lit works the rest.
        due = target_now - parent.filled - parent.open_quantity(AGGRESSIVE) - parent.open_quantity(DARK)
        work_dark(step, parent, due, room)
        room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
    work_passive(step, parent, target_ahead, near, room)
