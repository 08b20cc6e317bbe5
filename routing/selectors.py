"""Reads for the execution panels."""

from __future__ import annotations

import pickle
from dataclasses import replace
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from orders.domain.instructions import Instructions, VenueSet
from orders.domain.urgency import URGENCY_TERMS
from orders.domain.values import (
    Side,
    average_price,
    half_ticks_to_price,
    price_to_ticks,
    quantize_price,
    ticks_to_price,
)
from orders.models import Allocation, AuditEvent, Order, ParentOrder, ParentStatus
from orders.payloads import iso_time
from orders.roles import TRADER
from orders.selectors import sees_all_orders
from orders.services.intake import IntakeMarket

from .engine.scheduling import schedule_for
from .engine.state import ExecutionState, ParentPlan
from .market.clock import CLOSE_NS, NS_PER_S, OPEN_NS, to_datetime, to_ns
from .market.closing import CUTOFF_S
from .market.simulator import MarketSimulator
from .market.venues import DEFAULT_VENUES, LIT, VenueSpec
from .models import ChildOrder, Fill, KillSwitch, MarketBar, MarketSession, Venue
from .profiles import volume_profile
from .services import clock as clock_service


def parent_list(*, user) -> QuerySet[ParentOrder]:
    parents = ParentOrder.objects.select_related("instrument")
    if sees_all_orders(user):
        return parents
    return parents.filter(orders__account__owner=user).distinct()


def parent_members(*, user, parent: ParentOrder) -> QuerySet[Order]:
    """A parent's member orders as ``user`` may see them (a trader only their own), oldest
    first, each with what it got from internal crosses."""
    members = (
        parent.orders.select_related("account", "instrument")
        .annotate(crossed=Sum("allocations__quantity", filter=Q(allocations__venue=Allocation.INTERNAL_VENUE)))
        .order_by("received_at", "id")
    )
    return members if sees_all_orders(user) else members.filter(account__owner=user)


ANOTHER_TRADER = "user:another trader"


def parent_audit_for(
    *, user, parent: ParentOrder, own_only: bool = False, latest: int | None = None
) -> list[AuditEvent]:
    """A parent's audit trail as ``user`` may read it, oldest first: supervisors and analysts
    all of it; a trader the parent's own market events and their own orders' events, and no
    other trader's name (parents mix many traders' orders). ``own_only``: the parent's own
    story (created, started, paused, crossed, filled, reconciled...), without its children's
    and member orders' events; ``latest``: only the last so many."""
    events = AuditEvent.objects.filter(parent=parent)
    if own_only:
        events = events.filter(order__isnull=True).exclude(kind__startswith="child.")
    if not sees_all_orders(user):
        events = events.filter(Q(order__isnull=True) | Q(order__account__owner=user))
    events = list(events.order_by("-id")[:latest] if latest else events.order_by("-id"))[::-1]
    if sees_all_orders(user):
        return events
    names = {e.actor.removeprefix("user:") for e in events if e.actor.startswith("user:")} - {user.username}
    traders = set(
        get_user_model().objects.filter(username__in=names, groups__name=TRADER).values_list("username", flat=True)
    )
    for event in events:
        if event.actor.startswith("user:") and event.actor.removeprefix("user:") in traders:
            event.actor = ANOTHER_TRADER
    return events


def parent_plan(parent: ParentOrder, session: MarketSession, *, withheld: int = 0) -> ParentPlan:
    """The parent as the engine sees it: integer ticks and lots, simulated nanoseconds.

    ``withheld``: shares of pending cancels still out at venues; the engine works for the
    rest, so it cancels the children only those shares needed.
    """
    instrument = parent.instrument
    return ParentPlan(
        parent_id=parent.pk,
        side=Side(parent.side).sign,
        quantity=parent.market_quantity - withheld,
        filled=parent.market_filled_quantity,
        limit=None if parent.limit_price is None else price_to_ticks(parent.limit_price, instrument.tick_size),
        start_ns=to_ns(session.trading_date, parent.start),
        end_ns=to_ns(session.trading_date, parent.end),
        lot_size=instrument.lot_size,
        strategy=parent.strategy,
        urgency=URGENCY_TERMS[parent.urgency].kappa_t,
        pov_rate=float(parent.pov_rate),
        max_participation=float(parent.max_participation),
        aggressiveness=float(parent.aggressiveness),
        routing=parent.routing,
        excluded_venues=frozenset(Instructions.from_json(parent.instructions).exclude_venues),
        active=parent.status == ParentStatus.WORKING and parent.cancel_requested_at is None,
    )


