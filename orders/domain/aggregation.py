"""Grouping of compatible orders into parent orders, with netting. Pure Python.

Orders are compatible when they share instrument, side, strategy, limit price and the
execution instructions their traders chose (window, participation cap, aggressiveness,
venues to avoid): a parent runs with exactly one set of them.
Keeping one parent per limit (rather than one parent at the most restrictive limit)
means no order is ever executed beyond its own limit and none is held back by a
stricter neighbour; market orders (no limit) form their own group.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .groups import GroupKey, OrderGroup
from .instructions import NONE_CHOSEN, Instructions
from .netting import InternalCross, cross_groups
from .values import Side

__all__ = ["GroupKey", "OrderGroup", "PendingOrder", "WindowPlan", "group_orders", "plan_window"]


@dataclass(frozen=True, slots=True)
class PendingOrder:
    key: Hashable
    instrument: str
    side: Side
    strategy: str
    limit_price: Decimal | None
    quantity: int
    instructions: Instructions = NONE_CHOSEN


@dataclass(frozen=True, slots=True)
class WindowPlan:
    crosses: list[InternalCross]
    groups: list[OrderGroup]


def group_orders(orders: Iterable[PendingOrder]) -> list[OrderGroup]:
    """Groups in first-seen order; quantities add up exactly to the orders'."""
    groups: dict[tuple, OrderGroup] = {}
    for position, order in enumerate(orders):
        raw_key = (order.instrument, order.side, order.strategy, order.limit_price, order.instructions)
        group = groups.get(raw_key)
        if group is None:
            group = groups[raw_key] = OrderGroup(GroupKey(*raw_key))
        group.order_keys.append(order.key)
        group.quantities.append(order.quantity)
        group.positions.append(position)
    for group in groups.values():
        group.quantity = sum(group.quantities)
    return list(groups.values())


def plan_window(
    orders: Sequence[PendingOrder], *, mids: Mapping[str, Decimal], lot_sizes: Mapping[str, int]
) -> WindowPlan:
    """Group the window's orders, then net and cross opposing groups at the mid.

    Every order still joins its group's parent, crossed or not, so the parent's fills
    (internal and market) allocate back through one path; the group records how much
    of it was crossed so only the rest is worked in the market.
    """
    groups = group_orders(orders)
    return WindowPlan(cross_groups(groups, mids=mids, lot_sizes=lot_sizes), groups)
