"""TCA figures from plain facts: a parent's fills, children, orders and the tape in, its report
out. Pure Python: the reads are ``tca.selectors``, the JSON shapes ``tca.payloads``.

Every figure over many fills is a quantity-weighted sum (``Tally``), every shortfall a sum
of order shortfalls, so a parent's numbers are its orders' numbers added up and a venue's
or an algorithm's are its fills' numbers added up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from orders.domain.values import average_price
from routing.market.clock import NS_PER_S, to_datetime, to_ns

from .metrics import (
    MARKOUT_HORIZONS_S,
    NO_SHORTFALL,
    Shortfall,
    Tally,
    implementation_shortfall,
    performance_bps,
    ratio,
    side_sign,
    spread_capture,
)
from .tape import Tape

ZERO = Decimal(0)
FEE_PLACES = Decimal("0.000001")  # the fee columns' precision


# --- the facts --------------------------------------------------------------------------
@dataclass(frozen=True)
class DayTape:
    """One session's one-second tape, as much of it as the report reads, and its day's figures."""

    trading_date: date
    tape: Tape
    day_vwap: Decimal | None
    close: Decimal | None  # the official close (the closing cross), None until the session has closed
    open: Decimal | None = None  # the official open (the opening cross); the day's first mid without one

    def ns(self, moment: datetime) -> int:
        return to_ns(self.trading_date, moment)

    def at(self, ns: int) -> datetime:
        return to_datetime(self.trading_date, ns)


@dataclass(frozen=True)
class ParentFacts:
    id: int
    instrument: str
    side: str
    strategy: str
    status: str
    complete: bool  # filled, expired or cancelled: its benchmarks will not move any more
    quantity: int
    filled_quantity: int
    filled_notional: Decimal
    crossed_quantity: int
    fees: Decimal
    arrival_price: Decimal | None
    start: datetime | None
    end: datetime | None
    finished: datetime | None

    @property
    def average_price(self) -> Decimal | None:
        return average_price(self.filled_notional, self.filled_quantity)

    @property
    def market_filled_quantity(self) -> int:
        return self.filled_quantity - self.crossed_quantity

    @property
    def window_end(self) -> datetime | None:
        return self.finished or self.end


@dataclass(frozen=True)
class ChildFacts:
    child_id: int
    sent: datetime
    done: datetime | None
    venue: str
    tactic: str
    order_type: str
    quantity: int
    filled: int


@dataclass(frozen=True)
class FillFacts:
    fill_id: int
    child_id: int
    time: datetime
    venue: str
    liquidity: str
    quantity: int
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class OrderFacts:
    """An original order and what its allocations gave it."""

    order_id: int
    client_order_id: str
    trader: str
    account: str
    side: str
    quantity: int
    arrival_price: Decimal | None
    shares: int  # allocated, crosses included
    notional: Decimal
    market_shares: int  # allocated from market fills


@dataclass(frozen=True)
class CrossFacts:
    quantity: int
    bid: Decimal
    ask: Decimal


@dataclass(frozen=True)
class ExecutionFacts:
    """Everything TCA reads of one parent."""

    parent: ParentFacts
    day: DayTape | None
    children: list[ChildFacts]
    fills: list[FillFacts]
    orders: list[OrderFacts]
    crosses: list[CrossFacts]


# --- one parent ---------------------------------------------------------------------
@dataclass
class ChildRow:
    """The source's table: one executed child against the market VWAP over its life."""

    child_id: int
    time: datetime
    venue: str
    tactic: str
    order_type: str
    quantity: int
    price: Decimal
    benchmark_vwap: Decimal | None
    performance_bps: Decimal | None
    fees: Decimal


@dataclass
class FillRow:
    fill_id: int
    child_id: int
    time: datetime
    venue: str
    liquidity: str
    quantity: int
    price: Decimal
    fee: Decimal
    child_vwap: Decimal | None
    spread_capture: Decimal | None
    markout_mids: dict[int, Decimal | None]  # the NBBO mid h seconds after the fill


@dataclass
class OrderRow:
    """What one original small order got."""

    order_id: int
    client_order_id: str
    trader: str
    account: str
    side: str
    quantity: int
    filled: int
    crossed: int
    average_price: Decimal | None
    decision_price: Decimal | None
    performance_vs_vwap_bps: Decimal | None
    shortfall: Shortfall


