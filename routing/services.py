"""Execution sessions: the simulated market and the working parents, advanced step by step.

Each step runs in one transaction: it locks the session row, checks the step number
(a replayed or duplicate task finds it moved on and does nothing), loads the
checkpoint, runs the pure engine with a generator seeded from ``(seed, step)``,
writes children, fills, bars, parent progress, allocations and the next checkpoint,
and only after commit publishes to websockets and enqueues the next step.
"""

from __future__ import annotations

import math
import pickle
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.domain.values import Side, price_to_ticks, quantize_price
from orders.models import PARENT_LIVE_STATUSES, AuditEvent, Instrument, ParentOrder, ParentStatus, Strategy
from orders.payloads import iso_time, parent_payload
from orders.services import parent_close, parent_fills_allocate
from smarttrading import streams

from .engine import ExecutionState, StepOutcome, run_step
from .market.clock import CLOSE_NS, EXCHANGE_TZ, NS_PER_S, OPEN_NS, to_datetime, to_ns
from .market.simulator import MarketSimulator
from .market.venues import DEFAULT_VENUES
from .models import ChildOrder, Fill, KillSwitch, MarketBar, MarketSession
from .profiles import volume_profile
from .selectors import parent_plan, parent_reconciliation, parent_venue_breakdown

ENGINE = "engine"
FEE_PLACES = Decimal("0.0001")
# A running session whose row has not moved for this long has lost its step message.
STALE_AFTER_S = 10.0


def _first_trading_date():
    return timezone.now().astimezone(EXCHANGE_TZ).date()


def _next_weekday(day):
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _session_seed(instrument: Instrument, trading_date) -> int:
    return int(f"{settings.SIM_SEED}{trading_date:%Y%m%d}") ^ sum(
        ord(c) << (8 * i) for i, c in enumerate(instrument.symbol)
    )


def session_get_or_create(*, instrument: Instrument) -> MarketSession:
    """The instrument's current simulated day; once a day has closed, the next weekday opens.

    Simulated days run faster than real ones, so the trading date is the simulation's own:
    the first session takes today's date, each later one the weekday after the last.
    """
    latest = MarketSession.objects.filter(instrument=instrument).order_by("-trading_date").first()
    if latest is not None and latest.status != MarketSession.Status.CLOSED:
        return latest
    trading_date = _first_trading_date() if latest is None else _next_weekday(latest.trading_date)
    seed = _session_seed(instrument, trading_date)
    simulator = MarketSimulator(
        venues=DEFAULT_VENUES,
        reference_ticks=price_to_ticks(instrument.reference_price, instrument.tick_size),
        open_ns=OPEN_NS,
        close_ns=CLOSE_NS,
        warm_up_seed=seed,
    )
    state = ExecutionState(
        profile=None,  # loaded when a VWAP parent first needs it: building it takes seconds
        tick_size=instrument.tick_size,
        tick_value_bps=1e4 / simulator.reference_ticks,
        sigma_ticks_per_sqrt_s=simulator.flow.volatility_bps_per_min / 1e4 * simulator.reference_ticks / math.sqrt(60),
        permanent_impact_ticks_per_share=0.0,  # set per parent from its size
    )
    bid, ask = simulator.nbbo()
    session, _ = MarketSession.objects.get_or_create(
        instrument=instrument,
        trading_date=trading_date,
        defaults={
            "seed": seed,
            "sim_time_ns": OPEN_NS,
            "state": pickle.dumps((simulator, state)),
            "bid_ticks": bid,
            "ask_ticks": ask,
        },
    )
    return session


@dataclass(frozen=True, slots=True)
class MarketNow:
    """An instrument's market as its session last left it: NBBO and simulated time."""

    session: MarketSession
    bid: Decimal | None
    ask: Decimal | None
    now: datetime
    close: datetime

    @property
    def mid(self) -> Decimal | None:
        return None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2


def market_now_lock(*, instruments: Iterable[Instrument]) -> dict[int, MarketNow]:
    """Lock the instruments' sessions (in id order, as steps do) and read their market.

    Holding the session lock keeps a step from moving the market or the parents while
    the caller crosses orders or changes parents.
    """
    instruments = {i.pk: i for i in instruments}
    ids = [session_get_or_create(instrument=i).pk for i in instruments.values()]
    markets = {}
    for session in MarketSession.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        tick = instruments[session.instrument_id].tick_size
        markets[session.instrument_id] = MarketNow(
            session=session,
            bid=None if session.bid_ticks is None else tick * session.bid_ticks,
            ask=None if session.ask_ticks is None else tick * session.ask_ticks,
            now=to_datetime(session.trading_date, session.sim_time_ns),
            close=to_datetime(session.trading_date, CLOSE_NS),
        )
    return markets


