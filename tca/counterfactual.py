"""How the other algorithms would have done: replay runs turned into TCA figures. Pure Python.

Every alternative is measured the same way as the recorded execution: its average price
against the arrival mid and the interval VWAP of its own replayed window, and its
implementation shortfall against the replay's arrival mid (no delay part: the orders
were already in), with the unfilled rest valued at the mid when the parent's window
closed.

Over many paths an alternative has a distribution of shortfalls, not a figure: its mean
is the expected cost, its standard deviation the timing risk. Antithetic pairs are not
independent draws, so a mean's standard error comes from the pairs' own means; and as
every alternative runs on the same paths, which is cheaper is judged on their paired
differences, far less noisy than either cost alone.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from orders.domain.urgency import URGENCY_TERMS
from orders.domain.values import average_price, half_ticks_to_price
from routing.engine.state import IMMEDIATE, PARALLEL
from routing.market.clock import NS_PER_S
from routing.replay import Alternative, ReplayRun

from .metrics import Shortfall, implementation_shortfall, performance_bps, ratio

ZERO = Decimal(0)
ALGORITHMS = ("TWAP", "VWAP", "POV", "IS")
# An order at the open has no window of its own: the algorithms are replayed over this long
# after the open, what a trader would have done instead of the auction
OPEN_ALTERNATIVES_S = 1800
NAIVE = Alternative(
    "Market order at the start",
    IMMEDIATE,
    max_participation=1.0,
    aggressiveness=1.0,
    routing=PARALLEL,
    sweep_ticks=10_000,
)


def alternatives_for(
    strategy: str, *, pov_rate: float, kappa_t: float, ends_at_close: bool = False
) -> list[Alternative]:
    """The parent's own algorithm first, then the others with the parent's parameters (the
    closing auction too when its window runs to the close; for an order at the open, the
    algorithms over the window ``OPEN_ALTERNATIVES_S`` after it), then Implementation Shortfall at
    the desk's other urgencies (with TWAP, κT 0, and the market order, κT ∞, they trace the
    cost–risk frontier), then the naive single market order every algorithm should beat."""
    labels = {
        "TWAP": "TWAP",
        "VWAP": "VWAP",
        "POV": f"POV {pov_rate:.0%}",
        "IS": f"Implementation Shortfall (κT {kappa_t:g})",
        "CLOSE": "At the close (one order in the closing auction)",
        "OPEN": "At the open (one order in the opening auction)",
    }
    if strategy == "OPEN":
        algorithms = (*ALGORITHMS, "OPEN")
    else:
        algorithms = (*ALGORITHMS, "CLOSE") if ends_at_close or strategy == "CLOSE" else ALGORITHMS
    order = [strategy, *(s for s in algorithms if s != strategy)]
    frontier = sorted({terms.kappa_t for terms in URGENCY_TERMS.values()} - {kappa_t})
    return [
        *(Alternative(labels[s], s) for s in order),
        *(Alternative(f"Implementation Shortfall (κT {k:g})", "IS", urgency=k) for k in frontier),
        NAIVE,
    ]


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


# Student's t at 97.5% (two-sided 95%) by degrees of freedom; a df between two keys takes the
# smaller key's value, which errs towards "not significant".
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}  # fmt: skip
BPS_HUNDREDTHS = Decimal("0.01")


def t_975(degrees_of_freedom: int) -> Decimal:
    return Decimal(str(T_975[max(k for k in T_975 if k <= degrees_of_freedom)]))


def pair_means(values: Sequence[Decimal]) -> list[Decimal]:
    """Each antithetic pair's mean: the independent observations of a set of paths."""
    return [(a + b) / 2 for a, b in zip(values[::2], values[1::2], strict=True)]


def standard_error(values: Sequence[Decimal]) -> Decimal | None:
    """The standard error of the mean of paths in antithetic pairs; None under two pairs."""
    means = pair_means(values)
    if len(means) < 2:
        return None
    return statistics.stdev(means) / Decimal(len(means)).sqrt()


@dataclass(frozen=True, slots=True)
class ShortfallDistribution:
    """One alternative's implementation shortfall over the further paths, in bps."""

    label: str
    strategy: str
    shortfalls_bps: tuple[Decimal, ...]  # per path, pairs adjacent
    mean_fill_rate: Decimal

    @property
    def mean_bps(self) -> Decimal:
        return statistics.mean(self.shortfalls_bps)

    @property
    def stdev_bps(self) -> Decimal:
        return statistics.stdev(self.shortfalls_bps)

    @property
    def standard_error_bps(self) -> Decimal | None:
        return standard_error(self.shortfalls_bps)

    def percentile(self, p: int) -> Decimal:
        """The ``p``-th percentile (1–99), interpolated between paths."""
        return statistics.quantiles(self.shortfalls_bps, n=100, method="inclusive")[p - 1]


def shortfall_distributions(labels: Sequence[tuple[str, str]], paths: Sequence[Sequence[AlternativeFigures]]):
    """Per alternative, its shortfall on every path (``paths[path][alternative]``), for the
    alternatives every path could cost (a replay with no mid at the start cannot be)."""
    distributions = []
    for index, (label, strategy) in enumerate(labels):
        runs = [path[index] for path in paths]
        if any(run.shortfall is None for run in runs):
            continue
        distributions.append(
            ShortfallDistribution(
                label=label,
                strategy=strategy,
                shortfalls_bps=tuple(run.shortfall.total_bps for run in runs),
                mean_fill_rate=statistics.mean(run.fill_rate or ZERO for run in runs),
            )
        )
    return distributions


@dataclass(frozen=True, slots=True)
class ExcessCost:
    """What an alternative costs beyond the leader, path by path, in bps."""

    label: str
    mean_bps: Decimal
    standard_error_bps: Decimal | None
    significant: bool  # its 95% confidence interval lies above zero


@dataclass(frozen=True, slots=True)
class CostVerdict:
    """Which alternative is cheapest in expectation, and whether the paths show it."""

    leader: str  # the lowest mean shortfall
    excess: tuple[ExcessCost, ...]  # every other alternative, by mean shortfall

    @property
    def runner_up(self) -> ExcessCost:
        return self.excess[0]

    @property
    def significant(self) -> bool:
        """The leader is cheaper than every other alternative at 95%."""
        return all(e.significant for e in self.excess)

    @property
    def best(self) -> str | None:
        """ "Lowest expected cost" is claimed only when the paths bear it out."""
        return self.leader if self.significant else None


def cost_verdict(distributions: Sequence[ShortfallDistribution]) -> CostVerdict | None:
    """Each other alternative's paired excess cost over the leader, significant when its 95%
    confidence interval (Student's t on the antithetic pairs' means) lies above zero."""
    if len(distributions) < 2:
        return None
    ranked = sorted(distributions, key=lambda d: d.mean_bps)
    leader = ranked[0]
    degrees_of_freedom = len(pair_means(leader.shortfalls_bps)) - 1

    def excess(other: ShortfallDistribution) -> ExcessCost:
        differences = [o - d for o, d in zip(other.shortfalls_bps, leader.shortfalls_bps, strict=True)]
        mean, se = statistics.mean(differences), standard_error(differences)
        significant = se is not None and (mean > t_975(degrees_of_freedom) * se if se else mean > 0)
        return ExcessCost(other.label, mean, se, significant)

    return CostVerdict(leader.label, tuple(excess(other) for other in ranked[1:]))