@dataclass
class GroupFigures:
    """Quantity-weighted figures for any set of fills: a venue, an algorithm, a day."""

    quantity: int = 0
    notional: Decimal = ZERO
    fees: Decimal = ZERO
    children_sent: int = 0
    children_filled: int = 0
    vs_child_vwap: Tally = field(default_factory=Tally)
    vs_interval_vwap: Tally = field(default_factory=Tally)
    vs_arrival: Tally = field(default_factory=Tally)
    markouts: dict[int, Tally] = field(default_factory=lambda: {h: Tally() for h in MARKOUT_HORIZONS_S})
    capture_weighted: Decimal = ZERO  # sum of quantity x spread capture
    capture_quantity: int = 0
    shortfall: Shortfall = NO_SHORTFALL
    parents: int = 0

    def add_fill(self, row: FillRow, side: str, interval_vwap, arrival) -> None:
        sign = side_sign(side)
        quantity, price = row.quantity, row.price
        self.quantity += quantity
        self.notional += quantity * price
        self.fees += row.fee
        self.vs_child_vwap.add_signed(sign, quantity, price, row.child_vwap)
        self.vs_interval_vwap.add_signed(sign, quantity, price, interval_vwap)
        self.vs_arrival.add_signed(sign, quantity, price, arrival)
        for horizon, mid in row.markout_mids.items():
            self.markouts[horizon].add_signed(sign, quantity, price, mid)
        if row.spread_capture is not None:
            self.capture_weighted += quantity * row.spread_capture
            self.capture_quantity += quantity

    def merge(self, other: GroupFigures) -> None:
        self.quantity += other.quantity
        self.notional += other.notional
        self.fees += other.fees
        self.children_sent += other.children_sent
        self.children_filled += other.children_filled
        for mine, theirs in (
            (self.vs_child_vwap, other.vs_child_vwap),
            (self.vs_interval_vwap, other.vs_interval_vwap),
            (self.vs_arrival, other.vs_arrival),
        ):
            mine.merge(theirs)
        for horizon in MARKOUT_HORIZONS_S:
            self.markouts[horizon].merge(other.markouts[horizon])
        self.capture_weighted += other.capture_weighted
        self.capture_quantity += other.capture_quantity
        self.shortfall = self.shortfall + other.shortfall
        self.parents += other.parents

    @property
    def average_price(self) -> Decimal | None:
        return ratio(self.notional, self.quantity)

    @property
    def spread_capture(self) -> Decimal | None:
        return ratio(self.capture_weighted, self.capture_quantity)

    @property
    def fill_rate(self) -> Decimal | None:
        return ratio(self.children_filled, self.children_sent)


@dataclass
class ParentReport:
    parent: ParentFacts
    trading_date: date | None
    complete: bool  # the parent is done: its benchmarks will not move any more
    benchmarks: dict[str, Decimal | None]  # arrival, open, interval_vwap, twap, day_vwap, close
    end_price: Decimal | None  # the mid when the parent's window closed: values what was left unfilled
    performance_bps: dict[str, Decimal | None]  # the average price against each benchmark
    shortfall: Shortfall
    market_volume: int
    participation: Decimal | None
    fill_rate: Decimal | None  # filled / quantity
    crossed_quantity: int
    cross_savings: Decimal  # half the quoted spread on both legs of each internal cross, not paid
    children: list[ChildRow]
    children_total: ChildRow | None
    unfilled_children: int
    fills: list[FillRow]
    orders: list[OrderRow]
    venues: dict[str, GroupFigures]
    totals: GroupFigures


def _performance(side: str, price: Decimal | None, benchmark: Decimal | None) -> Decimal | None:
    return None if price is None or benchmark is None else performance_bps(side, price, benchmark)


