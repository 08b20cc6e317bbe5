"""Pro-rata allocation of fills to the orders behind a parent. Pure Python.

Whole lots, largest-remainder method, deterministic tie-break: the earlier order
(lower position in the input, which callers sort by receipt time) wins a tie. The
result always sums exactly to the fill and never gives an order more than it still
needs, so no share is lost or invented.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


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
