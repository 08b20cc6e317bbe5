"""Orders at the open: market- and limit-on-open orders taken in the pre-open, worked as one order
in the opening auction on the listing venue, filled at the official open that TCA measures by;
once the open has come, refused."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from orders.models import AuditEvent, Instrument, Order, OrderStatus, ParentStatus, Source
from orders.services.intake import OPENING_PAST_REASON, order_create
from routing.market.clock import OPEN_NS, PRE_OPEN_NS, to_datetime
from routing.models import ChildOrder, Fill, MarketSession
from routing.selectors import parent_reconciliation
from routing.services import clock as clock_service
from routing.services.aggregation import aggregation_window_run
from routing.services.replaces import OPEN_AMEND_REASON, order_replace
from routing.services.sessions import session_catch_up, session_get_or_create, sessions_keep_time
from routing.services.steps import session_advance
from tca.reports import parent_report
from tca.services import parent_comparison

from .test_closing_auction import enter as enter_for_auction
from .test_exchange_clock import FRIDAY, WALL, open_minutes_ago, paced  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def enter(client_order_id, side, quantity, **extra):
    return enter_for_auction(client_order_id, side, quantity, strategy="OPEN", **extra)


def session_open(session: MarketSession):
    return to_datetime(session.trading_date, OPEN_NS)


def step_through(session: MarketSession, steps: int) -> MarketSession:
    for _ in range(steps):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING:
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
    session.refresh_from_db()
    return session


@pytest.mark.usefixtures("paced")
def test_a_market_on_open_order_from_the_pre_open_fills_at_the_official_open(demo, settings):
    # given: the exchange clock in Friday's pre-open, ten minutes before the open
    open_minutes_ago(-10)
    assert clock_service.exchange_clock().now(WALL) == (FRIDAY, PRE_OPEN_NS + 5 * 60 * 10**9)
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    assert (session.trading_date, session.step_no) == (FRIDAY, 0)

    # when: a market-on-open buy and a limit-on-open sell far above the market come in
    buy = enter("MOO-1", "BUY", 3_000)
    far = (Decimal(session.ask_ticks) * session.instrument.tick_size * Decimal("1.05")).quantize(Decimal("0.01"))
    sell = enter("LOO-1", "SELL", 500, limit_price=far)
    assert (buy.status, sell.status) == (OrderStatus.PENDING_AGGREGATION, OrderStatus.PENDING_AGGREGATION)
    parents = aggregation_window_run(actor="test")

    # then: two parents for the open, not crossed at the mid with each other
    assert sorted((p.side, p.strategy, p.crossed_quantity) for p in parents) == [
        ("BUY", "OPEN", 0),
        ("SELL", "OPEN", 0),
    ]

    # when: the clock reaches the open and the day's first steps run
    open_minutes_ago(1)
    session = step_through(session, 3)

    # then: the official open is the opening cross, our buy in it
    assert session.opening_price is not None and session.opening_volume >= 3_000
    buy.refresh_from_db()
    moo_parent = buy.parent
    assert moo_parent.start == moo_parent.end == session_open(session)
    child = ChildOrder.objects.get(parent=moo_parent)
    assert (child.venue, child.order_type, child.tactic, child.quantity, child.filled_quantity) == (
        "NYSE",
        "ON_OPEN",
        "AUCTION",
        3_000,
        3_000,
    )
    fills = list(Fill.objects.filter(parent=moo_parent).values_list("quantity", "price", "liquidity"))
    assert fills == [(3_000, session.opening_price, "A")]
    assert (buy.status, buy.filled_quantity, buy.average_price) == (OrderStatus.FILLED, 3_000, session.opening_price)
    assert moo_parent.status == ParentStatus.FILLED and parent_reconciliation(moo_parent)["balanced"]

    # the limit-on-open sell 5% above the market paired nothing: it is over with the open
    sell.refresh_from_db()
    assert (sell.filled_quantity, sell.status) == (0, OrderStatus.EXPIRED)
    assert sell.parent.status == ParentStatus.EXPIRED
    expired = AuditEvent.objects.get(kind="order.expired", order=sell)
    assert expired.detail["reason"] == "the opening auction is over"
    assert ChildOrder.objects.get(parent=sell.parent).reason == "not executed in the opening auction"

    # and once the open has come, an order for it is refused, and none can be moved into it
    late = enter("MOO-LATE", "BUY", 100)
    assert (late.status, late.reject_reason) == (OrderStatus.REJECTED, OPENING_PAST_REASON)

    # TCA's open benchmark is the official open, and the order met it to the cent
    report = parent_report(moo_parent)
    assert report.benchmarks["open"] == session.opening_price
    assert report.totals.average_price == session.opening_price

    # the comparison replays the auction next to the algorithms over the half hour after it;
    # alone in the replay, without the far sell's pairing, the cross comes within a few bps
    comparison = parent_comparison(moo_parent)
    recorded, as_run, *others = comparison["runs"]
    assert as_run["label"] == "At the open (one order in the opening auction)"
    assert (as_run["filled"], as_run["children"]) == (recorded["filled"], recorded["children"]) == (3_000, 1)
    replayed_open = Decimal(as_run["average_price"])
    assert abs(replayed_open - session.opening_price) / session.opening_price < Decimal("0.0005")
    assert [r["strategy"] for r in others][:4] == ["TWAP", "VWAP", "POV", "IS"]
    assert all(r["filled"] == 3_000 for r in others[:4]), [(r["strategy"], r["filled"]) for r in others]
    assert any("30 minutes after the open" in c for c in comparison["caveats"])


@pytest.mark.usefixtures("paced")
def test_an_order_for_the_next_open_waits_while_its_market_finishes_the_day_before(demo):
    # given: XOM's Friday session still working a TWAP buy into the close, at 15:50
    open_minutes_ago(380)
    friday = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    session_catch_up(friday, max_steps=10_000)
    order_create(submitted_by=User.objects.get(username="trader1"), account="T1-GROWTH", instrument="XOM",
                 side="BUY", quantity=2_000, client_order_id="TWAP-LATE", source=Source.API, strategy="TWAP",
                 instructions={"end_time": "16:00"})  # fmt: skip
    aggregation_window_run(actor="test")
    friday = step_through(friday, 1)
    assert (friday.trading_date, friday.status) == (FRIDAY, MarketSession.Status.RUNNING)

    # when: the clock is already in Monday's pre-open (the session is behind it) and a
    # market-on-open buy comes in (received then: the test holds the wall clock still)
    open_minutes_ago(390 + 10)
    moo = enter("MOO-MONDAY", "BUY", 1_000)
    Order.objects.filter(pk=moo.pk).update(received_at=datetime.fromtimestamp(WALL / 1e9, UTC))
    (parent,) = aggregation_window_run(actor="test")

    # then: Friday's session works on to its close without it, and it does not expire there
    friday = step_through(friday, 200)
    assert friday.status == MarketSession.Status.CLOSED
    parent.refresh_from_db()
    assert (parent.status, parent.start) == (ParentStatus.NEW, None)

    # and once the clock passes Monday's open, the beat wakes Monday's market for it, rather
    # than step it forward without parents: its first step sends it into the opening auction
    open_minutes_ago(390 + 15 + 1)
    sessions_keep_time()
    monday = MarketSession.objects.get(instrument__symbol="XOM", status=MarketSession.Status.RUNNING)
    assert (monday.trading_date, monday.step_no) == (date(2026, 12, 7), 0)
    monday = step_through(monday, 2)
    parent.refresh_from_db()
    assert parent.session_id == monday.pk and parent.start == session_open(monday)
    assert (parent.status, parent.filled_quantity) == (ParentStatus.FILLED, 1_000)
    assert list(Fill.objects.filter(parent=parent).values_list("price", flat=True)) == [monday.opening_price]


@pytest.mark.usefixtures("paced")
def test_an_order_cannot_be_moved_into_the_open_once_it_has_come(demo):
    # given: a TWAP buy working 30 minutes after the open
    open_minutes_ago(30)
    order, _ = order_create(submitted_by=User.objects.get(username="trader1"), account="T1-GROWTH",
                            instrument="XOM", side="BUY", quantity=1_000, client_order_id="TWAP-1",
                            source=Source.API, strategy="TWAP")  # fmt: skip
    # when: the trader asks to move it into the opening auction
    with pytest.raises(ValidationError) as refused:
        order_replace(order_id=order.pk, requested_by=User.objects.get(username="trader1"),
                      client_order_id="TWAP-1-A", source=Source.API, strategy="OPEN")  # fmt: skip
    # then: refused, and the order is as it was
    assert refused.value.message_dict == {"strategy": [OPEN_AMEND_REASON]}
    order.refresh_from_db()
    assert (order.strategy, order.quantity) == ("TWAP", 1_000)


def test_unpaced_an_instruments_first_day_takes_orders_for_its_open_until_its_first_step(demo):
    # given: no exchange clock (speed 0) and no XOM market yet: its day has not opened
    assert not MarketSession.objects.filter(instrument__symbol="XOM").exists()
    first = enter("MOO-1", "BUY", 200)
    assert first.status == OrderStatus.PENDING_AGGREGATION
    # when: its session runs its first step
    aggregation_window_run(actor="test")
    session = step_through(MarketSession.objects.get(instrument__symbol="XOM"), 1)
    assert session.sim_time_ns > OPEN_NS
    # then: the order went into the cross, and the next one for the open is refused
    first.refresh_from_db()
    assert (first.status, first.average_price) == (OrderStatus.FILLED, session.opening_price)
    assert enter("MOO-2", "BUY", 200).reject_reason == OPENING_PAST_REASON
