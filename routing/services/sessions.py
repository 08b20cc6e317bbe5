"""Market sessions: one simulated trading day per instrument, woken by new parents, advanced by steps."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.domain.values import price_to_ticks, ticks_to_price
from orders.models import Instrument

from ..locks import session_lock, sessions_lock
from ..market.clock import CLOSE_NS, EXCHANGE_TZ, OPEN_NS, to_datetime
from ..models import MarketSession
from ..opening import market_open
from ..selectors import venue_specs

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
    simulator, state = market_open(
        venues=venue_specs(),
        reference_ticks=price_to_ticks(instrument.reference_price, instrument.tick_size),
        tick_size=instrument.tick_size,
        seed=seed,
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
            "reference_ticks": simulator.reference_ticks,
            "scorecard": state.scorecard.as_rows(),
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
    for session in sessions_lock(ids):
        tick = instruments[session.instrument_id].tick_size
        markets[session.instrument_id] = MarketNow(
            session=session,
            bid=ticks_to_price(session.bid_ticks, tick),
            ask=ticks_to_price(session.ask_ticks, tick),
            now=to_datetime(session.trading_date, session.sim_time_ns),
            close=to_datetime(session.trading_date, CLOSE_NS),
        )
    return markets


def session_wake(*, instrument: Instrument) -> MarketSession:
    """Make sure the instrument's session is stepping; call inside a transaction."""
    session = session_get_or_create(instrument=instrument)
    session = session_lock(session.pk)
    if session.status == MarketSession.Status.IDLE:
        session.status = MarketSession.Status.RUNNING
        session.save(update_fields=["status", "updated_at"])
        session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=0)
    elif session.status == MarketSession.Status.RUNNING and session.updated_at < _stale_before():
        # Its step message was lost (e.g. Redis restarted): step again now rather than
        # wait for the watchdog. A duplicate step does nothing.
        session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=0)
    return session


def _stale_before(stale_after_s: float = STALE_AFTER_S):
    return timezone.now() - timedelta(seconds=stale_after_s + session_step_delay_s())


def session_step_enqueue_on_commit(session_id: int, step_no: int, *, delay_s: float) -> None:
    from ..tasks import session_step

    transaction.on_commit(lambda: session_step.apply_async((session_id, step_no), countdown=delay_s))


def session_step_delay_s() -> float:
    """Wall-clock pause between steps so simulated time runs SIM_SPEED times faster."""
    return settings.SIM_STEP_SECONDS / settings.SIM_SPEED if settings.SIM_SPEED > 0 else 0.0


def sessions_watchdog() -> list[int]:
    """Re-enqueue the current step of running sessions that stopped moving.

    Covers a step message lost with a Redis restart; a duplicate is harmless because
    a step that is not the session's current one does nothing.
    """
    from ..tasks import session_step

    revived = []
    running = MarketSession.objects.filter(status=MarketSession.Status.RUNNING, updated_at__lt=_stale_before())
    for session in running:
        session_step.delay(session.pk, session.step_no)
        revived.append(session.pk)
    return revived
