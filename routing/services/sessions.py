"""Market sessions: one simulated trading day per instrument, woken by new parents, advanced by
steps, and kept to the desk's exchange clock when nothing works in them."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.domain.values import price_to_ticks, ticks_to_price
from orders.models import PARENT_LIVE_STATUSES, Instrument, ParentOrder, ParentStatus

from ..engine.step import run_step
from ..locks import session_lock, sessions_lock
from ..market.clock import CLOSE_NS, EXCHANGE_TZ, NS_PER_S, OPEN_NS, ExchangeClock, add_weekdays, to_datetime
from ..market.halts import day_news_jumps
from ..market.incidents import day_incidents
from ..models import MarketBar, MarketSession
from ..opening import market_open, step_rng
from ..selectors import session_checkpoint, venue_specs
from .clock import exchange_clock, wall_now_ns
from .step_records import auction_record, tape_rows, venue_statuses_record

# A running session whose row has not moved for this long has lost its step message.
STALE_AFTER_S = 10.0
# Steps one catch-up runs at most in one transaction (an hour of the market); the rest follows.
CATCH_UP_MAX_STEPS = 720


def _first_trading_date():
    return timezone.now().astimezone(EXCHANGE_TZ).date()


def _session_seed(instrument: Instrument, trading_date) -> int:
    """The day's seed of an instrument's market. The symbol's characters go a byte each into
    56 bits, folding back after the seventh, so a symbol of up to 16 characters still fits the
    database's 64-bit integer (an eight-character one overflowed it) and a short one keeps
    the seed it always had."""
    symbol_bits = 0
    for i, c in enumerate(instrument.symbol):
        symbol_bits ^= (ord(c) & 0xFF) << (8 * (i % 7))
    return int(f"{settings.SIM_SEED}{trading_date:%Y%m%d}") ^ symbol_bits


def session_get_or_create(*, instrument: Instrument) -> MarketSession:
    return _session_for(instrument, exchange_clock())


def _session_for(instrument: Instrument, clock: ExchangeClock | None) -> MarketSession:
    """The instrument's current simulated day.

    With the exchange clock, that is the clock's trading date: a session of an earlier date
    with nothing working in it closes, and the clock's date opens. A day with parents still
    working goes on to its close first (it steps back to back, being behind the clock).
    Without a clock (speed 0) simulated days run as fast as they can: the first session takes
    today's date, each later one the weekday after the last once it has closed.
    """
    latest = MarketSession.objects.filter(instrument=instrument).order_by("-trading_date").first()
    if clock is None:
        if latest is not None and latest.status != MarketSession.Status.CLOSED:
            return latest
        trading_date = _first_trading_date() if latest is None else add_weekdays(latest.trading_date, 1)
    else:
        desk_date, _ = clock.now(wall_now_ns())
        if latest is not None and latest.status != MarketSession.Status.CLOSED:
            if latest.trading_date >= desk_date or _has_work(latest):
                return latest
            MarketSession.objects.filter(pk=latest.pk).update(status=MarketSession.Status.CLOSED)
        trading_date = desk_date if latest is None else max(desk_date, add_weekdays(latest.trading_date, 1))
    seed = _session_seed(instrument, trading_date)
    venues = venue_specs()
    simulator, state = market_open(
        venues=venues,
        reference_ticks=price_to_ticks(instrument.reference_price, instrument.tick_size),
        tick_size=instrument.tick_size,
        seed=seed,
        incidents=day_incidents(
            f"{settings.SIM_SEED}:{trading_date}",
            venues,
            open_ns=OPEN_NS,
            close_ns=CLOSE_NS,
            chance=settings.VENUE_INCIDENT_CHANCE,
        ),
        news_jumps=day_news_jumps(str(seed), open_ns=OPEN_NS, close_ns=CLOSE_NS, chance=settings.NEWS_JUMP_CHANCE),
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
            "scorecard": state.scorecard.as_rows(simulator.venue_status),
        },
    )
    return session


def _has_work(session: MarketSession) -> bool:
    return session.status in (MarketSession.Status.RUNNING, MarketSession.Status.FAULTED) or (
        ParentOrder.objects.filter(session=session, status__in=PARENT_LIVE_STATUSES).exists()
    )


def session_catch_up(session: MarketSession, *, max_steps: int = CATCH_UP_MAX_STEPS) -> int:
    return _catch_up(session, exchange_clock(), max_steps)


def _catch_up(session: MarketSession, clock: ExchangeClock | None, max_steps: int = CATCH_UP_MAX_STEPS) -> int:
    """Step a locked idle session forward to the exchange clock; returns the steps it ran.

    An instrument with nothing working still has a market: its background flow is simulated
    forward, fast, step by step exactly as a running session's steps would run it (the same
    step grid, the same seed per step, no parents), so the day's tape has no gap, a replay
    rebuilds the same market, and the next parent meets the market of the clock's time,
    not of the moment the instrument last traded. A session past its close closes.
    """
    if clock is None or session.status != MarketSession.Status.IDLE:
        return 0
    target_ns = _clock_reading(clock, session)
    step_ns = settings.SIM_STEP_SECONDS * NS_PER_S
    if session.sim_time_ns + step_ns > target_ns and target_ns < CLOSE_NS:
        return 0
    simulator, state = session_checkpoint(session)
    if state.parents:  # children still out at venues: only a real step may move this market
        return 0
    if ParentOrder.objects.filter(instrument=session.instrument, status=ParentStatus.NEW).exists():
        # A parent waited for this day (an order at its open, taken while the day before ran
        # late): the day's real steps take it, from the first.
        session.status = MarketSession.Status.RUNNING
        session.save(update_fields=["status", "updated_at"])
        session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=session_next_step_delay_s(session))
        return 0
    at, tick, ran, outcome = partial(to_datetime, session.trading_date), session.instrument.tick_size, 0, None
    bars, statuses, auction = [], [], []
    while ran < max_steps and simulator.clock_ns < simulator.close_ns:
        end_ns = min(simulator.clock_ns + step_ns, simulator.close_ns)
        if end_ns > target_ns:
            break
        step_no = session.step_no + ran
        outcome = run_step(simulator, state, [], end_ns=end_ns, rng=step_rng(session.seed, step_no), step_no=step_no)
        bars.extend(tape_rows(session, step_no, outcome.seconds, at, tick))
        statuses.extend(outcome.venue_statuses)
        auction.extend(outcome.auction)
        ran += 1
    if not ran:
        return 0
    MarketBar.objects.bulk_create(bars, batch_size=2_000)
    venue_statuses_record(session, statuses, at)
    auction_record(session, auction, at)
    session.scorecard = state.scorecard.as_rows(simulator.venue_status)
    session.state = pickle.dumps((simulator, state))
    session.step_no += ran
    session.sim_time_ns = simulator.clock_ns
    session.bid_ticks, session.ask_ticks = outcome.bar.bid, outcome.bar.ask
    if simulator.clock_ns >= simulator.close_ns:
        session.status = MarketSession.Status.CLOSED
    session.save(
        update_fields=["state", "step_no", "sim_time_ns", "bid_ticks", "ask_ticks", "scorecard", "status", "updated_at"]
    )
    return ran


def _clock_reading(clock: ExchangeClock, session: MarketSession) -> int:
    """What the clock reads on the session's date: the close once that date has passed."""
    desk_date, desk_ns = clock.now(wall_now_ns())
    if desk_date > session.trading_date:
        return CLOSE_NS
    return desk_ns if desk_date == session.trading_date else OPEN_NS


