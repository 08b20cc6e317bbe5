"""At the close: a parent for the closing auction sends what it has to do as one market-on-close
order (limit-on-close at its limit) to the listing venue before the cutoff, and nothing else.
Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...market.book import AT_CLOSE
from ...sor import CLOSE_ORDER
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
    venue = step.sim.listing
    room = (plan.quantity - committed) // plan.lot_size * plan.lot_size
    if not room or now_ns >= step.sim.cutoff_ns or not step.may_send(plan, venue):
        return
    step.send(
        parent,
        venue=venue,
        tactic=AUCTION,
        quantity=room,
        price_half_ticks=None if plan.limit is None else 2 * plan.limit,
        tif=AT_CLOSE,
        order_type=CLOSE_ORDER,
    )
