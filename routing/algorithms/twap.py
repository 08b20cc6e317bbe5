"""Time-weighted average price schedule. Pure Python."""

from __future__ import annotations


def twap_target(*, quantity: int, start_ns: int, end_ns: int, now_ns: int, lot_size: int = 1) -> int:
    """Cumulative shares the schedule wants done by ``now_ns``: straight line, whole lots.

    Zero before the start, the whole quantity from the end on, never decreasing.
    """
    if now_ns <= start_ns:
        return 0
    if now_ns >= end_ns:
        return quantity
    lots = quantity // lot_size
    return lots * (now_ns - start_ns) // (end_ns - start_ns) * lot_size
