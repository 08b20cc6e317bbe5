"""TCA reports built from stored fills, children, allocations and the one-second tape.

Reads only. Every figure over many fills is a quantity-weighted sum (``Tally``), every
shortfall a sum of order shortfalls, so a parent's numbers are its orders' numbers
added up and a venue's or an algorithm's are its fills' numbers added up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Sum

from orders.models import Allocation, InternalCross, Order, ParentOrder
from routing.market.clock import NS_PER_S, to_datetime, to_ns
from routing.models import ChildOrder, Fill, MarketBar, MarketSession

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
from .tape import Tape, TapeBar

ZERO = Decimal(0)
MARKOUT_TAIL = timedelta(seconds=max(MARKOUT_HORIZONS_S) + 1)
FEE_PLACES = Decimal("0.000001")  # the fee columns' precision


# --- the tape -----------------------------------------------------------------------
@dataclass
class DayTape:
    session: MarketSession
    tape: Tape
    day_vwap: Decimal | None

    def ns(self, moment: datetime) -> int:
        return to_ns(self.session.trading_date, moment)

    def at(self, ns: int) -> datetime:
        return to_datetime(self.session.trading_date, ns)


class Tapes:
    """Each session's tape, loaded once per report run.

    A desk report loads whole days (many parents share them); a one-parent report only
    the parent's life and the longest mark-out after it.
    """

    def __init__(self, *, whole_days: bool = True) -> None:
        self.whole_days = whole_days
        self._by_key: dict[tuple, DayTape | None] = {}

    def for_parent(self, parent: ParentOrder) -> DayTape | None:
        if parent.session_id is None:
            return None
        window = None if self.whole_days else (parent.start, (parent.window_end or parent.start) + MARKOUT_TAIL)
        key = (parent.session_id, window)
        if key not in self._by_key:
            session = parent.session
            self._by_key[key] = DayTape(session, *_session_tape(session, window))
        return self._by_key[key]


def _session_tape(session: MarketSession, window: tuple[datetime, datetime] | None) -> tuple[Tape, Decimal | None]:
    """The session's bars (within ``window`` if given) and its whole day's VWAP."""
    day = session.trading_date
    bars = MarketBar.objects.filter(session=session)
    whole = bars.aggregate(volume=Sum("volume"), notional=Sum("notional"))
    if window is not None:
        bars = bars.filter(end__gt=window[0], start__lt=window[1])
    tape = Tape(
        [
            TapeBar(to_ns(day, start), to_ns(day, end), volume, notional, bid, ask)
            for start, end, volume, notional, bid, ask in bars.order_by("start").values_list(
                "start", "end", "volume", "notional", "bid", "ask"
            )
        ]
    )
    return tape, (whole["notional"] / whole["volume"] if whole["volume"] else None)


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

    def as_dict(self) -> dict:
        return {
            "parents": self.parents,
            "quantity": self.quantity,
            "average_price": as_str(self.average_price),
            "fees": as_str(self.fees),
            "children_sent": self.children_sent,
            "child_fill_rate": as_str(self.fill_rate, "0.0001"),
            "performance_vs_child_vwap_bps": as_str(self.vs_child_vwap.performance_bps, "0.01"),
            "performance_vs_interval_vwap_bps": as_str(self.vs_interval_vwap.performance_bps, "0.01"),
            "performance_vs_arrival_bps": as_str(self.vs_arrival.performance_bps, "0.01"),
            "spread_capture": as_str(self.spread_capture, "0.0001"),
            "markouts_bps": {str(h): as_str(t.performance_bps, "0.01") for h, t in self.markouts.items()},
            "shortfall": shortfall_dict(self.shortfall),
        }


@dataclass
class ParentReport:
    parent: ParentOrder
    trading_date: date | None
    complete: bool  # the parent is done: its benchmarks will not move any more
    benchmarks: dict[str, Decimal | None]  # arrival, interval_vwap, twap, day_vwap, close
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


def as_str(value, places: str | None = None) -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal(places)) if places else value)


def shortfall_dict(shortfall: Shortfall) -> dict:
    return {
        "sign": "cost: positive = cost",
        "delay": as_str(shortfall.delay, "0.01"),
        "trading": as_str(shortfall.trading, "0.01"),
        "opportunity": as_str(shortfall.opportunity, "0.01"),
        "fees": as_str(shortfall.fees, "0.01"),
        "total": as_str(shortfall.total, "0.01"),
        "delay_bps": as_str(shortfall.delay_bps),
        "trading_bps": as_str(shortfall.trading_bps),
        "opportunity_bps": as_str(shortfall.opportunity_bps),
        "fees_bps": as_str(shortfall.fees_bps),
        "total_bps": as_str(shortfall.total_bps),
    }


def parent_report(parent: ParentOrder, *, tapes: Tapes | None = None) -> ParentReport:
    """Everything TCA knows about one parent, from its fills, children, orders and the tape."""
    tapes = tapes or Tapes(whole_days=False)
    day = tapes.for_parent(parent)
    side = parent.side
    complete = parent.status in ("FILLED", "EXPIRED", "CANCELLED")
    start_ns = end_ns = None
    interval_vwap = twap = day_vwap = close = end_price = None
    market_volume = 0
    if day is not None and parent.start is not None:
        tape = day.tape
        start_ns = day.ns(parent.start)
        end_ns = day.ns(parent.window_end) if parent.window_end else start_ns
        interval_vwap = tape.vwap(start_ns, end_ns)
        twap = tape.twap(start_ns, end_ns)
        market_volume = tape.volume(start_ns, end_ns)
        closed = day.session.status == MarketSession.Status.CLOSED
        day_vwap = day.day_vwap
        close = _closing_mid(day.session) if closed else None
        end_price = tape.mid_at(end_ns) or tape.last_mid
    arrival = parent.arrival_price
    end_price = end_price or arrival

    children = {
        c["id"]: c
        for c in ChildOrder.objects.filter(parent=parent).values(
            "id", "sim_time", "done_time", "venue", "tactic", "order_type", "quantity", "filled_quantity"
        )
    }
    child_vwaps: dict[int, Decimal | None] = {}
    if day is not None:
        for child_id, c in children.items():
            done = c["done_time"] or parent.window_end or c["sim_time"]
            child_vwaps[child_id] = day.tape.vwap(day.ns(c["sim_time"]), day.ns(done))

    fills: list[FillRow] = []
    venues: dict[str, GroupFigures] = defaultdict(GroupFigures)
    totals = GroupFigures(parents=1)
    for fill_id, child_id, time, venue, liquidity, quantity, price, fee in (
        Fill.objects.filter(parent=parent)
        .order_by("id")
        .values_list("id", "child_id", "sim_time", "venue", "liquidity", "quantity", "price", "fee")
    ):
        markouts: dict[int, Decimal | None] = dict.fromkeys(MARKOUT_HORIZONS_S)
        capture = None
        if day is not None:
            fill_ns = day.ns(time)
            markouts = {h: day.tape.mid_at(fill_ns + h * NS_PER_S) for h in MARKOUT_HORIZONS_S}
            bid, ask = day.tape.quote_before(fill_ns)
            capture = None if bid is None or ask is None else spread_capture(side, price, bid, ask)
        row = FillRow(
            fill_id,
            child_id,
            time,
            venue,
            liquidity,
            quantity,
            price,
            fee,
            child_vwaps.get(child_id),
            capture,
            markouts,
        )
        fills.append(row)
        venues[venue].add_fill(row, side, interval_vwap, arrival)
    for c in children.values():
        venues[c["venue"]].children_sent += 1
        venues[c["venue"]].children_filled += bool(c["filled_quantity"])
    for figures in venues.values():
        totals.merge(figures)

    child_rows, child_total = _child_rows(children, fills, child_vwaps, side)
    orders = _order_rows(parent, arrival, end_price, interval_vwap)
    shortfall = sum((o.shortfall for o in orders), NO_SHORTFALL)
    totals.shortfall = shortfall
    average = parent.average_price
    benchmarks = {
        "arrival": arrival,
        "interval_vwap": interval_vwap,
        "twap": twap,
        "day_vwap": day_vwap,
        "close": close,
    }
    crosses = InternalCross.objects.filter(allocations__parent=parent).distinct().values_list("quantity", "bid", "ask")
    return ParentReport(
        parent=parent,
        trading_date=None if day is None else day.session.trading_date,
        complete=complete,
        benchmarks=benchmarks,
        end_price=end_price,
        performance_bps={name: _performance(side, average, value) for name, value in benchmarks.items()},
        shortfall=shortfall,
        market_volume=market_volume,
        participation=ratio(parent.market_filled_quantity, market_volume),
        fill_rate=ratio(parent.filled_quantity, parent.quantity),
        crossed_quantity=parent.crossed_quantity,
        cross_savings=sum((q * (ask - bid) for q, bid, ask in crosses), ZERO),
        children=child_rows,
        children_total=child_total,
        unfilled_children=sum(1 for c in children.values() if not c["filled_quantity"]),
        fills=fills,
        orders=orders,
        venues=dict(sorted(venues.items())),
        totals=totals,
    )


def _closing_mid(session: MarketSession) -> Decimal | None:
    bar = MarketBar.objects.filter(session=session, bid__isnull=False, ask__isnull=False).order_by("-start").first()
    return None if bar is None else (bar.bid + bar.ask) / 2


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
                c["sim_time"],
                c["venue"],
                c["tactic"],
                c["order_type"],
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
    parent: ParentOrder, arrival: Decimal | None, end_price: Decimal | None, interval_vwap: Decimal | None
) -> list[OrderRow]:
    """Each original order's fills (its allocations), benchmarks and shortfall.

    Fees are the parent's, shared pro rata to the market shares each order received
    (crosses pay none), the last order taking the rounding remainder so they add up.
    """
    allocated: dict[int, list] = defaultdict(lambda: [0, ZERO, 0])  # order -> [shares, notional, market shares]
    for order_id, venue, quantity, notional in (
        Allocation.objects.filter(parent=parent)
        .values("order_id", "venue")
        .annotate(shares=Sum("quantity"), notional=Sum(F("quantity") * F("price")))
        .values_list("order_id", "venue", "shares", "notional")
    ):
        entry = allocated[order_id]
        entry[0] += quantity
        entry[1] += notional
        if venue != Allocation.INTERNAL_VENUE:
            entry[2] += quantity
    orders = list(
        Order.objects.filter(parent=parent)
        .select_related("submitted_by", "account")
        .order_by("id")
        .only("id", "client_order_id", "submitted_by__username", "account__code", "side", "quantity", "arrival_price")
    )
    total_market = sum(allocated[o.pk][2] for o in orders)
    fees_left = parent.fees
    rows = []
    for index, order in enumerate(orders):
        quantity, notional, market = allocated[order.pk]
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
                order.pk,
                order.client_order_id,
                order.submitted_by.username,
                order.account.code,
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
@dataclass(frozen=True)
class TcaFilters:
    date_from: date | None = None
    date_to: date | None = None
    instrument: str = ""
    algorithm: str = ""
    trader: str = ""

    def as_query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> TcaFilters:
        dates = {k: date.fromisoformat(query[k]) for k in ("date_from", "date_to") if query.get(k)}
        return cls(**dates, **{k: query.get(k, "") for k in ("instrument", "algorithm", "trader")})


def parents_for(filters: TcaFilters):
    """Parents that started, filtered by simulated trading date, instrument, algorithm, trader."""
    # The session's checkpoint stays behind: a report reads its tape, never its simulator.
    parents = ParentOrder.objects.exclude(start=None).select_related("instrument", "session").defer("session__state")
    if filters.instrument:
        parents = parents.filter(instrument__symbol=filters.instrument)
    if filters.algorithm:
        parents = parents.filter(strategy=filters.algorithm)
    if filters.trader:
        parents = parents.filter(pk__in=Order.objects.filter(submitted_by__username=filters.trader).values("parent"))
    if filters.date_from:
        parents = parents.filter(start__gte=to_datetime(filters.date_from, 0))
    if filters.date_to:
        parents = parents.filter(start__lt=to_datetime(filters.date_to, 24 * 3600 * NS_PER_S))
    return parents.order_by("-start", "-id")


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
            parent.pk,
            report.trading_date,
            parent.instrument.symbol,
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


def desk_report(parents: Iterable[ParentOrder], *, progress=None) -> DeskReport:
    tapes = Tapes()
    summaries: list[ParentSummary] = []
    by_algorithm: dict[str, GroupFigures] = defaultdict(GroupFigures)
    by_venue: dict[str, GroupFigures] = defaultdict(GroupFigures)
    by_instrument: dict[str, GroupFigures] = defaultdict(GroupFigures)
    by_day: dict[str, GroupFigures] = defaultdict(GroupFigures)
    totals = GroupFigures()
    parents = list(parents)
    for index, parent in enumerate(parents):
        report = parent_report(parent, tapes=tapes)
        summaries.append(ParentSummary.of(report))  # the report itself (its fills) is let go
        for groups, key in (
            (by_algorithm, parent.strategy),
            (by_instrument, parent.instrument.symbol),
            (by_day, str(report.trading_date)),
        ):
            groups[key].merge(report.totals)
        totals.merge(report.totals)
        for venue, figures in report.venues.items():
            by_venue[venue].merge(figures)
        if progress is not None:
            progress(index + 1, len(parents))
    return DeskReport(
        summaries,
        dict(sorted(by_algorithm.items())),
        dict(sorted(by_venue.items())),
        dict(sorted(by_instrument.items())),
        dict(sorted(by_day.items())),
        totals,
    )