def parent_figures(facts: ExecutionFacts) -> ParentReport:
    """Everything TCA knows about one parent, from its fills, children, orders and the tape."""
    parent, day = facts.parent, facts.day
    side = parent.side
    interval_vwap = twap = day_vwap = close = day_open = end_price = None
    market_volume = 0
    if day is not None and parent.start is not None:
        tape = day.tape
        start_ns = day.ns(parent.start)
        end_ns = day.ns(parent.window_end) if parent.window_end else start_ns
        interval_vwap = tape.vwap(start_ns, end_ns)
        twap = tape.twap(start_ns, end_ns)
        market_volume = tape.volume(start_ns, end_ns)
        day_vwap = day.day_vwap
        close = day.close
        day_open = day.open
        end_price = tape.mid_at(end_ns) or tape.last_mid
    arrival = parent.arrival_price
    end_price = end_price or arrival

    children = {c.child_id: c for c in facts.children}
    child_vwaps: dict[int, Decimal | None] = {}
    if day is not None:
        for child_id, c in children.items():
            done = c.done or parent.window_end or c.sent
            child_vwaps[child_id] = day.tape.vwap(day.ns(c.sent), day.ns(done))

    fills: list[FillRow] = []
    venues: dict[str, GroupFigures] = defaultdict(GroupFigures)
    totals = GroupFigures(parents=1)
    for f in facts.fills:
        markouts: dict[int, Decimal | None] = dict.fromkeys(MARKOUT_HORIZONS_S)
        capture = None
        if day is not None:
            fill_ns = day.ns(f.time)
            markouts = {h: day.tape.mid_at(fill_ns + h * NS_PER_S) for h in MARKOUT_HORIZONS_S}
            bid, ask = day.tape.quote_before(fill_ns)
            capture = None if bid is None or ask is None else spread_capture(side, f.price, bid, ask)
        row = FillRow(
            f.fill_id,
            f.child_id,
            f.time,
            f.venue,
            f.liquidity,
            f.quantity,
            f.price,
            f.fee,
            child_vwaps.get(f.child_id),
            capture,
            markouts,
        )
        fills.append(row)
        venues[f.venue].add_fill(row, side, interval_vwap, arrival)
    for c in children.values():
        venues[c.venue].children_sent += 1
        venues[c.venue].children_filled += bool(c.filled)
    for figures in venues.values():
        totals.merge(figures)

    child_rows, child_total = _child_rows(children, fills, child_vwaps, side)
    orders = _order_rows(parent, facts.orders, arrival, end_price, interval_vwap)
    shortfall = sum((o.shortfall for o in orders), NO_SHORTFALL)
    totals.shortfall = shortfall
    average = parent.average_price
    benchmarks = {
        "arrival": arrival,
        "open": day_open,
        "interval_vwap": interval_vwap,
        "twap": twap,
        "day_vwap": day_vwap,
        "close": close,
    }
    return ParentReport(
        parent=parent,
        trading_date=None if day is None else day.trading_date,
        complete=parent.complete,
        benchmarks=benchmarks,
        end_price=end_price,
        performance_bps={name: _performance(side, average, value) for name, value in benchmarks.items()},
        shortfall=shortfall,
        market_volume=market_volume,
        participation=ratio(parent.market_filled_quantity, market_volume),
        fill_rate=ratio(parent.filled_quantity, parent.quantity),
        crossed_quantity=parent.crossed_quantity,
        cross_savings=sum((c.quantity * (c.ask - c.bid) for c in facts.crosses), ZERO),
        children=child_rows,
        children_total=child_total,
        unfilled_children=sum(1 for c in children.values() if not c.filled),
        fills=fills,
        orders=orders,
        venues=dict(sorted(venues.items())),
        totals=totals,
    )


def _child_rows(children: dict, fills: list[FillRow], child_vwaps: dict, side: str):
    by_child: dict[int, list] = {}  # child -> [quantity, notional, fees], in one pass over the fills
    for f in fills:
        entry = by_child.get(f.child_id)
        if entry is None:
            by_child[f.child_id] = [f.quantity, f.quantity * f.price, f.fee]
        else:
            entry[0] += f.quantity
            entry[1] += f.quantity * f.price
            entry[2] += f.fee
    rows = []
    total = Tally()
    total_fees = ZERO
    for child_id in sorted(by_child):
        c = children[child_id]
        quantity, notional, fees = by_child[child_id]
        price = notional / quantity
        benchmark = child_vwaps.get(child_id)
        rows.append(
            ChildRow(
                child_id,
                c.sent,
                c.venue,
                c.tactic,
                c.order_type,
                quantity,
                price,
                benchmark,
                _performance(side, price, benchmark),
                fees,
            )
        )
        total.add(side, quantity, price, benchmark)
        total_fees += fees
    if not rows:
        return rows, None
    quantity = sum(r.quantity for r in rows)
    price = sum((r.quantity * r.price for r in rows), ZERO) / quantity
    return rows, ChildRow(
        0, rows[0].time, "ALL", "", "", quantity, price, total.benchmark, total.performance_bps, total_fees
    )


