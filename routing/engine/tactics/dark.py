"""Dark: midpoint pegs resting in the pools, sized by their fill probability; midpoint IOCs
that ping them before crossing the lit spread. Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...market.book import DAY, IOC
from ...sor import DARK_ORDER, DarkPoolInfo, plan_dark
from ..state import AGGRESSIVE, DARK, ParentState

if TYPE_CHECKING:
    from ..step import Step


def ping_dark(step: Step, parent: ParentState, quantity: int) -> bool:
    """Midpoint IOCs to the pools: they take the contra resting there, nothing rests."""
    return _send_dark(step, parent, quantity, tactic=AGGRESSIVE, tif=IOC)


def work_dark(step: Step, parent: ParentState, due: int, room: int) -> None:
    """Midpoint pegs resting in the pools for ``due`` shares (within ``room``)."""
    _send_dark(step, parent, min(room, due), tactic=DARK, tif=DAY)


def _send_dark(step: Step, parent: ParentState, quantity: int, *, tactic: str, tif: str) -> bool:
    plan = parent.plan
    quantity = quantity // plan.lot_size * plan.lot_size
    pools = [DarkPoolInfo(code, pool.spec.dark.min_fill) for code, pool in step.dark_pools(plan).items()]
    if not pools or quantity < min(p.min_fill for p in pools):
        return False
    limit = None if plan.limit is None else 2 * plan.limit
    sent = False
    for venue, size in plan_dark(
        quantity=quantity, lot_size=plan.lot_size, pools=pools, scorecard=step.state.scorecard
    ):
        size = size // plan.lot_size * plan.lot_size
        if size:
            step.send(
                parent,
                venue=venue,
                tactic=tactic,
                quantity=size,
                price_half_ticks=limit,
                tif=tif,
                order_type=DARK_ORDER,
                min_quantity=step.sim.pools[venue].spec.dark.min_fill,
            )
            sent = True
    return sent