def session_wake(*, instrument: Instrument) -> MarketSession:
    """Make sure the instrument's session is stepping; call inside a transaction."""
    session = session_get_or_create(instrument=instrument)
    session = MarketSession.objects.select_for_update().get(pk=session.pk)
    if session.status == MarketSession.Status.IDLE:
        session.status = MarketSession.Status.RUNNING
        session.save(update_fields=["status", "updated_at"])
        _enqueue_step_on_commit(session.pk, session.step_no, delay_s=0)
    elif session.status == MarketSession.Status.RUNNING and session.updated_at < _stale_before():
        # Its step message was lost (e.g. Redis restarted): step again now rather than
        # wait for the watchdog. A duplicate step does nothing.
        _enqueue_step_on_commit(session.pk, session.step_no, delay_s=0)
    return session


def _stale_before(stale_after_s: float = STALE_AFTER_S):
    return timezone.now() - timedelta(seconds=stale_after_s + session_step_delay_s())


def _enqueue_step_on_commit(session_id: int, step_no: int, *, delay_s: float) -> None:
    from .tasks import session_step

    transaction.on_commit(lambda: session_step.apply_async((session_id, step_no), countdown=delay_s))


def session_step_delay_s() -> float:
    """Wall-clock pause between steps so simulated time runs SIM_SPEED times faster."""
    return settings.SIM_STEP_SECONDS / settings.SIM_SPEED if settings.SIM_SPEED > 0 else 0.0


@transaction.atomic
def session_advance(*, session_id: int, step_no: int) -> StepOutcome | None:
    """Run step ``step_no`` of a session; returns None when it is not this step's turn."""
    session = MarketSession.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=session_id)
    if session.step_no != step_no or session.status != MarketSession.Status.RUNNING:
        return None
    instrument = session.instrument
    simulator, state = pickle.loads(session.state)
    now_ns = simulator.clock_ns
    end_ns = min(now_ns + settings.SIM_STEP_SECONDS * NS_PER_S, simulator.close_ns)
    at = partial(to_datetime, session.trading_date)

    # Parents the engine still has children for are loaded whatever their status, so a
    # paused or cancelled parent's late fills are still recorded.
    parents = list(
        ParentOrder.objects.select_for_update(of=("self",))
        .select_related("instrument")
        .filter(Q(status__in=PARENT_LIVE_STATUSES) | Q(pk__in=list(state.parents)), instrument=instrument)
        .order_by("id")
    )
    for parent in parents:
        if parent.status == ParentStatus.NEW:
            _parent_start(parent, simulator, at(now_ns), session)
    if parents:
        biggest = max(p.market_quantity for p in parents)
        state.permanent_impact_ticks_per_share = simulator.linear_permanent_impact(biggest)
    plans = [parent_plan(p, session) for p in parents if p.start is not None]
    if state.profile is None and any(plan.strategy == Strategy.VWAP for plan in plans):
        state.profile = volume_profile()

    outcome = run_step(
        simulator, state, plans, end_ns=end_ns, rng=random.Random(f"{session.seed}:{step_no}"), step_no=step_no
    )
    _record_outcome(session, outcome, parents, at)

    still_working = bool(state.parents)
    closing = end_ns >= simulator.close_ns
    for parent in parents:
        progress = outcome.progress.get(parent.pk)
        open_children = progress.open_children if progress else 0
        if parent.cancel_requested_at is not None and parent.status in PARENT_LIVE_STATUSES:
            if open_children:
                still_working = True
            else:
                _parent_finish(parent, ParentStatus.CANCELLED, "cancelled by supervisor", at(end_ns))
            continue
        if parent.status == ParentStatus.PAUSED:
            if closing and not open_children:  # a paused parent does not outlive its trading day
                _parent_finish(parent, ParentStatus.EXPIRED, "market closed", at(end_ns))
            else:
                still_working = True
            continue
        if parent.status != ParentStatus.WORKING:
            continue
        if parent.filled_quantity == parent.quantity:
            _parent_finish(parent, ParentStatus.FILLED, "complete", at(end_ns))
        elif (to_ns(session.trading_date, parent.end) <= end_ns or closing) and not open_children:
            _parent_finish(parent, ParentStatus.EXPIRED, "end time reached", at(end_ns))
        else:
            still_working = True
    if parents:  # one message per step for all its parents: a busy session never floods the overview
        streams.publish_on_commit(
            streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(p) for p in parents]}
        )

    session.state = pickle.dumps((simulator, state))
    session.step_no = step_no + 1
    session.sim_time_ns = end_ns
    session.bid_ticks, session.ask_ticks = outcome.bar.bid, outcome.bar.ask
    if closing and not state.parents:
        session.status = MarketSession.Status.CLOSED
    elif still_working or ParentOrder.objects.filter(instrument=instrument, status=ParentStatus.NEW).exists():
        _enqueue_step_on_commit(session.pk, session.step_no, delay_s=session_step_delay_s())
    else:
        session.status = MarketSession.Status.IDLE
    session.save(update_fields=["state", "step_no", "sim_time_ns", "bid_ticks", "ask_ticks", "status", "updated_at"])
    if settings.FAULT_STEP_DELAY_S:
        _hold_step_open(session.pk, step_no)
    return outcome