def _order_rows(
    parent: ParentFacts,
    orders: list[OrderFacts],
    arrival: Decimal | None,
    end_price: Decimal | None,
    interval_vwap: Decimal | None,
) -> list[OrderRow]:
    """Each original order's fills (its allocations), benchmarks and shortfall.

    Fees are the parent's, shared pro rata to the market shares each order received
    (crosses pay none), the last order taking the rounding remainder so they add up.
    """
    total_market = sum(o.market_shares for o in orders)
    fees_left = parent.fees
    rows = []
    for index, order in enumerate(orders):
        quantity, notional, market = order.shares, order.notional, order.market_shares
        if index == len(orders) - 1:
            fees = fees_left
        else:
            fees = (parent.fees * market / total_market).quantize(FEE_PLACES) if total_market else ZERO
            fees_left -= fees
        decision = order.arrival_price or arrival
        if decision is None or arrival is None:
            shortfall = NO_SHORTFALL
        else:
            shortfall = implementation_shortfall(
                side=order.side,
                quantity=order.quantity,
                decision_price=decision,
                arrival_price=arrival,
                executed_quantity=quantity,
                executed_notional=notional,
                end_price=end_price or arrival,
                fees=fees,
            )
        average = notional / quantity if quantity else None
        rows.append(
            OrderRow(
                order.order_id,
                order.client_order_id,
                order.trader,
                order.account,
                order.side,
                order.quantity,
                quantity,
                quantity - market,
                average,
                decision,
                None
                if average is None or interval_vwap is None
                else performance_bps(order.side, average, interval_vwap),
                shortfall,
            )
        )
    return rows


# --- many parents -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ParentSummary:
    """One line of the desk's parent table: all a desk report keeps of each parent."""

    parent_id: int
    trading_date: date | None
    instrument: str
    side: str
    strategy: str
    status: str
    quantity: int
    filled_quantity: int
    average_price: Decimal | None
    arrival: Decimal | None
    interval_vwap: Decimal | None
    performance_vs_arrival_bps: Decimal | None
    performance_vs_interval_vwap_bps: Decimal | None
    shortfall_bps: Decimal
    participation: Decimal | None

    @classmethod
    def of(cls, report: ParentReport) -> ParentSummary:
        parent = report.parent
        return cls(
            parent.id,
            report.trading_date,
            parent.instrument,
            parent.side,
            parent.strategy,
            parent.status,
            parent.quantity,
            parent.filled_quantity,
            parent.average_price,
            report.benchmarks["arrival"],
            report.benchmarks["interval_vwap"],
            report.performance_bps["arrival"],
            report.performance_bps["interval_vwap"],
            report.shortfall.total_bps,
            report.participation,
        )


@dataclass
class DeskReport:
    """Many parents, added up per algorithm, venue, instrument and day."""

    parents: list[ParentSummary]
    by_algorithm: dict[str, GroupFigures]
    by_venue: dict[str, GroupFigures]
    by_instrument: dict[str, GroupFigures]
    by_day: dict[str, GroupFigures]
    totals: GroupFigures


@dataclass(frozen=True, slots=True)
class DeskContribution:
    """What a desk report takes of one parent: its summary line and the figures it adds up.
    A few kilobytes, and final once the parent is done: it is kept, so a desk report over
    thousands of finished parents reads them instead of every fill again."""

    summary: ParentSummary
    strategy: str
    instrument: str
    day: str
    totals: GroupFigures
    venues: dict[str, GroupFigures]

    @classmethod
    def of(cls, report: ParentReport) -> DeskContribution:
        parent = report.parent
        return cls(
            ParentSummary.of(report),
            parent.strategy,
            parent.instrument,
            str(report.trading_date),
            report.totals,
            report.venues,
        )


class DeskTally:
    """Parents' reports added up as they come, per algorithm, venue, instrument and day: a desk
    report keeps each parent's summary line and lets its fills go."""

    def __init__(self) -> None:
        self.summaries: list[ParentSummary] = []
        self.by_algorithm: dict[str, GroupFigures] = defaultdict(GroupFigures)
        self.by_venue: dict[str, GroupFigures] = defaultdict(GroupFigures)
        self.by_instrument: dict[str, GroupFigures] = defaultdict(GroupFigures)
        self.by_day: dict[str, GroupFigures] = defaultdict(GroupFigures)
        self.totals = GroupFigures()

    def add(self, report: ParentReport) -> None:
        self.add_contribution(DeskContribution.of(report))

    def add_contribution(self, contribution: DeskContribution) -> None:
        self.summaries.append(contribution.summary)
        for groups, key in (
            (self.by_algorithm, contribution.strategy),
            (self.by_instrument, contribution.instrument),
            (self.by_day, contribution.day),
        ):
            groups[key].merge(contribution.totals)
        self.totals.merge(contribution.totals)
        for venue, figures in contribution.venues.items():
            self.by_venue[venue].merge(figures)

    def report(self) -> DeskReport:
        return DeskReport(
            self.summaries,
            dict(sorted(self.by_algorithm.items())),
            dict(sorted(self.by_venue.items())),
            dict(sorted(self.by_instrument.items())),
            dict(sorted(self.by_day.items())),
            self.totals,
        )
