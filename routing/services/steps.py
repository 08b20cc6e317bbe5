"""Execution sessions: the simulated market and the working parents, advanced step by step.

Each step runs in one transaction: it locks the session row, checks the step number
(a replayed or duplicate task finds it moved on and does nothing), loads the
checkpoint, runs the pure engine with a generator seeded from ``(seed, step)``,
writes children, fills, bars, parent progress, allocations and the next checkpoint,
and only after commit publishes to websockets and enqueues the next step.
"""

from __future__ import annotations

import pickle
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from orders.models import PARENT_LIVE_STATUSES, Order, ParentOrder, ParentStatus, Strategy
from smarttrading import streams

from ..engine.state import StepOutcome
from ..engine.step import run_step
from ..locks import parents_lock, session_lock
from ..market.clock import NS_PER_S, to_datetime, to_ns
from ..models import MarketSession
from ..opening import step_rng
from ..payloads import parent_payload
from ..profiles import volume_profile
from ..selectors import parent_plan, session_checkpoint
from .parents import amendments_overtaken, parent_finish, parent_start
from .releases import PENDING, pending_releases
from .sessions import session_next_step_delay_s, session_step_enqueue_on_commit
from .step_records import step_outcome_record


@transaction.atomic
def session_advance(*, session_id: int, step_no: int) -> StepOutcome | None:
    """Run step ``step_no`` of a session; returns None when it is not this step's turn."""
    session = session_lock(session_id)
    if session.step_no != step_no or session.status != MarketSession.Status.RUNNING:
        return None
    instrument = session.instrument
    if instrument.symbol == settings.FAULT_STEP_RAISE:
        raise RuntimeError(f"fault injection: every step of {instrument.symbol} raises")
    simulator, state = session_checkpoint(session)
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
    withheld = _pending_release(parents, state)
    plans = [parent_plan(p, session, withheld=withheld.get(p.pk, 0)) for p in parents if p.start is not None]
    if state.profile is None and any(plan.strategy == Strategy.VWAP for plan in plans):
        state.profile = volume_profile()

    outcome = run_step(simulator, state, plans, end_ns=end_ns, rng=step_rng(session.seed, step_no), step_no=step_no)
    step_outcome_record(session, outcome, parents, at)
    _pending_release([p for p in parents if p.pk in withheld], state)  # what the step's fills freed
    amendments_overtaken(parent_ids=[p.pk for p in parents])

    closing = end_ns >= simulator.close_ns
    still_working = _parents_conclude(parents, outcome, session, at(end_ns), end_ns, closing) or bool(state.parents)
    if parents:  # one message per step for all its parents: a busy session never floods the overview
        streams.publish_on_commit(
            streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(p) for p in parents]}
        )
    _session_moved_on(session, simulator, state, outcome, end_ns, closing=closing, still_working=still_working)
    if settings.FAULT_STEP_DELAY_S:
        _hold_step_open(session.pk, step_no)
    return outcome


def _hold_step_open(session_id: int, step_no: int) -> None:
    """Fault injection (crash tests only): everything is written, nothing committed yet."""
    import time

    (settings.VAR_DIR / "step-in-flight").write_text(f"{session_id} {step_no}")
    time.sleep(settings.FAULT_STEP_DELAY_S)


def _pending_release(parents, state) -> dict[int, int]:
    """Release what the parents' pending cancels and replaces ask for, as far as it is not out at
    a venue (the engine's open children); by parent with any pending, what they still withhold."""
    cancelling = set(
        Order.objects.filter(parent__in=[p.pk for p in parents], status__in=PENDING).values_list("parent_id", flat=True)
    )
    withheld = {}
    for parent in parents:
        if parent.pk in cancelling:
            engine = state.parents.get(parent.pk)
            withheld[parent.pk] = pending_releases(parent, open_children=engine.open_quantity() if engine else 0)
    return withheld


def _parents_conclude(parents, outcome: StepOutcome, session: MarketSession, now, end_ns: int, closing: bool) -> bool:
    """Close the parents that are done (filled, expired, cancelled); True if any still works."""
    still_working = False
    for parent in parents:
        progress = outcome.progress.get(parent.pk)
        open_children = progress.open_children if progress else 0
        if parent.cancel_requested_at is not None and parent.status in PARENT_LIVE_STATUSES:
            if open_children:
                still_working = True
            else:
                parent_finish(parent, ParentStatus.CANCELLED, "cancelled by supervisor", now)
            continue
        if parent.status == ParentStatus.PAUSED:
            if closing and not open_children:  # a paused parent does not outlive its trading day
                parent_finish(parent, ParentStatus.EXPIRED, "market closed", now, day_ended=True)
            else:
                still_working = True
            continue
        if parent.status != ParentStatus.WORKING:
            continue
        if parent.filled_quantity == parent.quantity:
            if parent.filled_quantity:
                parent_finish(parent, ParentStatus.FILLED, "complete", now)
            else:  # nothing was filled: every order was cancelled before a share traded
                parent_finish(parent, ParentStatus.CANCELLED, "its orders were cancelled", now)
        elif closing and not open_children:
            parent_finish(parent, ParentStatus.EXPIRED, "market closed", now, day_ended=True)
        elif to_ns(session.trading_date, parent.end) <= end_ns and not open_children:
            done = "the opening auction is over" if parent.strategy == Strategy.OPEN else "end time reached"
            parent_finish(parent, ParentStatus.EXPIRED, done, now)
        else:
            still_working = True
    return still_working


def _session_moved_on(session, simulator, state, outcome, end_ns: int, *, closing: bool, still_working: bool) -> None:
    """The next checkpoint, and whether the session steps again, goes idle or closes."""
    session.state = pickle.dumps((simulator, state))
    session.step_no += 1
    session.sim_time_ns = end_ns
    session.bid_ticks, session.ask_ticks = outcome.bar.bid, outcome.bar.ask
    session.scorecard = state.scorecard.as_rows(simulator.venue_status)
    session.failures, session.error = 0, ""
    if closing and not state.parents:
        session.status = MarketSession.Status.CLOSED
    elif still_working or ParentOrder.objects.filter(instrument=session.instrument, status=ParentStatus.NEW).exists():
        session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=session_next_step_delay_s(session))
    else:
        session.status = MarketSession.Status.IDLE
    session.save(
        update_fields=[
            *("state", "step_no", "sim_time_ns", "bid_ticks", "ask_ticks", "scorecard"),
            *("failures", "error", "status", "updated_at"),
        ]
    )
