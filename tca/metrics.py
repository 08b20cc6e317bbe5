"""Transaction cost metrics. Pure Python, exact Decimal arithmetic.

Sign convention (design.md §6): performance in basis points is positive when the
execution is better than the benchmark: for a buy ``(benchmark - price) / benchmark``,
for a sell the opposite, times 10,000.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

BPS = Decimal(10_000)


def _side_sign(side: str) -> int:
    normalized = str(getattr(side, "value", side)).upper()
    if normalized == "BUY":
        return 1
    if normalized == "SELL":
        return -1
    raise ValueError(f"side must be BUY or SELL, got {side!r}")


def performance_bps(side: str, price: Decimal, benchmark: Decimal) -> Decimal:
    """Performance against ``benchmark`` in bps; positive = better than the benchmark."""
    if benchmark <= 0:
        raise ValueError("benchmark must be positive")
    return _side_sign(side) * (benchmark - price) / benchmark * BPS


def vwap(prints: Iterable[tuple[int, Decimal]]) -> Decimal | None:
    """Volume-weighted average of ``(quantity, price)`` pairs; None when nothing traded."""
    volume = 0
    notional = Decimal(0)
    for quantity, price in prints:
        volume += quantity
        notional += quantity * price
    return notional / volume if volume else None
