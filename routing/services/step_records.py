"""What a step writes: children, fills, audit, the tape, parent progress and allocations, and
what it publishes after commit. Inside the step's transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from orders.domain.values import Side, average_price, half_ticks_to_price, quantize_price, ticks_to_price
from orders.models import AuditEvent, ParentOrder, ParentStatus
from orders.payloads import iso_time
from orders.services.allocation import parent_fills_allocate
from smarttrading import streams

from ..engine.children import Child
from ..engine.state import Bar, ChildEvent, FillReport, StepOutcome
from ..market.clock import to_ns
from ..market.incidents import VenueStatusChanged
from ..market.messages import AuctionPublished
from ..models import ChildOrder, Fill, MarketBar, MarketSession
from ..payloads import fill_payload, parent_payload
from ..selectors import MARKET_EVENTS, parent_reconciliation, parent_venue_breakdown
from .parents import ENGINE

logger = logging.getLogger(__name__)

At = Callable[[int], datetime]  # simulated nanoseconds of the session's day -> an aware datetime


def step_outcome_record(session: MarketSession, outcome: StepOutcome, parents: list[ParentOrder], at: At) -> None:
    tick = session.instrument.tick_size
    children = _children_record(session, outcome.children, at, tick)
    fills = _fills_record(session, outcome.fills, children, at, tick)
    _child_events_record(outcome.events, children, at, tick)
    _tape_record(session, outcome.seconds, at, tick)
    venue_statuses_record(session, outcome.venue_statuses, at)
    auction_record(session, outcome.auction, at, parents=parents)
    _parents_progress_record(parents, fills, outcome, session.trading_date, tick)
    _market_publish(parents, outcome.seconds, session.trading_date, at, tick)


def _children_record(session: MarketSession, children: list[Child], at: At, tick: Decimal) -> dict[int, ChildOrder]:
    """Rows for the children the step created or changed, by venue order id."""
    known = {
        c.venue_order_id: c
        for c in ChildOrder.objects.filter(session=session, venue_order_id__in=[c.order_id for c in children])
    }
    new_children, changed = [], []
    for c in children:
        row = known.get(c.order_id)
        if row is None:
            row = ChildOrder(
                session=session,
                venue_order_id=c.order_id,
                step_no=c.step_sent,
                parent_id=c.parent_id,
                venue=c.venue,
                side=Side.of_sign(c.side).value,
                tactic=c.tactic,
                order_type=c.order_type,
                sim_time=at(c.sent_ns),
                arrival_mid=half_ticks_to_price(c.arrival_mid_half_ticks, tick),
            )
            new_children.append(row)
        else:
            changed.append(row)
        row.quantity = c.quantity
        row.limit_price = half_ticks_to_price(c.price_half_ticks, tick)
        row.filled_quantity = c.filled
        row.status = c.status
        row.reason = c.reason[:200]
        row.done_time = None if c.done_ns is None else at(c.done_ns)
        known[c.order_id] = row
    ChildOrder.objects.bulk_create(new_children)
    ChildOrder.objects.bulk_update(
        changed, ["quantity", "limit_price", "filled_quantity", "status", "reason", "done_time"]
    )
    return known


def _fills_record(
    session: MarketSession, fills: list[FillReport], children: dict[int, ChildOrder], at: At, tick: Decimal
) -> list[Fill]:
    return Fill.objects.bulk_create(
        [
            Fill(
                session=session,
                step_no=session.step_no,
                seq=f.seq,
                parent_id=f.parent_id,
                child=children[f.order_id],
                venue=f.venue,
                side=Side.of_sign(f.side).value,
                quantity=f.quantity,
                price=half_ticks_to_price(f.price_half_ticks, tick),
                fee=f.fee,
                liquidity=f.liquidity,
                sim_time=at(f.time_ns),
            )
            for f in fills
        ]
    )


def _child_events_record(events: list[ChildEvent], children: dict[int, ChildOrder], at: At, tick: Decimal) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                kind=e.kind,
                actor=ENGINE,
                parent_id=e.parent_id,
                sim_time=at(e.time_ns),
                detail=_child_event_detail(e, children[e.order_id].pk if e.order_id in children else None, tick),
            )
            for e in events
        ]
    )


def venue_statuses_record(session: MarketSession, statuses: list[VenueStatusChanged], at: At) -> None:
    """Each venue status message in the audit trail under the session's instrument, and live to
    the desk's execution pages."""
    if not statuses:
        return
    symbol = session.instrument.symbol
    changes = [
        {
            "venue": s.venue,
            "status": s.status,
            "detail": s.detail,
            "instrument": symbol,
            "time": iso_time(at(s.time_ns)),
        }
        for s in statuses
    ]
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(kind="venue.status", actor=ENGINE, sim_time=at(s.time_ns), detail=change)
            for s, change in zip(statuses, changes, strict=True)
        ]
    )
    streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "venue_status", "changes": changes})
    for change in changes:
        logger.info("venue %(venue)s %(status)s %(detail)s at %(time)s (%(instrument)s)", change)


