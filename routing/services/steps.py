"""Execution sessions: the simulated market and the working parents, advanced step by step.

Each step runs in one transaction: it locks the session row, checks the step number
(a replayed or duplicate task finds it moved on and does nothing), loads the
checkpoint, runs the pure engine with a generator seeded from ``(seed, step)``,
writes children, fills, bars, parent progress, allocations and the next checkpoint,
and only after commit publishes to websockets and enqueues the next step.
"""

from __future__ import annotations

import pickle
import random
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from orders.domain.values import Side, half_ticks_to_price, quantize_price, ticks_to_price
from orders.models import PARENT_LIVE_STATUSES, AuditEvent, ParentOrder, ParentStatus, Strategy
from orders.payloads import iso_time
from orders.services.allocation import parent_fills_allocate
from smarttrading import streams

from ..engine.state import StepOutcome
from ..engine.step import run_step
from ..locks import parents_lock, session_lock
from ..market.clock import NS_PER_S, to_datetime, to_ns
from ..models import ChildOrder, Fill, MarketBar, MarketSession
from ..payloads import fill_payload, parent_payload
from ..profiles import volume_profile
from ..selectors import parent_plan, parent_reconciliation, parent_venue_breakdown
from .parents import ENGINE, parent_finish, parent_start
from .sessions import _enqueue_step_on_commit, session_step_delay_s


@transaction.atomic
def session_advance(*, session_id: int, step_no: int) -> StepOutcome | None:
    """Run step ``step_no`` of a session; returns None when it is not this step's turn."""
    session = session_lock(session_id)
    if session.step_no != step_no or session.status != MarketSession.Status.RUNNING:
        return None
    instrument = session.instrument
    simulator, state = pickle.loads(session.state)
    now_ns = simulator.clock_ns
    end_ns = min(now_ns + settings.SIM_STEP_SECONDS * NS_PER_S, simulator.close_ns)
    at = partial(to_datetime, session.trading_date)

    # Parents the engine still has children for are loaded whatever their status, so a
    # paused or cancelled parent's late fills are still recorded.
    parents = parents_lock(
        (Q(status__in=PARENT_LIVE_STATUSES) | Q(pk__in=list(state.parents))) & Q(instrument=instrument)
    )
    for parent in parents:
        if parent.status == ParentStatus.NEW:
            parent_start(parent, simulator, at(now_ns), session)
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
                parent_finish(parent, ParentStatus.CANCELLED, "cancelled by supervisor", at(end_ns))
            continue
        if parent.status == ParentStatus.PAUSED:
            if closing and not open_children:  # a paused parent does not outlive its trading day
                parent_finish(parent, ParentStatus.EXPIRED, "market closed", at(end_ns))
            else:
                still_working = True
            continue
        if parent.status != ParentStatus.WORKING:
            continue
        if parent.filled_quantity == parent.quantity:
            parent_finish(parent, ParentStatus.FILLED, "complete", at(end_ns))
        elif (to_ns(session.trading_date, parent.end) <= end_ns or closing) and not open_children:
            parent_finish(parent, ParentStatus.EXPIRED, "end time reached", at(end_ns))
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
    session.scorecard = state.scorecard.as_rows()
    if closing and not state.parents:
        session.status = MarketSession.Status.CLOSED
    elif still_working or ParentOrder.objects.filter(instrument=instrument, status=ParentStatus.NEW).exists():
        _enqueue_step_on_commit(session.pk, session.step_no, delay_s=session_step_delay_s())
    else:
        session.status = MarketSession.Status.IDLE
    session.save(
        update_fields=["state", "step_no", "sim_time_ns", "bid_ticks", "ask_ticks", "scorecard", "status", "updated_at"]
    )
    if settings.FAULT_STEP_DELAY_S:
        _hold_step_open(session.pk, step_no)
    return outcome


def _hold_step_open(session_id: int, step_no: int) -> None:
    """Fault injection (crash tests only): everything is written, nothing committed yet."""
    import time

    (settings.VAR_DIR / "step-in-flight").write_text(f"{session_id} {step_no}")
    time.sleep(settings.FAULT_STEP_DELAY_S)


def _record_outcome(session: MarketSession, outcome: StepOutcome, parents: list[ParentOrder], at) -> None:
    tick = session.instrument.tick_size
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
    fills = Fill.objects.bulk_create(
        [
            Fill(
                session=session,
                step_no=session.step_no,
                seq=f.seq,
                parent_id=f.parent_id,
                child=known[f.order_id],
                venue=f.venue,
                side=Side.of_sign(f.side).value,
                quantity=f.quantity,
                price=half_ticks_to_price(f.price_half_ticks, tick),
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
                notional=half_ticks_to_price(second.notional_half_ticks, tick),
                bid=ticks_to_price(second.bid, tick),
                ask=ticks_to_price(second.ask, tick),
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
    mid = None if bar.bid is None or bar.ask is None else half_ticks_to_price(bar.bid + bar.ask, tick)
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
