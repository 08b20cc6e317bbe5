"""Aggressive: IOCs through the touch, swept in parallel over every venue or sent to one at a
time by scorecard rank; a liquidity seeker pings the dark pools first. Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...market.book import BUY, IOC
from ...market.clock import NS_PER_S
from ...sor import IOC_ORDER, Placement, VenueQuote, plan_sequential, plan_sweep
from ..state import AGGRESSIVE, LIQUIDITY_SEEKING, SEQUENTIAL, ParentPlan, ParentState
from .dark import ping_dark

if TYPE_CHECKING:
    from ..step import Step

DARK_PING_EVERY_NS = 2 * NS_PER_S  # a liquidity seeker pings the pools before each lit sweep, at most this often


def take(step: Step, parent: ParentState, quantity: int, far: int) -> None:
    plan = parent.plan
    if quantity <= 0:
        return
    if plan.routing == LIQUIDITY_SEEKING and step.sim.clock_ns - parent.dark_pinged_ns > DARK_PING_EVERY_NS:
        # Dark first: midpoint IOCs find the contra resting in the pools; what they do not
        # fill crosses the lit spread at the next decision.
        parent.dark_pinged_ns = step.sim.clock_ns
        if ping_dark(step, parent, quantity):
            return
    reach = far + plan.sweep_ticks * plan.side
    limit = reach if plan.limit is None else (min(reach, plan.limit) if plan.side == BUY else max(reach, plan.limit))
    quotes = _quotes(step, plan, limit)
    if plan.routing == SEQUENTIAL:
        fee_bps = step.fee_bps(taker=True)
        ranking = step.state.scorecard.rank(list(step.lit_venues(plan)), IOC_ORDER, fee_bps)
        placement = plan_sequential(side=plan.side, quantity=quantity, limit=limit, quotes=quotes, ranking=ranking)
        placements = [] if placement is None else [placement]
    else:  # one IOC per venue, reaching as deep as the sweep planned there
        merged: dict[str, Placement] = {}
        for p in plan_sweep(side=plan.side, quantity=quantity, limit=limit, quotes=quotes):
            seen = merged.get(p.venue)
            deepest = p.limit if seen is None or (p.limit - seen.limit) * plan.side > 0 else seen.limit
            merged[p.venue] = Placement(p.venue, p.quantity + (seen.quantity if seen else 0), deepest)
        placements = list(merged.values())
    for p in placements:
        size = p.quantity // plan.lot_size * plan.lot_size
        if size:
            step.send(
                parent,
                venue=p.venue,
                tactic=AGGRESSIVE,
                quantity=size,
                price_half_ticks=2 * p.limit,
                tif=IOC,
                order_type=IOC_ORDER,
            )


def _quotes(step: Step, plan: ParentPlan, limit: int) -> list[VenueQuote]:
    """Every displayed level within ``limit`` on every lit venue the parent may trade on."""
    quotes = []
    side = plan.side
    for code, book in step.lit_venues(plan).items():
        fee = step.sim.specs[code].taker_fee
        for price, quantity in book.depth(-side, levels=50):
            if (price - limit) * side > 0:
                break
            quotes.append(VenueQuote(code, price, quantity, fee))
    return quotes