def auction_record(
    session: MarketSession, messages: list[AuctionPublished], at: At, *, parents: list[ParentOrder] = ()
) -> None:
    """The listing venue's auction feed on the session, live to the desk: the opening cross
    as the official open, a volatility pause and its reopening cross, the closing auction's
    latest indication, the closing cross as the official close; each event (not indications)
    in the audit trail and on the panels of the step's parents."""
    if not messages:
        return
    symbol, tick, places = session.instrument.symbol, session.instrument.tick_size, session.instrument.price_places
    fields = {}
    for message in messages:
        price = None if message.price_half_ticks is None else half_ticks_to_price(message.price_half_ticks, tick)
        session.auction = {
            "phase": message.phase,
            "time": iso_time(at(message.time_ns)),
            "venue": message.venue,
            "price": None if price is None else str(quantize_price(price, places)),  # in the instrument's places
            "paired": message.paired,
            "imbalance": message.imbalance,
        }
        if message.phase not in MARKET_EVENTS:
            continue
        kind, official = MARKET_EVENTS[message.phase]
        if official:
            fields |= {f"{official}_price": price, f"{official}_volume": message.paired}
        AuditEvent.objects.create(
            kind=kind, actor=ENGINE, sim_time=at(message.time_ns), detail={"instrument": symbol, **session.auction}
        )
        logger.info("%s %s: %s shares at %s", kind, symbol, message.paired, session.auction["price"])
        for parent in parents:
            streams.publish_on_commit(streams.parent_group(parent.pk), {"type": "cross", **session.auction})
    for name, value in fields.items():
        setattr(session, name, value)
    MarketSession.objects.filter(pk=session.pk).update(auction=session.auction, **fields)
    streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "auction", "instrument": symbol, **session.auction})


def _tape_record(session: MarketSession, seconds: list[Bar], at: At, tick: Decimal) -> None:
    MarketBar.objects.bulk_create(tape_rows(session, session.step_no, seconds, at, tick))


def tape_rows(session: MarketSession, step_no: int, seconds: list[Bar], at: At, tick: Decimal) -> list[MarketBar]:
    """A step's tape, second by second, as rows."""
    return [
        MarketBar(
            session=session,
            step_no=step_no,
            start=at(second.start_ns),
            end=at(second.end_ns),
            volume=second.volume,
            notional=half_ticks_to_price(second.notional_half_ticks, tick),
            bid=ticks_to_price(second.bid, tick),
            ask=ticks_to_price(second.ask, tick),
        )
        for second in seconds
    ]