def intake_market(*, instruments) -> IntakeMarket:
    """``settings.INTAKE_MARKET``: the kill switch, the arrival mids, the opening auctions that have
    run and the closing auctions past their cutoff, as intake reads them.

    With the exchange clock the open is the desk's: from 09:30 every instrument's opening
    auction has run, whether or not its session has stepped yet. Unpaced, each instrument's
    day opens with its session's first step."""
    instruments = list(instruments)
    mids, past_cutoff, opened = _latest_sessions(instruments)
    clock = clock_service.exchange_clock()
    if clock is not None:
        _, ns = clock.now(clock_service.wall_now_ns())
        opened = frozenset(i.pk for i in instruments) if ns >= OPEN_NS else frozenset()
    return IntakeMarket(
        halted=KillSwitch.current().engaged, mids=mids, past_closing_cutoff=past_cutoff, past_opening=opened
    )


def _latest_sessions(instruments) -> tuple[dict[int, Decimal], frozenset[int], frozenset[int]]:
    """From each instrument's latest session, in one query: its NBBO mid, whether it is past its
    closing auction's cutoff, and whether it has opened (a closed one is followed by a new day,
    its auctions still to come)."""
    ticks = {i.pk: i.tick_size for i in instruments}
    cutoff_ns = CLOSE_NS - CUTOFF_S * NS_PER_S
    mids: dict[int, Decimal] = {}
    past: dict[int, bool] = {}
    opened: dict[int, bool] = {}
    sessions = (
        MarketSession.objects.filter(instrument_id__in=ticks)
        .order_by("instrument_id", "trading_date")
        .values_list("instrument_id", "bid_ticks", "ask_ticks", "sim_time_ns", "status")
    )
    for instrument_id, bid, ask, ns, status in sessions:  # the latest day wins
        if bid is not None and ask is not None:
            mids[instrument_id] = half_ticks_to_price(bid + ask, ticks[instrument_id])
        past[instrument_id] = status != MarketSession.Status.CLOSED and ns > cutoff_ns
        opened[instrument_id] = status != MarketSession.Status.CLOSED and ns > OPEN_NS  # its first step ran the open
    return (
        mids,
        frozenset(i for i, passed in past.items() if passed),
        frozenset(i for i, yes in opened.items() if yes),
    )


def intake_venues() -> VenueSet:
    """``settings.INTAKE_VENUES``: the active venues' codes by kind, as intake validates exclusions."""
    specs = venue_specs()
    return VenueSet(
        lit=frozenset(v.code for v in specs if v.kind == LIT), dark=frozenset(v.code for v in specs if v.kind != LIT)
    )


def parent_market_bars(parent: ParentOrder):
    """The market's bars over the parent's life so far."""
    if parent.start is None:
        return MarketBar.objects.none()
    return MarketBar.objects.filter(
        session__instrument_id=parent.instrument_id, start__gte=parent.start, end__lte=parent.end
    ).order_by("start")


def parent_panel_series(parent: ParentOrder) -> dict:
    """Executed-so-far and market series for the parent panel's charts.

    One executed point per simulated time that filled (a step, not a fill, so a busy
    parent's snapshot stays small), counted like ``filled_quantity``: from the crossed shares.
    """
    executed = []
    cumulative = parent.crossed_quantity
    per_time = Fill.objects.filter(parent=parent).values("sim_time").annotate(quantity=Sum("quantity"))
    for point in per_time.order_by("sim_time"):
        cumulative += point["quantity"]
        executed.append({"time": iso_time(point["sim_time"]), "filled": cumulative})
    market = []
    volume, notional = 0, Decimal(0)
    for bar in parent_market_bars(parent):
        volume += bar.volume
        notional += bar.notional
        mid = (bar.bid + bar.ask) / 2 if bar.bid is not None and bar.ask is not None else None
        market.append(
            {
                "time": iso_time(bar.end),
                "mid": None if mid is None else str(mid),
                "vwap": _price_or_none(average_price(notional, volume)),
            }
        )
    return {"executed": executed, "market": market, "crosses": parent_window_crosses(parent)}


