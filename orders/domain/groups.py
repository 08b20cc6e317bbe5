"""Order groups: the orders of one aggregation window that become (or top up) one parent. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .instructions import NONE_CHOSEN, Instructions
from .values import Side


@dataclass(frozen=True, slots=True)
class GroupKey:
    instrument: str
    side: Side
    strategy: str
    limit_price: Decimal | None
    instructions: Instructions = NONE_CHOSEN  # the orders' own window, cap, aggressiveness, venues


@dataclass(slots=True)
class OrderGroup:
    key: GroupKey
    order_keys: list = field(default_factory=list)
    quantities: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # receipt order across the window: the tie-break
    quantity: int = 0  # submitted, gross of any internal cross
    crossed: int = 0  # filled internally at the mid; quantity - crossed goes to market
    crossed_shares: list[int] | None = None  # per order, aligned with order_keys, when crossed

    def crossed_orders(self):
        """``(order key, shares)`` for every order of the group that crossed."""
        if not self.crossed_shares:
            return []
        return [(k, s) for k, s in zip(self.order_keys, self.crossed_shares, strict=True) if s]
