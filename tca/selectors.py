"""What TCA reads: a parent's facts (fills, children, orders, crosses) and its session's tape,
as plain rows for ``tca.figures``; the parents a desk report covers."""

from __future__ import annotations

import pickle
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Sum

from orders.domain.values import average_price
from orders.models import PARENT_FINISHED_STATUSES, Allocation, InternalCross, Order, ParentOrder
from routing.market.clock import NS_PER_S, to_datetime, to_ns
from routing.models import ChildOrder, Fill, MarketBar, MarketSession

from .figures import (
    ChildFacts,
    CrossFacts,
    DayTape,
    DeskContribution,
    ExecutionFacts,
    FillFacts,
    OrderFacts,
    ParentFacts,
)
from .metrics import MARKOUT_HORIZONS_S
from .models import ParentTcaSummary
from .tape import Tape, TapeBar

MARKOUT_TAIL = timedelta(seconds=max(MARKOUT_HORIZONS_S) + 1)
ZERO = Decimal(0)


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
            self._by_key[key] = _day_tape(parent.session, window)
        return self._by_key[key]


def _day_tape(session: MarketSession, window: tuple[datetime, datetime] | None) -> DayTape:
    """The session's bars (within ``window`` if given), its whole day's VWAP and, once closed, its last mid."""
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
    closed = session.status == MarketSession.Status.CLOSED
    day_vwap = average_price(whole["notional"], whole["volume"])
    return DayTape(day, tape, day_vwap, _close(session) if closed else None, _open(session))


def _open(session: MarketSession) -> Decimal | None:
    """The official open, the opening cross's price; the first mid of a day that had none."""
    return session.opening_price if session.opening_price is not None else _quoted_mid(session, "start")


def _close(session: MarketSession) -> Decimal | None:
    """The official close, the closing cross's price; the last mid of a day that had none."""
    return session.closing_price if session.closing_price is not None else _quoted_mid(session, "-start")


def _quoted_mid(session: MarketSession, order_by: str) -> Decimal | None:
    """The mid of the session's first (or, by "-start", last) one-second bar with a two-sided quote."""
    bar = MarketBar.objects.filter(session=session, bid__isnull=False, ask__isnull=False).order_by(order_by).first()
    return None if bar is None else (bar.bid + bar.ask) / 2


def parent_facts(parent: ParentOrder, *, tapes: Tapes | None = None) -> ExecutionFacts:
    tapes = tapes or Tapes(whole_days=False)
    return ExecutionFacts(
        parent=ParentFacts(
            id=parent.pk,
            instrument=parent.instrument.symbol,
            side=parent.side,
            strategy=parent.strategy,
            status=parent.status,
            complete=parent.status in PARENT_FINISHED_STATUSES,
            quantity=parent.quantity,
            filled_quantity=parent.filled_quantity,
            filled_notional=parent.filled_notional,
            crossed_quantity=parent.crossed_quantity,
            fees=parent.fees,
            arrival_price=parent.arrival_price,
            start=parent.start,
            end=parent.end,
            finished=parent.finished,
        ),
        day=tapes.for_parent(parent),
        children=[
            ChildFacts(*row)
            for row in ChildOrder.objects.filter(parent=parent).values_list(
                "id", "sim_time", "done_time", "venue", "tactic", "order_type", "quantity", "filled_quantity"
            )
        ],
        fills=[
            FillFacts(*row)
            for row in Fill.objects.filter(parent=parent)
            .order_by("id")
            .values_list("id", "child_id", "sim_time", "venue", "liquidity", "quantity", "price", "fee")
        ],
        orders=_order_facts(parent),
        crosses=[
            CrossFacts(*row)
            for row in InternalCross.objects.filter(allocations__parent=parent)
            .distinct()
            .values_list("quantity", "bid", "ask")
        ],
    )


def _order_facts(parent: ParentOrder) -> list[OrderFacts]:
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
    orders = (
        Order.objects.filter(parent=parent)
        .select_related("submitted_by", "account")
        .order_by("id")
        .only("id", "client_order_id", "submitted_by__username", "account__code", "side", "quantity", "arrival_price")
    )
    return [
        OrderFacts(
            o.pk,
            o.client_order_id,
            o.submitted_by.username,
            o.account.code,
            o.side,
            o.quantity,
            o.arrival_price,
            *allocated[o.pk],
        )
        for o in orders
    ]


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


def trader_usernames() -> list[str]:
    """Everyone who has submitted an order, for the trader filter: a name that submitted
    nothing would only ever select no parent."""
    return list(
        Order.objects.order_by()
        .values_list("submitted_by__username", flat=True)
        .distinct()
        .order_by("submitted_by__username")
    )


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


# Bumped when DeskContribution (or the figures in it) changes shape: older rows are recomputed.
CONTRIBUTION_VERSION = 1


def kept_contributions(parents) -> dict[int, DeskContribution]:
    """The stored desk contributions still current for these parents (the parent has not been
    written since), by parent id; the others are for the caller to compute."""
    updated = {p.pk: p.updated_at for p in parents if p.status in PARENT_FINISHED_STATUSES}
    rows = ParentTcaSummary.objects.filter(parent__in=list(updated), version=CONTRIBUTION_VERSION)
    kept = {}
    for parent_id, parent_updated_at, blob in rows.values_list("parent", "parent_updated_at", "contribution"):
        if parent_updated_at == updated[parent_id]:
            kept[parent_id] = pickle.loads(blob)  # written by parent_contributions_keep, never from outside
    return kept


def parents_to_summarize(limit: int):
    """Finished parents whose desk contribution is missing or older than their last write, oldest first."""
    current = ParentTcaSummary.objects.filter(
        parent=OuterRef("pk"), parent_updated_at=OuterRef("updated_at"), version=CONTRIBUTION_VERSION
    )
    finished = ParentOrder.objects.filter(status__in=PARENT_FINISHED_STATUSES).select_related("instrument", "session")
    return finished.exclude(Exists(current)).order_by("id")[:limit]
