"""One execution step over the simulated market. Pure Python, deterministic.

The step first lets every working parent's algorithm decide what it wants done by the
end of the step and routes that through the SOR, then runs background flow to the
end of the step. Everything the step did comes back as plain records that the
service writes in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .algorithms.twap import twap_target
from .market.book import BUY
from .market.simulator import MarketSimulator, Print
from .market.venues import TAKER
from .sor import VenueQuote, plan_sweep


@dataclass(frozen=True, slots=True)
class WorkingParent:
    parent_id: int
    side: int
    quantity: int
    filled: int
    limit: int | None
    start_ns: int
    end_ns: int
    lot_size: int

    @property
    def owner(self) -> str:
        return f"parent:{self.parent_id}"


@dataclass(frozen=True, slots=True)
class ChildReport:
    parent_id: int
    seq: int
    venue_order_id: int
    venue: str
    side: int
    quantity: int
    limit: int | None
    order_type: str
    time_ns: int
    filled: int


@dataclass(frozen=True, slots=True)
class FillReport:
    parent_id: int
    child_seq: int
    seq: int
    venue: str
    side: int
    quantity: int
    price: int
    liquidity: str
    fee: Decimal
    time_ns: int


@dataclass(frozen=True, slots=True)
class Bar:
    """What the consolidated tape and NBBO did over one step."""

    start_ns: int
    end_ns: int
    volume: int
    notional_ticks: int
    bid: int | None
    ask: int | None


@dataclass(frozen=True, slots=True)
class StepOutcome:
    children: list[ChildReport]
    fills: list[FillReport]
    bar: Bar


def run_step(sim: MarketSimulator, parents: Sequence[WorkingParent], *, end_ns: int, rng: random.Random) -> StepOutcome:
    start_ns = sim.clock_ns
    children: list[ChildReport] = []
    fills: list[FillReport] = []
    prints: list[Print] = []
    for parent in sorted(parents, key=lambda p: p.parent_id):
        target = twap_target(
            quantity=parent.quantity,
            start_ns=parent.start_ns,
            end_ns=parent.end_ns,
            now_ns=end_ns,
            lot_size=parent.lot_size,
        )
        wanted = target - parent.filled
        if wanted <= 0:
            continue
        for placement in plan_sweep(
            side=parent.side, quantity=wanted, limit=parent.limit, quotes=_touches(sim, parent.side)
        ):
            venue_order_id, child_prints = sim.execute_ioc(
                placement.venue, parent.side, placement.quantity, placement.limit, parent.owner
            )
            child_seq = len(children)
            filled = 0
            for p in child_prints:
                fills.append(
                    FillReport(
                        parent.parent_id,
                        child_seq,
                        len(fills),
                        p.venue,
                        parent.side,
                        p.quantity,
                        p.price,
                        TAKER,
                        sim.venues[p.venue].fee(p.quantity, TAKER),
                        p.time_ns,
                    )
                )
                filled += p.quantity
            children.append(
                ChildReport(
                    parent.parent_id,
                    child_seq,
                    venue_order_id,
                    placement.venue,
                    parent.side,
                    placement.quantity,
                    placement.limit,
                    "IOC",
                    start_ns,
                    filled,
                )
            )
            prints.extend(child_prints)
    prints.extend(sim.run_until(end_ns, rng))
    bid, ask = sim.nbbo()
    bar = Bar(start_ns, end_ns, sum(p.quantity for p in prints), sum(p.quantity * p.price for p in prints), bid, ask)
    return StepOutcome(children, fills, bar)


def _touches(sim: MarketSimulator, side: int) -> list[VenueQuote]:
    quotes = []
    for code, book in sim.books.items():
        price = book.best_ask() if side == BUY else book.best_bid()
        if price is not None:
            contra = -side
            quotes.append(VenueQuote(code, price, book.level_quantity(contra, price), sim.venues[code].taker_fee))
    return quotes
