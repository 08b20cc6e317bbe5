"""One exchange clock for the desk: every instrument's market at the same time, idle or not,
stepped exactly as a session's own steps would step it."""

import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from orders.models import Instrument
from routing.context_processors import exchange_clock as clock_context
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS, to_datetime
from routing.models import ExchangeClockSetting, MarketBar, MarketSession
from routing.replay import Replay, ReplayMarket
from routing.services import clock as clock_service
from routing.services import sessions as sessions_service
from routing.services.clock import exchange_clock, exchange_open
from routing.services.sessions import (
    market_now_lock,
    session_catch_up,
    session_get_or_create,
    session_next_step_delay_s,
    sessions_keep_time,
)
from routing.services.steps import session_advance

from ..integration.test_tca import submit_two_buys

pytestmark = pytest.mark.django_db
WALL = int(datetime(2026, 12, 4, 14, 30, tzinfo=UTC).timestamp()) * NS_PER_S  # the clock is read at this instant
FRIDAY = date(2026, 12, 4)


@pytest.fixture
def paced(settings, monkeypatch):
    """Time paced at 60× with the wall clock held still at WALL."""
    settings.SIM_SPEED = 60.0
    monkeypatch.setattr(clock_service, "wall_now_ns", lambda: WALL)
    monkeypatch.setattr(sessions_service, "wall_now_ns", lambda: WALL)


def open_minutes_ago(minutes: float, first_date=FRIDAY):
    """The clock set so that it reads ``minutes`` simulated minutes past the open now."""
    ExchangeClockSetting.objects.update_or_create(
        pk=1,
        defaults={
            "opened_at": clock_service._as_datetime(WALL - round(minutes * NS_PER_S)),
            "first_trading_date": first_date,
            "speed": 60.0,
        },
    )


def test_every_instruments_market_keeps_the_one_clock_whether_or_not_anything_trades(demo, paced):
    # given the clock 30 simulated minutes past Friday's open, and nothing traded yet
    open_minutes_ago(30)

    # when the beat keeps time
    ran = sessions_keep_time()

    # then every instrument's session is open on the clock's date and at its time, 10:00
    sessions = list(MarketSession.objects.order_by("instrument__symbol"))
    assert len(sessions) == Instrument.objects.count() == 5 and ran == 5 * 360
    assert {(s.trading_date, s.sim_time_ns, s.step_no, s.status) for s in sessions} == {
        (FRIDAY, OPEN_NS + 1_800 * NS_PER_S, 360, MarketSession.Status.IDLE)
    }
    # with a tape of every second since the open: no gap for an instrument nobody traded
    for session in sessions:
        bars = MarketBar.objects.filter(session=session)
        assert bars.count() == 1_800
        assert bars.order_by("start").first().start == to_datetime(FRIDAY, OPEN_NS)
        assert bars.order_by("-end").first().end == to_datetime(FRIDAY, OPEN_NS + 1_800 * NS_PER_S)
    # and a second tick at the same wall instant has nothing to do
    assert sessions_keep_time() == 0


def test_a_market_stepped_forward_is_the_market_a_replay_rebuilds(demo, paced):
    # given an idle instrument caught up to 10:17:30 in chunks of 100 steps
    open_minutes_ago(47.5)
    xom = Instrument.objects.get(symbol="XOM")
    session = session_get_or_create(instrument=xom)
    chunks = [session_catch_up(session, max_steps=100) for _ in range(7)]
    assert chunks == [100, 100, 100, 100, 100, 70, 0]

    # when the counterfactual replay rebuilds the session's market from its seed to that time
    simulator, _ = pickle.loads(session.state)
    replay = Replay(
        ReplayMarket(
            seed=session.seed,
            reference_ticks=session.reference_ticks,
            tick_size=xom.tick_size,
            open_ns=OPEN_NS,
            close_ns=CLOSE_NS,
            step_ns=5 * NS_PER_S,
            venues=tuple(simulator.specs.values()),
            incidents=simulator.incidents,
        ),
        session.sim_time_ns,
    )

    # then it is the same market, book for book
    assert replay.start_step == session.step_no == 570
    assert replay.sim.nbbo() == simulator.nbbo() == (session.bid_ticks, session.ask_ticks)
    assert replay.sim.fundamental == simulator.fundamental
    assert {v: (b.bid_prices, b.ask_prices) for v, b in replay.sim.books.items()} == {
        v: (b.bid_prices, b.ask_prices) for v, b in simulator.books.items()
    }


