"""How the other algorithms would have done: replay runs turned into TCA figures. Pure Python.

Every alternative is measured the same way as the recorded execution: its average price
against the arrival mid and the interval VWAP of its own replayed window, and its
implementation shortfall against the replay's arrival mid (no delay part: the orders
were already in), with the unfilled rest valued at the mid when the parent's window
closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders.domain.values import average_price, half_ticks_to_price
from routing.engine.state import IMMEDIATE, PARALLEL
from routing.market.clock import NS_PER_S
from routing.replay import Alternative, ReplayRun

from .metrics import Shortfall, implementation_shortfall, performance_bps, ratio

ZERO = Decimal(0)
ALGORITHMS = ("TWAP", "VWAP", "POV", "IS")
NAIVE = Alternative(
    "Market order at the start",
    IMMEDIATE,
    max_participation=1.0,
    aggressiveness=1.0,
    routing=PARALLEL,
    sweep_ticks=10_000,
)


def alternatives_for(strategy: str, *, pov_rate: float) -> list[Alternative]:
    """The parent's own algorithm first, then the others with the parent's parameters, then
    the naive single market order every algorithm should beat."""
    labels = {"TWAP": "TWAP", "VWAP": "VWAP", "POV": f"POV {pov_rate:.0%}", "IS": "Implementation Shortfall"}
    order = [strategy, *(s for s in ALGORITHMS if s != strategy)]
    return [*(Alternative(labels[s], s) for s in order), NAIVE]


@dataclass(frozen=True, slots=True)
class AlternativeFigures:
    label: str
    strategy: str
    as_run: bool  # the parent's own algorithm and parameters
    quantity: int
    filled: int
    average_price: Decimal | None
    fees: Decimal
    arrival: Decimal | None
    interval_vwap: Decimal | None
    market_volume: int
    children: int
    dark_filled: int
    finished_s: float  # seconds from the start to the last fill
    performance_vs_arrival_bps: Decimal | None
    performance_vs_interval_vwap_bps: Decimal | None
    shortfall: Shortfall | None  # None when the replay had no mid at the start
    executed: list[tuple[int, int]]  # (ns since start, cumulative filled), one point per fill time

    @property
    def fill_rate(self) -> Decimal | None:
        return ratio(self.filled, self.quantity)

    @property
    def participation(self) -> Decimal | None:
        return ratio(self.filled, self.market_volume)

    @property
    def dark_share(self) -> Decimal | None:
        return ratio(self.dark_filled, self.filled)


@dataclass(frozen=True, slots=True)
class ExecutedFill:
    offset_ns: int  # since the parent's start
    quantity: int
    price: Decimal
    fee: Decimal
    dark: bool


def execution_figures(
    *,
    label: str,
    strategy: str,
    as_run: bool,
    side: str,
    quantity: int,
    fills: list[ExecutedFill],
    arrival: Decimal | None,
    end_price: Decimal | None,
    interval_vwap: Decimal | None,
    market_volume: int,
    children: int,
) -> AlternativeFigures:
    """The comparison's figures for one execution, recorded or replayed, from its fills."""
    filled = sum(f.quantity for f in fills)
    notional = sum((f.quantity * f.price for f in fills), ZERO)
    fees = sum((f.fee for f in fills), ZERO)
    average = notional / filled if filled else None
    shortfall = None
    if arrival is not None:
        shortfall = implementation_shortfall(
            side=side,
            quantity=quantity,
            decision_price=arrival,
            arrival_price=arrival,
            executed_quantity=filled,
            executed_notional=notional,
            end_price=end_price or arrival,
            fees=fees,
        )
    cumulative, executed = 0, []
    for fill in sorted(fills, key=lambda f: f.offset_ns):
        cumulative += fill.quantity
        executed.append((fill.offset_ns, cumulative))
    return AlternativeFigures(
        label=label,
        strategy=strategy,
        as_run=as_run,
        quantity=quantity,
        filled=filled,
        average_price=average,
        fees=fees,
        arrival=arrival,
        interval_vwap=interval_vwap,
        market_volume=market_volume,
        children=children,
        dark_filled=sum(f.quantity for f in fills if f.dark),
        finished_s=executed[-1][0] / NS_PER_S if executed else 0.0,
        performance_vs_arrival_bps=None
        if average is None or arrival is None
        else performance_bps(side, average, arrival),
        performance_vs_interval_vwap_bps=(
            None if average is None or interval_vwap is None else performance_bps(side, average, interval_vwap)
        ),
        shortfall=shortfall,
        executed=executed,
    )


def replay_figures(run: ReplayRun, *, side: str, tick: Decimal, as_run: bool) -> AlternativeFigures:
    """A replay run's figures: its half-tick fills, and the tape of its own replayed window."""
    plan = run.plan
    window = [b for b in run.seconds if b.end_ns <= plan.end_ns]
    volume = sum(b.volume for b in window)
    return execution_figures(
        label=run.label,
        strategy=plan.strategy,
        as_run=as_run,
        side=side,
        quantity=plan.quantity,
        fills=[
            ExecutedFill(
                f.time_ns - plan.start_ns,
                f.quantity,
                half_ticks_to_price(f.price_half_ticks, tick),
                f.fee,
                f.venue in run.dark_venues,
            )
            for f in run.fills
        ],
        arrival=half_ticks_to_price(run.arrival_mid_half_ticks, tick),
        end_price=half_ticks_to_price(run.end_mid_half_ticks, tick),
        interval_vwap=average_price(half_ticks_to_price(sum(b.notional_half_ticks for b in window), tick), volume),
        market_volume=volume,
        children=run.children,
    )
