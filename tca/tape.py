"""The market over one simulated day, as one-second bars, with the benchmarks TCA needs.

Pure Python. Times are integer nanoseconds since local midnight (as the simulator's
clock); prices are Decimal. Prefix sums make every interval VWAP O(log n), so a report
with ten thousand children stays fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from orders.domain.values import average_price

from .metrics import twap


@dataclass(frozen=True, slots=True)
class TapeBar:
    start_ns: int
    end_ns: int
    volume: int
    notional: Decimal
    bid: Decimal | None  # NBBO at end_ns
    ask: Decimal | None

    @property
    def mid(self) -> Decimal | None:
        return None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2


class Tape:
    """Bars in time order, not overlapping."""

    def __init__(self, bars: Sequence[TapeBar]) -> None:
        self.bars = list(bars)
        self.starts = [b.start_ns for b in self.bars]
        self.ends = [b.end_ns for b in self.bars]
        for earlier, later in zip(self.bars, self.bars[1:], strict=False):
            assert earlier.end_ns <= later.start_ns, "bars overlap or are out of order"
        self._volume = [0]
        self._notional = [Decimal(0)]
        for bar in self.bars:
            self._volume.append(self._volume[-1] + bar.volume)
            self._notional.append(self._notional[-1] + bar.notional)

    def _span(self, start_ns: int, end_ns: int) -> tuple[int, int]:
        """Bars that overlap ``[start_ns, end_ns]``; an instant gets the bar it falls in."""
        first = bisect_right(self.ends, start_ns)
        last = bisect_left(self.starts, end_ns) if end_ns > start_ns else first + 1
        return first, min(max(last, first), len(self.bars))

    def volume(self, start_ns: int, end_ns: int) -> int:
        first, last = self._span(start_ns, end_ns)
        return self._volume[last] - self._volume[first]

    def vwap(self, start_ns: int, end_ns: int) -> Decimal | None:
        """Market VWAP over the bars covering the interval; None when nothing traded."""
        first, last = self._span(start_ns, end_ns)
        volume = self._volume[last] - self._volume[first]
        return average_price(self._notional[last] - self._notional[first], volume)

    def twap(self, start_ns: int, end_ns: int) -> Decimal | None:
        """Average of the per-second NBBO mids over the interval."""
        first, last = self._span(start_ns, end_ns)
        return twap(m for m in (b.mid for b in self.bars[first:last]) if m is not None)

    def mid_at(self, time_ns: int) -> Decimal | None:
        """The NBBO mid at the first bar end at or after ``time_ns`` (at most a second late)."""
        index = bisect_left(self.ends, time_ns)
        if index == len(self.bars):
            return None
        return self.bars[index].mid

    def quote_before(self, time_ns: int) -> tuple[Decimal | None, Decimal | None]:
        """The NBBO at the last bar end at or before ``time_ns``: the quote a fill met."""
        index = bisect_right(self.ends, time_ns) - 1
        if index < 0:
            return None, None
        bar = self.bars[index]
        return bar.bid, bar.ask

    @property
    def day_vwap(self) -> Decimal | None:
        return average_price(self._notional[-1], self._volume[-1])

    @property
    def last_mid(self) -> Decimal | None:
        return next((b.mid for b in reversed(self.bars) if b.mid is not None), None)