# The auction feed's events the desk keeps: by phase, the audit kind, and the session fields a cross sets
MARKET_EVENTS = {
    "OPEN": ("market.opening_cross", "opening"),
    "HALT": ("market.halted", None),
    "REOPEN": ("market.reopening_cross", None),
    "CLOSE": ("market.closing_cross", "closing"),
}


def parent_window_crosses(parent: ParentOrder) -> list[dict]:
    """The listing venue's crosses and pauses (the official open, a volatility pause and its
    reopening, the official close) within the parent's window so far, from the audit trail."""
    if parent.start is None:
        return []
    events = AuditEvent.objects.filter(
        kind__in=[kind for kind, _ in MARKET_EVENTS.values()],
        detail__instrument=parent.instrument.symbol,
        sim_time__gte=parent.start,
        sim_time__lte=parent.end,
    ).order_by("sim_time", "id")
    return [{key: e.detail[key] for key in ("phase", "time", "price", "paired")} for e in events.only("detail")]


def parent_fill_count(parent: ParentOrder) -> int:
    return Fill.objects.filter(parent=parent).count()


def parent_recent_fills(parent: ParentOrder, limit: int = 200):
    return list(Fill.objects.filter(parent=parent).select_related("child").order_by("-id")[:limit])


def parent_schedule(parent: ParentOrder, points: int = 60) -> list[dict]:
    """The parent's own algorithm schedule (cumulative shares due), for the progress chart.

    Rebuilt from the parent's parameters and its session's market model, so it is the
    same schedule the engine follows (participation caps aside).
    """
    if parent.session is None or parent.end is None:
        return []
    session = parent.session
    _, state = session_checkpoint(session)
    if state.profile is None and parent.strategy == "VWAP":
        state.profile = volume_profile()
    plan = parent_plan(parent, session)
    plan = replace(plan, max_participation=1.0, filled=0)
    start_ns, end_ns = to_ns(session.trading_date, parent.start), to_ns(session.trading_date, parent.end)
    schedule = schedule_for(plan, state, start_ns=start_ns, quantity=plan.quantity)
    crossed = parent.crossed_quantity
    series = []
    for i in range(points + 1):
        at_ns = start_ns + (end_ns - start_ns) * i // points
        due = crossed + schedule.target(at_ns, others_volume=10**15)
        if plan.strategy == "POV":  # follows volume: the plan is what the market allowed so far
            break
        series.append({"time": iso_time(to_datetime(session.trading_date, at_ns)), "due": due})
    return series


def parent_venue_breakdown(parent: ParentOrder) -> list[dict]:
    """Per venue: child orders, shares filled, average price, fees, maker share."""
    rows = {}
    for child in ChildOrder.objects.filter(parent=parent).values("venue").annotate(children=Count("id")):
        rows[child["venue"]] = {"venue": child["venue"], "children": child["children"]}
    fills = (
        Fill.objects.filter(parent=parent)
        .values("venue")
        .annotate(
            filled=Sum("quantity"),
            notional=Sum(F("quantity") * F("price")),
            fees=Sum("fee"),
            maker=Sum("quantity", filter=Q(liquidity="M")),
        )
    )
    for f in fills:
        row = rows.setdefault(f["venue"], {"venue": f["venue"], "children": 0})
        row.update(
            quantity=f["filled"],
            average_price=str(quantize_price(f["notional"] / f["filled"])),
            fees=str(f["fees"].quantize(Decimal("0.0001"))),
            maker_share=round((f["maker"] or 0) / f["filled"], 3),
        )
    return sorted(rows.values(), key=lambda r: -r.get("quantity", 0))


def parent_reconciliation(parent: ParentOrder) -> dict:
    """Filled on the parent = child fills + internal crosses = allocations to its orders."""
    child_fills = Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
    children_filled = ChildOrder.objects.filter(parent=parent).aggregate(q=Sum("filled_quantity"))["q"] or 0
    allocated = Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
    # What its orders record as filled here: an order an amend moved between parents has fills
    # in both, so its fills allocated by the other parent are not this one's.
    members = Order.objects.filter(
        Q(parent=parent) | Q(pk__in=Allocation.objects.filter(parent=parent).values("order_id"))
    )
    elsewhere = Allocation.objects.filter(order__in=members.values("pk")).exclude(parent=parent)
    orders_filled = (members.aggregate(q=Sum("filled_quantity"))["q"] or 0) - (
        elsewhere.aggregate(q=Sum("quantity"))["q"] or 0
    )
    parent_filled = parent.filled_quantity
    return {
        "parent_filled": parent_filled,
        "child_fills": child_fills,
        "children_filled": children_filled,
        "crossed": parent.crossed_quantity,
        "allocated": allocated,
        "orders_filled": orders_filled,
        "balanced": parent_filled == child_fills + parent.crossed_quantity == allocated == orders_filled
        and children_filled == child_fills,
    }


