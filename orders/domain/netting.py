"""Netting and internal crossing of one aggregation window. Pure Python (with numpy).

Opposing orders for the same instrument that arrive in one window cross with each
other at the NBBO mid instead of both going to market: each side's crossed quantity
is the smaller of the two sides' eligible quantities, spread over that side's eligible
orders pro rata by quantity (whole lots, largest remainder, earliest order first). An
order is eligible when the mid is within its limit (a buy's limit at or above the mid,
a sell's at or below); market orders always are. Only the rest, the net, goes to market.

Eligibility depends only on (instrument, side, limit), which every group shares, so
it is decided per group and the pro-rata split is one vectorized pass per side.

Invariant, per instrument and side: crossed + sent to market = submitted; and per
instrument the bought and sold crossed quantities are equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .allocation import pro_rata_lots
from .groups import OrderGroup
from .values import AUCTION_STRATEGIES, Side


@dataclass(frozen=True, slots=True)
class InternalCross:
    """One instrument's cross: ``quantity`` shares bought and as many sold at ``price``."""

    instrument: str
    price: Decimal
    quantity: int
    buy_groups: tuple[OrderGroup, ...]
    sell_groups: tuple[OrderGroup, ...]

    @property
    def buys(self) -> dict:
        return {k: s for g in self.buy_groups for k, s in g.crossed_orders()}

    @property
    def sells(self) -> dict:
        return {k: s for g in self.sell_groups for k, s in g.crossed_orders()}


def _eligible(group: OrderGroup, mid: Decimal) -> bool:
    """Within its limit at the mid, and free to trade now: an order told to start later is not
    crossed before its window opens, nor one for an auction (it is owed the opening or closing price)."""
    if group.key.instructions.start_time is not None or group.key.strategy in AUCTION_STRATEGIES:
        return False
    limit = group.key.limit_price
    if limit is None:
        return True
    return limit >= mid if group.key.side is Side.BUY else limit <= mid


def cross_groups(
    groups: Sequence[OrderGroup], *, mids: Mapping[str, Decimal], lot_sizes: Mapping[str, int]
) -> list[InternalCross]:
    """Cross each instrument's eligible opposing groups at its mid, writing each group's crossed shares.

    Instruments without a mid (no two-sided market) do not cross.
    """
    by_instrument: dict[str, tuple[list[OrderGroup], list[OrderGroup]]] = {}
    for group in groups:
        mid = mids.get(group.key.instrument)
        if mid is None or not _eligible(group, mid):
            continue
        buys, sells = by_instrument.setdefault(group.key.instrument, ([], []))
        (buys if group.key.side is Side.BUY else sells).append(group)
    crosses = []
    for instrument, (buys, sells) in by_instrument.items():
        lot = lot_sizes[instrument]
        quantity = min(sum(g.quantity for g in buys), sum(g.quantity for g in sells))
        quantity -= quantity % lot
        if quantity <= 0:
            continue
        for side in (buys, sells):
            _split(quantity // lot, side, lot)
        crosses.append(InternalCross(instrument, mids[instrument], quantity, tuple(buys), tuple(sells)))
    return crosses


def _split(lots: int, groups: list[OrderGroup], lot: int) -> None:
    wanted = np.fromiter((q // lot for g in groups for q in g.quantities), dtype=np.int64)
    priority = np.fromiter((p for g in groups for p in g.positions), dtype=np.int64)
    shares = pro_rata_lots(lots, wanted, priority) * lot
    start = 0
    for group in groups:
        end = start + len(group.quantities)
        group.crossed_shares = shares[start:end].tolist()
        group.crossed = int(shares[start:end].sum())
        start = end
