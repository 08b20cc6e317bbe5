"""Pro-rata allocation of fills to the orders behind a parent. Pure Python.

Whole lots, largest-remainder method, deterministic tie-break: the earlier order
(lower position in the input, which callers sort by receipt time) wins a tie. The
result always sums exactly to the fill and never gives an order more than it still
needs, so no share is lost or invented.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Demand:
    key: Hashable
    remaining: int  # shares still wanted, a multiple of the lot


def allocate_pro_rata(quantity: int, demands: Sequence[Demand], lot_size: int = 1) -> dict:
    """Split ``quantity`` shares across ``demands`` pro rata by remaining quantity.

    Returns ``{key: shares}`` for every demand that receives something.
    """
    if quantity < 0:
        raise ValueError("cannot allocate a negative quantity")
    if quantity % lot_size:
        raise ValueError(f"quantity {quantity} is not a whole number of lots of {lot_size}")
    for demand in demands:
        if demand.remaining < 0 or demand.remaining % lot_size:
            raise ValueError(f"remaining {demand.remaining} of {demand.key!r} is not whole lots")
    total_lots = sum(d.remaining for d in demands) // lot_size
    lots = quantity // lot_size
    if lots > total_lots:
        raise ValueError(f"cannot allocate {quantity} shares against {total_lots * lot_size} wanted")
    if lots == 0:
        return {}

    shares: list[int] = []
    remainders: list[tuple[int, int]] = []  # (-fractional numerator, position) sorts the winners first
    for position, demand in enumerate(demands):
        numerator = lots * (demand.remaining // lot_size)
        whole, fraction = divmod(numerator, total_lots)
        shares.append(whole)
        remainders.append((-fraction, position))
    leftover = lots - sum(shares)
    remainders.sort()
    for _, position in remainders[:leftover]:
        shares[position] += 1

    result = {demands[i].key: s * lot_size for i, s in enumerate(shares) if s}
    assert sum(result.values()) == quantity
    return result


@dataclass(frozen=True, slots=True)
class Supply:
    key: Hashable
    quantity: int  # shares of one fill, a multiple of the lot


def allocate_fills(fills: Sequence[Supply], demands: Sequence[Demand], lot_size: int = 1) -> list[tuple]:
    """Allocate a batch of fills (one execution step's) to orders.

    The batch total goes pro rata by remaining quantity (``allocate_pro_rata``); each
    order's share is then taken from the fills in their order, a merge of the two lists.
    That is O(fills + orders) rather than a pro-rata pass per fill, and every fill and
    every order's share is used exactly. Returns ``[(fill_key, order_key, shares)]``.
    """
    for fill in fills:
        if fill.quantity <= 0 or fill.quantity % lot_size:
            raise ValueError(f"fill {fill.key!r} of {fill.quantity} is not a positive whole number of lots")
    shares = allocate_pro_rata(sum(f.quantity for f in fills), demands, lot_size)
    wanted = [(d.key, shares[d.key]) for d in demands if d.key in shares]
    result: list[tuple] = []
    order_index, order_left = 0, wanted[0][1] if wanted else 0
    for fill in fills:
        fill_left = fill.quantity
        while fill_left:
            take = min(fill_left, order_left)
            result.append((fill.key, wanted[order_index][0], take))
            fill_left -= take
            order_left -= take
            if not order_left and order_index + 1 < len(wanted):
                order_index += 1
                order_left = wanted[order_index][1]
    return result


def pro_rata_lots(lots: int, wanted: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Vectorized largest-remainder split of ``lots`` by ``wanted`` lots; ``priority`` breaks ties (lower first).

    The same result as ``allocate_pro_rata`` on lots, for the large batches of a netting
    window. Falls back to Python integers where int64 could overflow.
    """
    total = int(wanted.sum())
    if lots > total:
        raise ValueError(f"cannot allocate {lots} lots against {total} wanted")
    if lots == 0 or total == 0:
        return np.zeros(len(wanted), dtype=np.int64)
    if lots * int(wanted.max()) >= 2**62:  # beyond int64: the exact Python version
        order = np.argsort(priority, kind="stable")
        shares = allocate_pro_rata(lots, [Demand(int(i), int(wanted[i])) for i in order])
        return np.array([shares.get(i, 0) for i in range(len(wanted))], dtype=np.int64)
    whole, fraction = np.divmod(wanted * lots, total)
    leftover = lots - int(whole.sum())
    if leftover:
        winners = np.lexsort((priority, -fraction))
        whole[winners[:leftover]] += 1
    return whole