def session_scorecard(parent: ParentOrder) -> list[dict]:
    """The live venue scorecard of the parent's instrument for its trading day."""
    return [] if parent.session is None else parent.session.scorecard


def venue_board() -> list[dict]:
    """Each venue's status as the desk's open sessions last saw it (the venue status feed), with
    the instruments that saw it so and, for a venue that is not up, what and since when. Before
    any session opens, every venue a session would connect to, up: the desk sees its venues."""
    board = {v.code: {"venue": v.code, "status": "UP", "instruments": []} for v in venue_specs()}
    for symbol, scorecard in MarketSession.objects.exclude(status=MarketSession.Status.CLOSED).values_list(
        "instrument__symbol", "scorecard"
    ):
        for row in scorecard:
            entry = board.setdefault(row["venue"], {"venue": row["venue"], "status": "UP", "instruments": []})
            if row.get("status", "UP") != "UP":
                entry["status"] = row["status"]
                entry["instruments"].append(symbol)
    for entry in board.values():
        latest = None
        if entry["status"] != "UP":
            statuses = AuditEvent.objects.filter(kind="venue.status", detail__venue=entry["venue"])
            latest = statuses.order_by("-id").first()
        entry["detail"] = latest.detail.get("detail", "") if latest else ""
        entry["since"] = latest.detail.get("time") if latest else None
        entry["instruments"].sort()
    return sorted(board.values(), key=lambda e: e["venue"])


def auction_board() -> list[dict]:
    """Each instrument's auctions on the desk's latest trading date: its official open, then the
    closing auction's latest indication, then the official close once it has crossed."""
    latest = MarketSession.objects.aggregate(day=Max("trading_date"))["day"]
    rows = MarketSession.objects.filter(trading_date=latest, auction__isnull=False).values_list(
        "instrument__symbol", "auction"
    )
    return [{"instrument": symbol, **auction} for symbol, auction in sorted(rows)]


def venue_specs() -> tuple[VenueSpec, ...]:
    """The active venues a new market session connects to; the simulator's defaults when none
    are configured (a database without demo data)."""
    venues = tuple(v.spec() for v in Venue.objects.filter(active=True).order_by("id"))
    return venues if any(v.kind == LIT for v in venues) else DEFAULT_VENUES


def session_checkpoint(session: MarketSession) -> tuple[MarketSimulator, ExecutionState]:
    """The simulator and the engine's state as the session's latest step left them."""
    return pickle.loads(session.state)


def session_list() -> QuerySet[MarketSession]:
    """Every market session, newest trading day first; the checkpoint stays behind."""
    return MarketSession.objects.select_related("instrument").defer("state").order_by("-trading_date", "instrument")


def faulted_sessions() -> list[MarketSession]:
    return list(session_list().filter(status=MarketSession.Status.FAULTED))


def latest_session(instrument) -> MarketSession | None:
    return MarketSession.objects.filter(instrument=instrument).order_by("-trading_date").first()


def market_quote(*, instrument, levels: int = 5) -> dict | None:
    """L1 and L2 as the instrument's latest session checkpoint left them: the NBBO with its
    consolidated size, and each lit venue's displayed depth. None before its first session."""
    session = latest_session(instrument)
    if session is None:
        return None
    simulator, _ = session_checkpoint(session)
    tick = instrument.tick_size
    top = simulator.l1()
    bid = ticks_to_price(top.bid, tick)
    ask = ticks_to_price(top.ask, tick)
    mid = None if bid is None or ask is None else (bid + ask) / 2
    places = instrument.price_places

    def shown(price: Decimal | None, finer: int = 0) -> str | None:
        """As the instrument trades: 409.90, not 409.900000 (a mid one place finer)."""
        return None if price is None else str(price.quantize(Decimal(1).scaleb(-(places + finer))))

    return {
        "instrument": instrument.symbol,
        "trading_date": session.trading_date.isoformat(),
        "time": iso_time(to_datetime(session.trading_date, top.time_ns)),
        "session_status": session.status,
        "nbbo": {
            "bid": shown(bid),
            "bid_size": top.bid_size,
            "ask": shown(ask),
            "ask_size": top.ask_size,
            "mid": shown(mid, finer=1),
            "spread_bps": None if mid is None else str(((ask - bid) / mid * 10_000).quantize(Decimal("0.01"))),
        },
        "venues": [
            {
                "venue": venue,
                "bids": [{"price": shown(ticks_to_price(p, tick)), "quantity": q} for p, q in depth["bids"]],
                "asks": [{"price": shown(ticks_to_price(p, tick)), "quantity": q} for p, q in depth["asks"]],
            }
            for venue, depth in simulator.l2(levels).items()
        ],
    }


