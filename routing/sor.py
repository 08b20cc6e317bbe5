"""Smart order router. Pure Python.

Given the touch on every lit venue, split a marketable child across venues so the
best prices are taken first and, at the same price, the cheapest venue to take from
(lowest taker fee; an inverted venue pays a rebate) goes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class VenueQuote:
    venue: str
    price: int  # touch on the side we would take from, in ticks
    quantity: int  # displayed at that price
    taker_fee: Decimal


@dataclass(frozen=True, slots=True)
class Placement:
    venue: str
    quantity: int
    limit: int


def plan_sweep(*, side: int, quantity: int, limit: int | None, quotes: Sequence[VenueQuote]) -> list[Placement]:
    """IOC placements that take displayed liquidity up to ``quantity`` within ``limit``.

    Never plans more than ``quantity`` in total (no over-fill) and never a price
    beyond the limit.
    """
    eligible = [q for q in quotes if q.quantity > 0 and (limit is None or (limit - q.price) * side >= 0)]
    eligible.sort(key=lambda q: (q.price * side, q.taker_fee, q.venue))
    placements: list[Placement] = []
    left = quantity
    for quote in eligible:
        if left <= 0:
            break
        take = min(left, quote.quantity)
        placements.append(Placement(quote.venue, take, quote.price))
        left -= take
    return placements
