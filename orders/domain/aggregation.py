"""Grouping of compatible orders into parent orders, after netting. Pure Python.

Orders are compatible when they share instrument, side, strategy and limit price.
Keeping one parent per limit (rather than one parent at the most restrictive limit)
means no order is ever executed beyond its own limit and none is held back by a
stricter neighbour; market orders (no limit) form their own group.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .netting import InternalCross, cross_window
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


@dataclass(slots=True)
class OrderGroup:
    key: GroupKey
    order_keys: list
    quantity: int  # submitted, gross of any internal cross
    crossed: int = 0  # filled internally at the mid; quantity - crossed goes to market


@dataclass(frozen=True, slots=True)
class WindowPlan:
    crosses: list[InternalCross]
    groups: list[OrderGroup]


def group_orders(orders: Iterable[PendingOrder]) -> list[OrderGroup]:
    """Groups in first-seen order; quantities add up exactly to the orders'."""
    result: dict[tuple, OrderGroup] = {}
    for order in orders:
        raw_key = (order.instrument, order.side, order.strategy, order.limit_price)
        group = result.get(raw_key)
        if group is None:
            group = result[raw_key] = OrderGroup(GroupKey(*raw_key), [], 0)
        group.order_keys.append(order.key)
        group.quantity += order.quantity
    return list(result.values())


def plan_window(
    orders: Sequence[PendingOrder], *, mids: Mapping[str, Decimal], lot_sizes: Mapping[str, int]
) -> WindowPlan:
    """Net and cross the window's orders, then group them into parents.

    Every order still joins its group's parent, crossed or not, so the parent's fills
    (internal and market) allocate back through one path; the group records how much
    of it was crossed so only the rest is worked in the market.
    """
    crosses = cross_window(orders, mids=mids, lot_sizes=lot_sizes)
    groups = group_orders(orders)
    crossed = {key: q for cross in crosses for side in (cross.buys, cross.sells) for key, q in side.items()}
    if crossed:
        for group in groups:
            group.crossed = sum(crossed.get(key, 0) for key in group.order_keys)
    return WindowPlan(crosses, groups)
