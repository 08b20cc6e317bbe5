"""Passive: limit orders at our side's touch, split over the lit venues by the Cont–Kukanov
model; they follow the touch (a new price loses priority) and shrink keeping priority. Pure Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...market.book import BUY
from ...market.clock import NS_PER_S
from ...sor import LIMIT_ORDER, QueueOption, optimal_split
from ..children import LIVE, clip, round_lot
from ..state import AGGRESSIVE, DARK, PASSIVE, ParentState

if TYPE_CHECKING:
    from ..step import Step

LOOKAHEAD_NS = 30 * NS_PER_S  # passive and dark orders work for what is due this far ahead


def work_passive(step: Step, parent: ParentState, target_ahead: int, near: int, room: int) -> None:
    plan = parent.plan
    lot = plan.lot_size
    price = near if plan.limit is None else (min(near, plan.limit) if plan.side == BUY else max(near, plan.limit))
    passive = [c for c in parent.children.values() if c.tactic == PASSIVE and not c.cancel_sent]
    for child in passive:  # the touch moved away from us: follow it (a new price loses priority)
        if child.status == LIVE and (2 * price - child.price_half_ticks) * plan.side > 0:
            step.replace(child, open_quantity=child.open, price_half_ticks=2 * price)
    wanted = target_ahead - parent.filled - parent.open_quantity(AGGRESSIVE) - parent.open_quantity(DARK)
    resting = sum(c.open for c in passive)
    if resting - wanted >= lot:  # too much resting: shrink the newest, keeping priority
        for child in sorted(passive, key=lambda c: -c.order_id):
            excess = resting - max(wanted, 0)
            if excess < lot:
                break
            keep = (child.open - excess) // lot * lot
            if keep <= 0:
                step.cancel(child)
                resting -= child.open
            else:
                step.replace(child, open_quantity=keep, price_half_ticks=child.price_half_ticks)
                resting -= child.open - keep
        return
    extra = clip(wanted - resting, lot, room, plan.quantity - parent.filled)
    if not extra:
        return
    split = _split(step, parent, extra, price)
    for venue, size in split:
        step.send(parent, venue=venue, tactic=PASSIVE, quantity=size, price_half_ticks=2 * price)


def _split(step: Step, parent: ParentState, quantity: int, price: int) -> list[tuple[str, int]]:
    """Where to post: Cont–Kukanov over the lit venues' queues at our price."""
    plan = parent.plan
    lot = plan.lot_size
    tick = step.state.tick_size
    options = []
    lit = step.lit_venues(plan)
    for code, book in lit.items():
        spec = step.sim.specs[code]
        # about half of a venue's volume trades against our side of the book
        outflow = step.state.venue_rates.get(code, 0.0) * LOOKAHEAD_NS / NS_PER_S / 2
        options.append(QueueOption(code, book.level_quantity(plan.side, price), float(-spec.maker_fee / tick), outflow))
    half_spread = 0.5
    taker_fee = float(min(step.sim.specs[c].taker_fee for c in lit) / tick)
    split = optimal_split(
        quantity=quantity,
        lot_size=round_lot(lot) if quantity >= round_lot(lot) else lot,
        half_spread=half_spread,
        taker_fee=taker_fee,
        options=options,
        under_penalty=half_spread + taker_fee + 0.5 + plan.aggressiveness,
        over_penalty=half_spread + 0.5,
        rng=step.rng,
    )
    result, total = [], 0
    for venue, size in sorted(split.limits.items(), key=lambda kv: (-kv[1], kv[0])):
        size = min(size, quantity - total) // lot * lot
        if size >= lot:
            result.append((venue, size))
            total += size
    if not result:  # the model prefers taking; post at the best-ranked venue instead
        ranking = step.state.scorecard.rank(list(lit), LIMIT_ORDER, step.fee_bps(taker=False))
        return [(ranking[0], quantity)]
    if total < quantity:  # the model expects less than asked to fill; post the rest where it is best
        venue, size = result[0]
        result[0] = (venue, size + quantity - total)
    return result