def test_an_order_meets_the_market_at_the_clocks_time_and_steps_keep_to_it(demo, paced):
    # given XOM's session left idle at the open while the clock went on to 11:00
    xom = Instrument.objects.get(symbol="XOM")
    open_minutes_ago(0)
    session = session_get_or_create(instrument=xom)
    open_minutes_ago(90)

    # when the trader's market is read, as intake does before it prices an order
    market = market_now_lock(instruments=[xom])[xom.pk]

    # then it has caught up: the NBBO and time are the 11:00 market's (in chunks of an hour at most)
    assert market.now == to_datetime(FRIDAY, OPEN_NS + 3_600 * NS_PER_S)
    market = market_now_lock(instruments=[xom])[xom.pk]
    assert market.now == to_datetime(FRIDAY, OPEN_NS + 5_400 * NS_PER_S)

    # and a parent's steps wait for the clock: the next step ends 5 s on, a twelfth of a wall second
    parent = submit_two_buys()
    session = MarketSession.objects.get(pk=session.pk)
    assert session.status == MarketSession.Status.RUNNING
    assert session_next_step_delay_s(session) == pytest.approx(5 / 60)
    # and its first step starts it at the clock's time, for its high urgency's ten minutes
    session_advance(session_id=session.pk, step_no=session.step_no)
    parent.refresh_from_db()
    assert (parent.start, parent.end) == (
        to_datetime(FRIDAY, OPEN_NS + 5_400 * NS_PER_S),
        to_datetime(FRIDAY, OPEN_NS + 6_000 * NS_PER_S),
    )
    # a session behind the clock steps back to back
    MarketSession.objects.filter(pk=session.pk).update(sim_time_ns=OPEN_NS + 3_600 * NS_PER_S)
    assert session_next_step_delay_s(MarketSession.objects.get(pk=session.pk)) == 0


def test_a_new_trading_day_opens_when_the_clock_passes_the_close(demo, paced):
    # given Friday's XOM session idle at 15:00
    open_minutes_ago(330)
    xom = Instrument.objects.get(symbol="XOM")
    friday = session_get_or_create(instrument=xom)
    session_catch_up(friday, max_steps=10_000)

    # when the clock has moved on past Friday's close and Monday's pre-open to Monday 09:40
    open_minutes_ago(390 + 15 + 10)
    monday = session_get_or_create(instrument=xom)

    # then Friday closed with nothing working, and Monday opened at 09:30, caught up by the beat
    assert MarketSession.objects.get(pk=friday.pk).status == MarketSession.Status.CLOSED
    assert (monday.trading_date, monday.sim_time_ns) == (date(2026, 12, 7), OPEN_NS)
    sessions_keep_time()
    assert MarketSession.objects.get(pk=monday.pk).sim_time_ns == OPEN_NS + 600 * NS_PER_S


def test_a_symbol_of_any_allowed_length_opens_its_market_and_short_ones_keep_their_seeds(demo, paced, settings):
    # given the clock at Friday's open, and a sixteen-character symbol (what the model allows)
    open_minutes_ago(0)
    long = Instrument.objects.create(
        symbol="ABCDEFGHIJKLMNOP", name="Long symbol", tick_size=Decimal("0.01"), reference_price=Decimal("50.00")
    )

    # when each market opens
    long_session = session_get_or_create(instrument=long)
    xom_session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))

    # then the long symbol's seed fits the database's 64-bit integer (eight characters overflowed it)
    assert 0 <= MarketSession.objects.get(pk=long_session.pk).seed < 2**63
    # and a short symbol's seed is the one it always had: the date's digits xor its characters' bytes
    day_digits = int(f"{settings.SIM_SEED}20261204")
    assert xom_session.seed == day_digits ^ (ord("X") | ord("O") << 8 | ord("M") << 16)


def test_opening_the_exchange_starts_a_fresh_day_after_every_session_and_keeps_time_across_speeds(
    demo, paced, settings
):
    # given a session already on Monday
    open_minutes_ago(0, first_date=date(2026, 12, 7))
    session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))

    # when the exchange is opened now (make run does), then it is Tuesday's open, never Monday again
    clock = exchange_open(wall_ns=WALL)
    assert (clock.first_date, clock.now(WALL)) == (date(2026, 12, 8), (date(2026, 12, 8), OPEN_NS))

    # and a new speed keeps the time the clock reads, running on from there at the new pace
    open_minutes_ago(60, first_date=date(2026, 12, 8))
    settings.SIM_SPEED = 600.0
    faster = exchange_clock()
    assert faster.speed == 600.0 and faster.now(WALL) == (date(2026, 12, 8), OPEN_NS + 3_600 * NS_PER_S)
    assert faster.now(WALL + NS_PER_S) == (date(2026, 12, 8), OPEN_NS + 4_200 * NS_PER_S)


def test_without_pacing_there_is_no_clock_and_sessions_keep_their_own_time(demo, settings):
    settings.SIM_SPEED = 0
    assert exchange_clock() is None and sessions_keep_time() == 0
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    assert session.sim_time_ns == OPEN_NS and session_next_step_delay_s(session) == 0
    assert Decimal(session.bid_ticks) > 0


def test_pages_show_a_wall_instant_on_the_exchange_clock_the_header_shows(paced):
    # Given the desk's clock opened its day at WALL, at 60x
    exchange_open()

    class Request:
        class user:
            is_authenticated = True

    page = Template("{% load exchange_time %}{% exchange_time received %}|{% exchange_time none %}")
    # When an order received one wall minute after the open is shown
    received = datetime(2026, 12, 4, 14, 31, tzinfo=UTC)
    shown = page.render(Context({**clock_context(Request), "received": received, "none": None}))
    # Then it reads an hour into the exchange day, and no time shows as nothing
    assert shown == "10:30:00|"


def test_unpaced_pages_show_new_york_wall_time(settings):
    settings.SIM_SPEED = 0
    page = Template("{% load exchange_time %}{% exchange_time received %}")
    shown = page.render(Context({"exchange_clock": None, "received": datetime(2026, 12, 4, 14, 31, 5, tzinfo=UTC)}))
    assert shown == "09:31:05"