def _parents_progress_record(
    parents: list[ParentOrder], fills: list[Fill], outcome: StepOutcome, trading_date, tick: Decimal
) -> None:
    """Each parent's fills, fees, venues and live figures; its fills allocated to its orders and streamed."""
    fills_by_parent: dict[int, list[Fill]] = {}
    for fill in fills:
        fills_by_parent.setdefault(fill.parent_id, []).append(fill)
    for parent in parents:
        parent_fills = fills_by_parent.get(parent.pk, [])
        changed = _parent_live_figures(parent, outcome, trading_date, tick)
        if parent_fills:
            parent.filled_quantity += sum(f.quantity for f in parent_fills)
            parent.filled_notional += sum((f.quantity * f.price for f in parent_fills), Decimal(0))
            parent.fees += sum((f.fee for f in parent_fills), Decimal(0))
            venues = dict(parent.venue_quantities)
            for f in parent_fills:
                venues[f.venue] = venues.get(f.venue, 0) + f.quantity
            parent.venue_quantities = venues
            changed += ["filled_quantity", "filled_notional", "fees", "venue_quantities"]
        if changed:
            parent.save(update_fields=[*changed, "updated_at"])
        if parent_fills:
            parent_fills_allocate(parent=parent, fills=parent_fills)
            streams.publish_on_commit(
                streams.parent_group(parent.pk),
                {
                    "type": "fill",
                    "parent": parent_payload(parent),
                    "fills": [fill_payload(f) for f in parent_fills],
                    "venues": parent_venue_breakdown(parent),
                    "reconciliation": parent_reconciliation(parent),
                },
            )


def _market_publish(parents: list[ParentOrder], seconds: list[Bar], trading_date, at: At, tick: Decimal) -> None:
    """The step's market for each working or paused parent's panel, a bar a simulated second as
    its snapshot draws them: the mid and the market VWAP over the parent's window so far (a paused
    parent's chart goes on with the market, rather than joining across the pause)."""
    for parent in parents:
        if parent.status not in (ParentStatus.WORKING, ParentStatus.PAUSED) or parent.start is None:
            continue
        start_ns, end_ns = to_ns(trading_date, parent.start), to_ns(trading_date, parent.end)
        inside = [b for b in seconds if b.start_ns >= start_ns and b.end_ns <= end_ns]
        if not inside:
            continue
        # A working parent's market figures already hold these seconds; a paused one's stand still.
        working = parent.status == ParentStatus.WORKING
        volume = parent.market_volume - (sum(b.volume for b in inside) if working else 0)
        stepped = sum(b.notional_half_ticks for b in inside) if working else 0
        notional = parent.market_notional - half_ticks_to_price(stepped, tick)
        bars = []
        for bar in inside:
            if working:
                volume += bar.volume
                notional += half_ticks_to_price(bar.notional_half_ticks, tick)
            vwap = average_price(notional, volume)
            mid = None if bar.bid is None or bar.ask is None else half_ticks_to_price(bar.bid + bar.ask, tick)
            bars.append(
                {
                    "time": iso_time(at(bar.end_ns)),
                    "mid": None if mid is None else str(mid),
                    "vwap": None if vwap is None else str(quantize_price(vwap)),
                }
            )
        streams.publish_on_commit(streams.parent_group(parent.pk), {"type": "market", "bars": bars})


def _parent_live_figures(parent: ParentOrder, outcome: StepOutcome, trading_date, tick: Decimal) -> list[str]:
    """A working parent's schedule position and the tape within its window, added for the step."""
    if parent.status != ParentStatus.WORKING or parent.start is None:
        return []
    start_ns, end_ns = to_ns(trading_date, parent.start), to_ns(trading_date, parent.end)
    inside = [b for b in outcome.seconds if b.start_ns >= start_ns and b.end_ns <= end_ns]
    parent.market_volume += sum(b.volume for b in inside)
    parent.market_notional += half_ticks_to_price(sum(b.notional_half_ticks for b in inside), tick)
    progress = outcome.progress.get(parent.pk)
    if progress is not None:
        parent.schedule_due = progress.due
    return ["market_volume", "market_notional", "schedule_due"]


def _child_event_detail(event, child_pk: int | None, tick: Decimal) -> dict:
    detail = {"child": child_pk, "venue_order_id": event.order_id}
    for key, value in event.detail.items():
        if key == "price_half_ticks":
            detail["price"] = None if value is None else str(half_ticks_to_price(value, tick))
        else:
            detail[key] = value
    return detail