def _hold_step_open(session_id: int, step_no: int) -> None:
    """Fault injection (crash tests only): everything is written, nothing committed yet."""
    import time

    (settings.VAR_DIR / "step-in-flight").write_text(f"{session_id} {step_no}")
    time.sleep(settings.FAULT_STEP_DELAY_S)


def _parent_finish(parent: ParentOrder, status: ParentStatus, reason: str, now) -> None:
    """Close the parent and record its reconciliation: fills, children, allocations, venues."""
    parent_close(parent=parent, status=status, actor=ENGINE, reason=reason, finished=now)
    AuditEvent.objects.create(
        kind="parent.reconciled",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={**parent_reconciliation(parent), "venues": parent_venue_breakdown(parent)},
    )


def _parent_start(parent: ParentOrder, simulator: MarketSimulator, now, session: MarketSession) -> None:
    tick = parent.instrument.tick_size
    mid2 = simulator.mid_ticks_x2()
    parent.status = ParentStatus.WORKING
    parent.start = now
    parent.end = min(now + timedelta(seconds=parent.duration_s), to_datetime(session.trading_date, simulator.close_ns))
    parent.arrival_price = None if mid2 is None else tick * mid2 / 2
    parent.save(update_fields=["status", "start", "end", "arrival_price", "updated_at"])
    AuditEvent.objects.create(
        kind="parent.started",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={"arrival_price": str(parent.arrival_price), "end": parent.end.isoformat()},
    )


def _half_ticks_price(tick: Decimal, half_ticks: int | None) -> Decimal | None:
    return None if half_ticks is None else tick * half_ticks / 2


def _record_outcome(session: MarketSession, outcome: StepOutcome, parents: list[ParentOrder], at) -> None:
    tick = session.instrument.tick_size
    side_name = {1: Side.BUY.value, -1: Side.SELL.value}
    known = {
        c.venue_order_id: c
        for c in ChildOrder.objects.filter(session=session, venue_order_id__in=[c.order_id for c in outcome.children])
    }
    new_children, changed = [], []
    for c in outcome.children:
        row = known.get(c.order_id)
        if row is None:
            row = ChildOrder(
                session=session,
                venue_order_id=c.order_id,
                step_no=c.step_sent,
                parent_id=c.parent_id,
                venue=c.venue,
                side=side_name[c.side],
                tactic=c.tactic,
                order_type=c.order_type,
                sim_time=at(c.sent_ns),
                arrival_mid=_half_ticks_price(tick, c.arrival_mid_half_ticks),
            )
            new_children.append(row)
        else:
            changed.append(row)
        row.quantity = c.quantity
        row.limit_price = _half_ticks_price(tick, c.price_half_ticks)
        row.filled_quantity = c.filled
        row.status = c.status
        row.reason = c.reason[:200]
        row.done_time = None if c.done_ns is None else at(c.done_ns)
        known[c.order_id] = row
    ChildOrder.objects.bulk_create(new_children)
    ChildOrder.objects.bulk_update(
        changed, ["quantity", "limit_price", "filled_quantity", "status", "reason", "done_time"]
    )
    fills = Fill.objects.bulk_create(
        [
            Fill(
                session=session,
                step_no=session.step_no,
                seq=f.seq,
                parent_id=f.parent_id,
                child=known[f.order_id],
                venue=f.venue,
                side=side_name[f.side],
                quantity=f.quantity,
                price=_half_ticks_price(tick, f.price_half_ticks),
                fee=f.fee,
                liquidity=f.liquidity,
                sim_time=at(f.time_ns),
            )
            for f in outcome.fills
        ]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                kind=e.kind,
                actor=ENGINE,
                parent_id=e.parent_id,
                sim_time=at(e.time_ns),
                detail=_child_event_detail(e, known[e.order_id].pk if e.order_id in known else None, tick),
            )
            for e in outcome.events
        ]
    )
    MarketBar.objects.bulk_create(
        [
            MarketBar(
                session=session,
                step_no=session.step_no,
                start=at(second.start_ns),
                end=at(second.end_ns),
                volume=second.volume,
                notional=tick * second.notional_half_ticks / 2,
                bid=None if second.bid is None else tick * second.bid,
                ask=None if second.ask is None else tick * second.ask,
            )
            for second in outcome.seconds
        ]
    )
    bar = outcome.bar
    fills_by_parent: dict[int, list[Fill]] = {}
    for fill in fills:
        fills_by_parent.setdefault(fill.parent_id, []).append(fill)
    for parent in parents:
        parent_fills = fills_by_parent.get(parent.pk, [])
        changed = _parent_live_figures(parent, outcome, session.trading_date, tick)
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
    mid = None if bar.bid is None or bar.ask is None else tick * (bar.bid + bar.ask) / 2
    for parent in parents:
        if parent.status == ParentStatus.WORKING:
            vwap = parent.interval_vwap
            streams.publish_on_commit(
                streams.parent_group(parent.pk),
                {
                    "type": "market",
                    "time": iso_time(at(bar.end_ns)),
                    "mid": None if mid is None else str(mid),
                    "vwap": None if vwap is None else str(quantize_price(vwap)),
                    "volume": bar.volume,
                },
            )


