"""Grouping of compatible orders into parent orders. Pure Python.

Orders are compatible when they share instrument, side, strategy and limit price.
Keeping one parent per limit (rather than one parent at the most restrictive limit)
means no order is ever executed beyond its own limit and none is held back by a
stricter neighbour; market orders (no limit) form their own group.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from .values import Side


@dataclass(frozen=True, slots=True)
class GroupKey:
    instrument: str
    side: Side
    strategy: str
    limit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class PendingOrder:
    key: Hashable
    instrument: str
    side: Side
    strategy: str
    limit_price: Decimal | None
    quantity: int

    @property
    def group_key(self) -> GroupKey:
        return GroupKey(self.instrument, self.side, self.strategy, self.limit_price)


@dataclass(slots=True)
class OrderGroup:
    key: GroupKey
    order_keys: list
    quantity: int


def group_orders(orders: Iterable[PendingOrder]) -> list[OrderGroup]:
    """Groups in first-seen order; quantities add up exactly to the orders'."""
    result: dict[GroupKey, OrderGroup] = {}
    for order in orders:
        group = result.get(order.group_key)
        if group is None:
            group = result[order.group_key] = OrderGroup(order.group_key, [], 0)
        group.order_keys.append(order.key)
        group.quantity += order.quantity
    return list(result.values())
