"""Netting and internal crossing of one aggregation window. Pure Python.

Opposing orders for the same instrument that arrive in one window cross with each
other at the NBBO mid instead of both going to market: each side's crossed quantity
is the smaller of the two sides' eligible quantities, spread over that side's eligible
orders pro rata by quantity (whole lots, largest remainder, earliest order first). An
order is eligible when the mid is within its limit (a buy's limit at or above the mid,
a sell's at or below); market orders always are. Only the rest, the net, goes to market.

Invariant, per instrument and side: crossed + sent to market = submitted; and per
instrument the bought and sold crossed quantities are equal.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .allocation import Demand, allocate_pro_rata
from .values import Side


class CrossCandidate(Protocol):
    key: Hashable
    instrument: str
    side: Side
    limit_price: Decimal | None
    quantity: int


@dataclass(slots=True)
class InternalCross:
    """One instrument's cross: ``quantity`` shares bought and sold at ``price``."""

    instrument: str
    price: Decimal
    quantity: int
    buys: dict = field(default_factory=dict)  # order key -> shares crossed
    sells: dict = field(default_factory=dict)


def _eligible(order: CrossCandidate, mid: Decimal) -> bool:
    if order.limit_price is None:
        return True
    return order.limit_price >= mid if order.side is Side.BUY else order.limit_price <= mid


def cross_window(
    orders: Sequence[CrossCandidate], *, mids: Mapping[str, Decimal], lot_sizes: Mapping[str, int]
) -> list[InternalCross]:
    """Cross each instrument's opposing orders at its mid; instruments without a mid do not cross.

    ``orders`` come in receipt order, which breaks pro-rata ties.
    """
    by_instrument: dict[str, tuple[list[Demand], list[Demand]]] = {}
    for order in orders:
        mid = mids.get(order.instrument)
        if mid is None or not _eligible(order, mid):
            continue
        buys, sells = by_instrument.setdefault(order.instrument, ([], []))
        (buys if order.side is Side.BUY else sells).append(Demand(order.key, order.quantity))
    crosses = []
    for instrument, (buys, sells) in by_instrument.items():
        lot = lot_sizes[instrument]
        quantity = min(sum(d.remaining for d in buys), sum(d.remaining for d in sells))
        quantity -= quantity % lot
        if quantity <= 0:
            continue
        crosses.append(
            InternalCross(
                instrument=instrument,
                price=mids[instrument],
                quantity=quantity,
                buys=allocate_pro_rata(quantity, buys, lot),
                sells=allocate_pro_rata(quantity, sells, lot),
            )
        )
    return crosses