def _parent_live_figures(parent: ParentOrder, outcome: StepOutcome, trading_date, tick: Decimal) -> list[str]:
    """A working parent's schedule position and the tape within its window, added for the step."""
    if parent.status != ParentStatus.WORKING or parent.start is None:
        return []
    start_ns, end_ns = to_ns(trading_date, parent.start), to_ns(trading_date, parent.end)
    inside = [b for b in outcome.seconds if b.start_ns >= start_ns and b.end_ns <= end_ns]
    parent.market_volume += sum(b.volume for b in inside)
    parent.market_notional += tick * sum(b.notional_half_ticks for b in inside) / 2
    progress = outcome.progress.get(parent.pk)
    if progress is not None:
        parent.schedule_due = progress.due
    return ["market_volume", "market_notional", "schedule_due"]


def _child_event_detail(event, child_pk: int | None, tick: Decimal) -> dict:
    detail = {"child": child_pk, "venue_order_id": event.order_id}
    for key, value in event.detail.items():
        if key == "price_half_ticks":
            detail["price"] = None if value is None else str(_half_ticks_price(tick, value))
        else:
            detail[key] = value
    return detail


def fill_payload(fill: Fill) -> dict:
    return {
        "id": fill.pk,
        "time": iso_time(fill.sim_time),
        "venue": fill.venue,
        "side": fill.side,
        "quantity": fill.quantity,
        "price": str(fill.price),
        "fee": str(fill.fee.quantize(FEE_PLACES)),
        "liquidity": fill.liquidity,
        "child": fill.child_id,
        "tactic": fill.child.tactic,
        "order_type": fill.child.order_type,
    }


def sessions_watchdog() -> list[int]:
    """Re-enqueue the current step of running sessions that stopped moving.

    Covers a step message lost with a Redis restart; a duplicate is harmless because
    a step that is not the session's current one does nothing.
    """
    from .tasks import session_step

    revived = []
    running = MarketSession.objects.filter(status=MarketSession.Status.RUNNING, updated_at__lt=_stale_before())
    for session in running:
        session_step.delay(session.pk, session.step_no)
        revived.append(session.pk)
    return revived


class ControlRefused(Exception):
    """A supervisor action that does not apply to the parent as it stands; the message says why."""


def _parent_for_control(parent_id: int) -> tuple[ParentOrder, MarketNow]:
    """Lock the parent's session, then the parent: the order steps take locks in."""
    instrument = ParentOrder.objects.select_related("instrument").get(pk=parent_id).instrument
    market = market_now_lock(instruments=[instrument])[instrument.pk]
    return ParentOrder.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=parent_id), market


