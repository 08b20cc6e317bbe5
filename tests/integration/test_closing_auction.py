"""Orders at the close: market- and limit-on-close from every channel, worked as one order in the
closing auction on the listing venue, filled at the official close that TCA then measures by."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from orders.models import AuditEvent, Instrument, Order, OrderStatus, ParentStatus, Source
from orders.services.intake import order_create
from routing.market.clock import CLOSE_NS, NS_PER_S, to_datetime
from routing.models import ChildOrder, Fill, MarketSession
from routing.selectors import parent_reconciliation
from routing.services.aggregation import aggregation_window_run
from routing.services.replaces import CLOSE_AMEND_REASON, order_replace
from routing.services.sessions import session_catch_up, session_get_or_create
from routing.services.steps import session_advance
from tca.reports import parent_report
from tca.services import parent_comparison

from .test_exchange_clock import FRIDAY, open_minutes_ago, paced  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def enter(client_order_id, side, quantity, strategy="CLOSE", **extra):
    order, _ = order_create(
        submitted_by=User.objects.get(username="trader1"),
        account="T1-GROWTH",
        instrument="XOM",
        side=side,
        quantity=quantity,
        client_order_id=client_order_id,
        source=Source.API,
        strategy=strategy,
        **extra,
    )
    return order


def xom_at(minutes_after_open: float) -> MarketSession:
    """XOM's market caught up to the clock, ``minutes_after_open`` simulated minutes into Friday."""
    open_minutes_ago(minutes_after_open)
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    while session_catch_up(session, max_steps=5_000):
        session.refresh_from_db()
    session.refresh_from_db()
    return session


def step_to_close(session: MarketSession, until_ns: int = CLOSE_NS) -> MarketSession:
    for _ in range(400):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING or session.sim_time_ns >= until_ns:
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
    session.refresh_from_db()
    return session


@pytest.mark.usefixtures("paced")
def test_a_market_on_close_order_fills_at_the_official_close_and_tca_measures_it_by_the_close(demo, settings):
    settings.SIM_STEP_SECONDS = 30  # the day up to 15:40 in fewer, longer steps
    # given: XOM's market at 15:40, a market-on-close buy and a limit-on-close sell far above the market
    session = xom_at(370)
    assert session.sim_time_ns == CLOSE_NS - 20 * 60 * NS_PER_S
    buy = enter("MOC-1", "BUY", 3_000)
    far = (Decimal(session.ask_ticks) * session.instrument.tick_size * Decimal("1.05")).quantize(Decimal("0.01"))
    sell = enter("LOC-1", "SELL", 500, limit_price=far)
    parents = aggregation_window_run(actor="test")

    # then: two parents for the close, not crossed at the mid with each other
    assert sorted((p.side, p.strategy, p.crossed_quantity) for p in parents) == [
        ("BUY", "CLOSE", 0),
        ("SELL", "CLOSE", 0),
    ]

    # when: the session steps past the cutoff, a market-on-close order comes too late, and the
    # session steps on through the close
    settings.SIM_STEP_SECONDS = 5
    session = step_to_close(session, until_ns=CLOSE_NS - 9 * 60 * NS_PER_S)
    late = enter("MOC-LATE", "BUY", 100)
    assert (late.status, late.reject_reason) == (
        OrderStatus.REJECTED,
        "the closing auction takes orders until 15:50 exchange time",
    )
    # and neither order at the close can be cut or moved out of the auction after the cutoff
    trader = User.objects.get(username="trader1")
    for order, change in ((buy, {"quantity": 2_000}), (sell, {"strategy": "TWAP", "limit_price": None})):
        with pytest.raises(ValidationError) as refused:
            order_replace(order_id=order.pk, requested_by=trader, client_order_id=f"{order.client_order_id}-A",
                          source=Source.API, **change)  # fmt: skip
        assert refused.value.message_dict == {"strategy": [CLOSE_AMEND_REASON]}
        order.refresh_from_db()
        assert (order.quantity, order.strategy, order.status) == (
            {buy.pk: 3_000, sell.pk: 500}[order.pk],
            "CLOSE",
            OrderStatus.WORKING,
        )
    session = step_to_close(session)

    # then: the official close is the closing cross, recorded on the session and in the audit trail
    assert session.status == MarketSession.Status.CLOSED
    assert session.closing_price is not None and session.closing_volume > 3_000
    cross = AuditEvent.objects.get(kind="market.closing_cross")
    assert (cross.detail["venue"], Decimal(cross.detail["price"])) == ("NYSE", session.closing_price)
    assert cross.sim_time == to_datetime(FRIDAY, CLOSE_NS)

    # one market-on-close child on NYSE, filled in full at the close as an auction fill
    buy.refresh_from_db()
    moc_parent = buy.parent
    child = ChildOrder.objects.get(parent=moc_parent)
    assert (child.venue, child.order_type, child.tactic, child.quantity, child.filled_quantity) == (
        "NYSE",
        "ON_CLOSE",
        "AUCTION",
        3_000,
        3_000,
    )
    fills = list(Fill.objects.filter(parent=moc_parent).values_list("quantity", "price", "liquidity", "fee"))
    assert fills == [(3_000, session.closing_price, "A", Decimal("3.0000"))]
    assert (buy.status, buy.filled_quantity, buy.average_price) == (OrderStatus.FILLED, 3_000, session.closing_price)
    assert moc_parent.status == ParentStatus.FILLED and parent_reconciliation(moc_parent)["balanced"]

    # the limit-on-close sell 5% above the market paired nothing and ended with the day
    sell.refresh_from_db()
    assert (sell.filled_quantity, sell.status, sell.parent.status) == (
        0,
        OrderStatus.DONE_FOR_DAY,
        ParentStatus.EXPIRED,
    )
    assert ChildOrder.objects.get(parent=sell.parent).reason == "not executed in the closing auction"

    # TCA's close benchmark is the official close, and the order met it to the cent
    report = parent_report(moc_parent)
    assert report.benchmarks["close"] == session.closing_price
    assert report.totals.average_price == session.closing_price

    # and the comparison replays the day to its close: the recorded closing cross, to the cent,
    # next to the algorithms over the same window
    comparison = parent_comparison(moc_parent)
    recorded, as_run, *others = comparison["runs"]
    assert as_run["label"] == "At the close (one order in the closing auction)"
    for key in ("filled", "average_price", "fees", "children"):
        assert as_run[key] == recorded[key], key
    assert Decimal(as_run["average_price"]) == session.closing_price
    assert [r["strategy"] for r in others][:4] == ["TWAP", "VWAP", "POV", "IS"]


@pytest.mark.parametrize("column", ["start_time", "end_time"])
@pytest.mark.parametrize(("strategy", "auction"), [("CLOSE", "the close"), ("OPEN", "the open")])
def test_an_order_for_an_auction_takes_no_window(demo, trader1, strategy, auction, column):
    response = trader1.post(
        "/api/v1/orders/",
        {"client_order_id": "AUCTION-W", "account": "T1-GROWTH", "instrument": "XOM", "side": "BUY",
         "quantity": 100, "strategy": strategy, column: "15:00"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {column: [f"an order at {auction} takes no start or end time"]}
    assert not Order.objects.filter(client_order_id="AUCTION-W").exists()
