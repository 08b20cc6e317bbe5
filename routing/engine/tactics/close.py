"""The auctions: a parent for the closing auction sends what it has to do as one market-on-close
order (limit-on-close at its limit) to the listing venue before the cutoff, and nothing else; a
parent for the opening auction sends one market-on-open (limit-on-open) order before the
cross, or nothing once the market has opened. Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...market.book import AT_CLOSE, AT_OPEN
from ...sor import CLOSE_ORDER, OPEN_ORDER
from ..state import AUCTION, ParentState

if TYPE_CHECKING:
    from ..step import Step


def work_close(step: Step, parent: ParentState, now_ns: int) -> None:
    plan = parent.plan
    live = [c for c in parent.children.values() if not c.cancel_sent]
    committed = parent.filled + parent.open_quantity()
    if not plan.active or committed > plan.quantity:  # stopped, or cut below what is in the auction
        for child in live:
            step.cancel(child)  # refused after the cutoff: what is in the auction stays there
        return
    room = (plan.quantity - committed) // plan.lot_size * plan.lot_size
    if room and now_ns < step.sim.cutoff_ns and step.may_send(plan, step.sim.listing):
        _send_to_auction(step, parent, room, tif=AT_CLOSE, order_type=CLOSE_ORDER)


def work_open(step: Step, parent: ParentState) -> None:
    """Only a parent the day's first step takes in reaches the cross: it runs before any later
    decision, so afterwards there is nothing to send, and what the cross left is not done."""
    plan = parent.plan
    if parent.children or step.sim.day_opened or not plan.active:
        return
    room = (plan.quantity - parent.filled) // plan.lot_size * plan.lot_size
    if room and step.sim.listing not in plan.excluded_venues:
        _send_to_auction(step, parent, room, tif=AT_OPEN, order_type=OPEN_ORDER)


def _send_to_auction(step: Step, parent: ParentState, quantity: int, *, tif: str, order_type: str) -> None:
    """One order for the listing venue's auction: at the parent's limit, or at market."""
    limit = parent.plan.limit
    step.send(
        parent,
        venue=step.sim.listing,
        tactic=AUCTION,
        quantity=quantity,
        price_half_ticks=None if limit is None else 2 * limit,
        tif=tif,
        order_type=order_type,
    )