def sessions_keep_time() -> int:
    """Every instrument's session of the clock's date open, and each idle one stepped to the
    clock (beat, every second); returns the steps run. Nothing without a clock."""
    clock = exchange_clock()
    if clock is None:
        return 0
    for instrument in Instrument.objects.order_by("pk"):
        _session_for(instrument, clock)
    ran = 0
    idle = MarketSession.objects.filter(status=MarketSession.Status.IDLE).order_by("pk").values_list("pk", flat=True)
    for session_id in idle:
        with transaction.atomic():
            ran += _catch_up(session_lock(session_id), clock)
    return ran


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
    clock = exchange_clock()
    ids = [_session_for(i, clock).pk for i in instruments.values()]
    markets = {}
    for session in sessions_lock(ids):
        _catch_up(session, clock)  # an idle market is met at the clock's time, not where it last stopped
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
        session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=session_next_step_delay_s(session))
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
    """Nominal wall-clock time between steps: SIM_STEP_SECONDS at SIM_SPEED."""
    return settings.SIM_STEP_SECONDS / settings.SIM_SPEED if settings.SIM_SPEED > 0 else 0.0


def session_next_step_delay_s(session: MarketSession) -> float:
    """How long the session's next step waits: until the exchange clock reaches that step's
    end, so every session keeps the desk's one time; none when it is behind (it catches up)."""
    clock = exchange_clock()
    if clock is None:
        return 0.0
    end_ns = min(session.sim_time_ns + settings.SIM_STEP_SECONDS * NS_PER_S, CLOSE_NS)
    return max(0.0, (clock.wall_ns_at(session.trading_date, end_ns) - wall_now_ns()) / NS_PER_S)


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