def _control_audit(kind: str, parent: ParentOrder, actor: str, market: MarketNow, **detail) -> None:
    AuditEvent.objects.create(kind=kind, actor=actor, parent=parent, sim_time=market.now, detail=detail)
    message = {"type": "parent", "parents": [parent_payload(parent)]}
    streams.publish_on_commit(streams.EXECUTION_GROUP, message)
    streams.publish_on_commit(streams.parent_group(parent.pk), message)


@transaction.atomic
def parent_pause(*, parent_id: int, actor: str) -> ParentOrder:
    """Stop sending children; the next step cancels the working ones at their venues."""
    parent, market = _parent_for_control(parent_id)
    if parent.status not in (ParentStatus.NEW, ParentStatus.WORKING):
        raise ControlRefused(f"a {parent.status} parent cannot be paused")
    was = parent.status
    parent.status = ParentStatus.PAUSED
    parent.save(update_fields=["status", "updated_at"])
    _control_audit("parent.paused", parent, actor, market, transition=[was, parent.status])
    return parent


@transaction.atomic
def parent_resume(*, parent_id: int, actor: str) -> ParentOrder:
    """Work again: what is left is rescheduled over the time that is left."""
    parent, market = _parent_for_control(parent_id)
    if parent.status != ParentStatus.PAUSED or parent.cancel_requested_at is not None:
        raise ControlRefused(f"a {parent.status} parent cannot be resumed")
    if KillSwitch.current().engaged:
        raise ControlRefused("the kill switch is engaged; a supervisor must release it first")
    parent.status = ParentStatus.WORKING if parent.start is not None else ParentStatus.NEW
    parent.save(update_fields=["status", "updated_at"])
    _control_audit("parent.resumed", parent, actor, market, transition=[ParentStatus.PAUSED, parent.status])
    session_wake(instrument=parent.instrument)
    return parent


@transaction.atomic
def parent_cancel(*, parent_id: int, actor: str) -> ParentOrder:
    """Cancel a parent: its children are cancelled at their venues by the next step, then it
    closes (late fills that crossed the cancels are still recorded and allocated)."""
    parent, market = _parent_for_control(parent_id)
    if parent.status not in PARENT_LIVE_STATUSES:
        raise ControlRefused(f"a {parent.status} parent cannot be cancelled")
    if parent.cancel_requested_at is not None:
        return parent
    parent.cancel_requested_at = timezone.now()
    if parent.start is None:  # never reached the market: nothing to cancel there
        parent.save(update_fields=["cancel_requested_at", "updated_at"])
        parent_close(parent=parent, status=ParentStatus.CANCELLED, actor=actor, reason="cancelled by supervisor")
    else:
        was = parent.status
        parent.status = ParentStatus.PAUSED
        parent.save(update_fields=["status", "cancel_requested_at", "updated_at"])
        _control_audit("parent.cancel_requested", parent, actor, market, transition=[was, parent.status])
        session_wake(instrument=parent.instrument)
    return parent


@transaction.atomic
def kill_switch_set(*, engaged: bool, actor: str, reason: str = "") -> KillSwitch:
    """Engaged: no new order is accepted and every live parent pauses, so the next step of
    every session cancels all working children. Released: orders flow again; paused
    parents stay paused until a supervisor resumes them."""
    switch = KillSwitch.objects.select_for_update().get(pk=KillSwitch.current().pk)
    if switch.engaged == engaged:
        return switch
    switch.engaged, switch.changed_by, switch.changed_at, switch.reason = engaged, actor, timezone.now(), reason
    switch.save()
    AuditEvent.objects.create(
        kind="kill_switch.engaged" if engaged else "kill_switch.released", actor=actor, detail={"reason": reason}
    )
    if engaged:
        instruments = Instrument.objects.filter(parents__status__in=PARENT_LIVE_STATUSES).distinct()
        markets = market_now_lock(instruments=instruments)
        live = (
            ParentOrder.objects.select_for_update()
            .filter(status__in=(ParentStatus.NEW, ParentStatus.WORKING))
            .order_by("id")
        )
        for parent in live:
            was = parent.status
            parent.status = ParentStatus.PAUSED
            parent.save(update_fields=["status", "updated_at"])
            _control_audit(
                "parent.paused",
                parent,
                actor,
                markets[parent.instrument_id],
                transition=[was, parent.status],
                reason="kill switch",
            )
        for market in markets.values():
            session_wake(instrument=market.session.instrument)
    streams.publish_on_commit(
        streams.EXECUTION_GROUP, {"type": "kill_switch", "engaged": engaged, "by": actor, "reason": reason}
    )
    return switch
