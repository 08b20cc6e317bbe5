"""Transaction cost metrics. Pure Python, exact Decimal arithmetic, no Django.

Sign conventions (design.md §6), which every report labels:

- *performance* in basis points is positive when the execution is better than the
  benchmark: for a buy ``(benchmark - price) / benchmark``, for a sell the opposite,
  times 10,000;
- *implementation shortfall* is a cost: positive means it cost money;
- a *mark-out* is positive when the market moved our way after the fill (we bought and
  the mid rose): negative mark-outs are adverse selection;
- *spread capture* is the share of the half spread we earned: +100% bought at the bid,
  0% at the mid, -100% paid the ask.

Group figures are quantity-weighted sums over fills (``Tally``), never averages of
averages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# performance_bps is public here (design.md §7); it is defined with the values, below every app.
from orders.domain.values import BPS, performance_bps, side_sign

BPS_PLACES = Decimal("0.0001")
MARKOUT_HORIZONS_S = (1, 5, 30, 60)


def markout_bps(side: str, price: Decimal, later_mid: Decimal) -> Decimal:
    """Our fill price against the mid some time later; positive = the market moved our way.

    It is ``performance_bps`` with the later mid as benchmark, so ``Tally`` adds it up.
    """
    return performance_bps(side, price, later_mid)


def spread_capture(side: str, price: Decimal, bid: Decimal, ask: Decimal) -> Decimal | None:
    """Share of the half spread earned: 1 at the near touch, 0 at the mid, -1 across the spread."""
    half_spread = (ask - bid) / 2
    if half_spread <= 0:
        return None
    return side_sign(side) * ((bid + ask) / 2 - price) / half_spread


def vwap(prints: Iterable[tuple[int, Decimal]]) -> Decimal | None:
    """Volume-weighted average of ``(quantity, price)`` pairs; None when nothing traded."""
    volume = 0
    notional = Decimal(0)
    for quantity, price in prints:
        volume += quantity
        notional += quantity * price
    return notional / volume if volume else None


def twap(prices: Iterable[Decimal]) -> Decimal | None:
    """Time-weighted average of prices sampled at equal intervals; None without samples."""
    total, count = Decimal(0), 0
    for price in prices:
        total += price
        count += 1
    return total / count if count else None


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass
class Tally:
    """Quantity-weighted performance of many fills against their own benchmarks.

    ``performance_bps`` is ``sum(s*q*(benchmark - price)) / sum(q*benchmark)``: for one
    side it equals the performance of the average price against the quantity-weighted
    benchmark, and sides may be mixed (a venue's or an algorithm's buys and sells).
    """

    quantity: int = 0
    notional: Decimal = Decimal(0)
    benchmark_notional: Decimal = Decimal(0)
    gain: Decimal = Decimal(0)  # money better than the benchmark

    def add(self, side: str, quantity: int, price: Decimal, benchmark: Decimal | None) -> None:
        self.add_signed(side_sign(side), quantity, price, benchmark)

    def add_signed(self, sign: int, quantity: int, price: Decimal, benchmark: Decimal | None) -> None:
        """``add`` with the side as +1 or -1: the hot loop over ten thousand fills."""
        if benchmark is None or quantity == 0:
            return
        self.quantity += quantity
        self.notional += quantity * price
        self.benchmark_notional += quantity * benchmark
        self.gain += sign * quantity * (benchmark - price)

    def merge(self, other: Tally) -> None:
        self.quantity += other.quantity
        self.notional += other.notional
        self.benchmark_notional += other.benchmark_notional
        self.gain += other.gain

    @property
    def average_price(self) -> Decimal | None:
        return ratio(self.notional, self.quantity)

    @property
    def benchmark(self) -> Decimal | None:
        return ratio(self.benchmark_notional, self.quantity)

    @property
    def performance_bps(self) -> Decimal | None:
        if not self.benchmark_notional:
            return None
        return self.gain / self.benchmark_notional * BPS


@dataclass(frozen=True)
class Shortfall:
    """Implementation shortfall in money, split as Wagner and Kissell's expanded form.

    For a buy of ``X`` shares decided at ``Pd``, started at ``P0``, with executions
    ``x_j`` at ``p_j``, the end price ``Pn`` and fees ``F`` (a sell flips every sign):

    - delay       = X (P0 - Pd)            the whole order waited: the market moved before we started
    - trading     = sum x_j (p_j - P0)     what executing cost against arrival
    - opportunity = (X - sum x_j)(Pn - P0) what the unexecuted rest would now cost
    - fees        = F                      fees net of rebates

    The convention charges delay on the whole order (Kissell), so that the parts add up
    exactly to the paper shortfall ``sum x_j p_j - sum x_j Pd + (X - sum x_j)(Pn - Pd) + F``.
    ``*_bps`` divide by the paper portfolio ``X Pd``; ``total_bps`` is their sum.
    """

    delay: Decimal
    trading: Decimal
    opportunity: Decimal
    fees: Decimal
    paper_notional: Decimal

    @property
    def total(self) -> Decimal:
        return self.delay + self.trading + self.opportunity + self.fees

    def bps(self, part: Decimal) -> Decimal:
        return (part / self.paper_notional * BPS).quantize(BPS_PLACES) if self.paper_notional else Decimal(0)

    @property
    def delay_bps(self) -> Decimal:
        return self.bps(self.delay)

    @property
    def trading_bps(self) -> Decimal:
        return self.bps(self.trading)

    @property
    def opportunity_bps(self) -> Decimal:
        return self.bps(self.opportunity)

    @property
    def fees_bps(self) -> Decimal:
        return self.bps(self.fees)

    @property
    def total_bps(self) -> Decimal:
        return self.delay_bps + self.trading_bps + self.opportunity_bps + self.fees_bps

    def __add__(self, other: Shortfall) -> Shortfall:
        return Shortfall(
            self.delay + other.delay,
            self.trading + other.trading,
            self.opportunity + other.opportunity,
            self.fees + other.fees,
            self.paper_notional + other.paper_notional,
        )


NO_SHORTFALL = Shortfall(Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def implementation_shortfall(
    *,
    side: str,
    quantity: int,
    decision_price: Decimal,
    arrival_price: Decimal,
    executed_quantity: int,
    executed_notional: Decimal,
    end_price: Decimal,
    fees: Decimal,
) -> Shortfall:
    """The shortfall of an order of ``quantity`` shares of which ``executed_quantity`` traded
    for ``executed_notional`` (the sum of shares times price)."""
    if not 0 <= executed_quantity <= quantity:
        raise ValueError(f"executed {executed_quantity} of an order of {quantity}")
    sign = side_sign(side)
    return Shortfall(
        delay=sign * quantity * (arrival_price - decision_price),
        trading=sign * (executed_notional - executed_quantity * arrival_price),
        opportunity=sign * (quantity - executed_quantity) * (end_price - arrival_price),
        fees=fees,
        paper_notional=quantity * decision_price,
    )