def market_bars(*, instrument, start=None, end=None, bar_seconds: int = 60) -> dict | None:
    """The latest session's tape between ``start`` and ``end`` (default: the day so far) in
    bars of ``bar_seconds``, with the interval's market VWAP and volume."""
    session = latest_session(instrument)
    if session is None:
        return None
    rows = MarketBar.objects.filter(session=session).order_by("start")
    if start is not None:
        rows = rows.filter(start__gte=start)
    if end is not None:
        rows = rows.filter(end__lte=end)
    bars: list[dict] = []
    bucket_ns = bar_seconds * NS_PER_S
    volume, notional = 0, Decimal(0)
    for bar in rows.values_list("start", "end", "volume", "notional", "bid", "ask").iterator(chunk_size=2000):
        bar_start, bar_end, bar_volume, bar_notional, bid, ask = bar
        volume += bar_volume
        notional += bar_notional
        bucket = to_ns(session.trading_date, bar_start) // bucket_ns
        if not bars or bars[-1]["bucket"] != bucket:
            bars.append({"bucket": bucket, "start": bar_start, "volume": 0, "notional": Decimal(0)})
        current = bars[-1]
        current.update(end=bar_end, bid=bid, ask=ask)
        current["volume"] += bar_volume
        current["notional"] += bar_notional
    return {
        "instrument": instrument.symbol,
        "trading_date": session.trading_date.isoformat(),
        "bar_seconds": bar_seconds,
        "volume": volume,
        "vwap": _price_or_none(average_price(notional, volume)),
        "bars": [
            {
                "start": iso_time(b["start"]),
                "end": iso_time(b["end"]),
                "volume": b["volume"],
                "vwap": _price_or_none(average_price(b["notional"], b["volume"])),
                "bid": _price_or_none(b["bid"]),
                "ask": _price_or_none(b["ask"]),
            }
            for b in bars
        ],
    }


def _price_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(quantize_price(value))


ALLOCATION_FILE_COLUMNS = (
    "booking_date", "account", "order_id", "client_order_id", "instrument", "side",
    "quantity", "average_price", "fees", "venues",
)  # fmt: skip


def allocations_for_booking(*, day) -> list[dict]:
    """What the back office books for ``day`` (allocations made that day, local time): one row
    per order and account, its shares, average price, its share of the fills' fees (internal
    crosses pay none) and shares per venue."""
    rows: dict[int, dict] = {}
    allocations = (
        Allocation.objects.filter(created_at__date=day)
        .select_related("order__account", "order__instrument", "fill")
        .order_by("order_id", "id")
    )
    for allocation in allocations:
        order = allocation.order
        row = rows.setdefault(
            order.pk,
            {
                "booking_date": day.isoformat(),
                "account": order.account.code,
                "order_id": order.pk,
                "client_order_id": order.client_order_id,
                "instrument": order.instrument.symbol,
                "side": order.side,
                "quantity": 0,
                "notional": Decimal(0),
                "fees": Decimal(0),
                "venues": {},
            },
        )
        row["quantity"] += allocation.quantity
        row["notional"] += allocation.quantity * allocation.price
        if allocation.fill is not None:
            row["fees"] += allocation.fill.fee * allocation.quantity / allocation.fill.quantity
        row["venues"][allocation.venue] = row["venues"].get(allocation.venue, 0) + allocation.quantity
    return [
        {
            **{k: v for k, v in row.items() if k != "notional"},
            "average_price": quantize_price(row["notional"] / row["quantity"]),
            "fees": row["fees"].quantize(Decimal("0.0001")),
            "venues": ";".join(f"{venue}:{shares}" for venue, shares in sorted(row["venues"].items())),
        }
        for row in rows.values()
    ]
