"""Aggregation windows: internal crosses at the mid, top-ups of working parents, cancels."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum

from orders.models import (
    Allocation,
    AuditEvent,
    InternalCross,
    Order,
    OrderStatus,
    ParentOrder,
    ParentStatus,
    Source,
)
from orders.services.intake import order_create
from routing.models import Fill, MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.cancels import order_cancel
from routing.services.steps import session_advance

pytestmark = pytest.mark.django_db


def enter(client_order_id, side, quantity, *, user="trader1", account="T1-GROWTH", symbol="AAPL", **extra):
    order, _ = order_create(
        submitted_by=User.objects.get(username=user),
        account=account,
        instrument=symbol,
        side=side,
        quantity=quantity,
        client_order_id=client_order_id,
        source=Source.API,
        **extra,
    )
    return order


def run_until_done(parent, steps=400):
    session = MarketSession.objects.get(instrument=parent.instrument, status=MarketSession.Status.RUNNING)
    for _ in range(steps):
        session.refresh_from_db()
        parent.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING or parent.status not in (ParentStatus.NEW, "WORKING"):
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
    parent.refresh_from_db()
    return parent


def test_opposing_orders_cross_at_the_mid_and_only_the_net_goes_to_market(demo):
    # given two buys from trader1 and a sell from trader2 in the same window
    buy_a = enter("A", "BUY", 300, urgency="HIGH")
    buy_b = enter("B", "BUY", 100, urgency="HIGH", account="T1-INCOME")
    sell = enter("S", "SELL", 250, user="trader2", account="T2-MACRO", urgency="HIGH")

    # when the window runs
    parents = aggregation_window_run(actor="test")

    # then 250 shares cross at the session's NBBO mid
    cross = InternalCross.objects.get()
    session = MarketSession.objects.get(instrument__symbol="AAPL")
    tick = Decimal("0.01")
    assert cross.quantity == 250
    assert (cross.bid, cross.ask) == (tick * session.bid_ticks, tick * session.ask_ticks)
    assert cross.price == (cross.bid + cross.ask) / 2
    buy_parent, sell_parent = sorted(parents, key=lambda p: p.side)
    # the sell parent is done without touching the market
    assert (sell_parent.quantity, sell_parent.crossed_quantity, sell_parent.status) == (250, 250, ParentStatus.FILLED)
    assert not Fill.objects.filter(parent=sell_parent).exists()
    # the buys are crossed pro rata (187.5 / 62.5 -> 188 / 62); only the net 150 goes to market
    allocations = dict(Allocation.objects.filter(venue="INTERNAL").values_list("order__client_order_id", "quantity"))
    assert allocations == {"A": 188, "B": 62, "S": 250}
    assert (buy_parent.quantity, buy_parent.crossed_quantity, buy_parent.market_quantity) == (400, 250, 150)
    assert Order.objects.get(pk=sell.pk).status == OrderStatus.FILLED
    assert {Order.objects.get(pk=o.pk).status for o in (buy_a, buy_b)} == {OrderStatus.PARTIALLY_FILLED}
    assert AuditEvent.objects.filter(kind="order.crossed").count() == 3
    assert AuditEvent.objects.get(kind="cross.executed").detail["quantity"] == 250

    # and when the buy parent finishes in the market, everything reconciles to the share
    buy_parent = run_until_done(buy_parent)
    assert buy_parent.status == ParentStatus.FILLED
    market = Fill.objects.filter(parent=buy_parent).aggregate(q=Sum("quantity"))["q"]
    assert market == 150
    assert Allocation.objects.filter(parent=buy_parent).aggregate(q=Sum("quantity"))["q"] == 400
    for order in Order.objects.filter(parent=buy_parent):
        assert order.filled_quantity == order.quantity == order.allocations.aggregate(q=Sum("quantity"))["q"]
        assert order.filled_notional == sum(a.quantity * a.price for a in order.allocations.all())


def test_a_sell_limit_above_the_mid_stays_out_of_the_cross(demo):
    enter("A", "BUY", 300)
    enter("S", "SELL", 300, user="trader2", account="T2-MACRO", limit_price="210.00")
    aggregation_window_run(actor="test")
    assert not InternalCross.objects.exists()


def test_new_orders_top_up_a_working_parent_instead_of_starting_a_rival(demo):
    # given a parent that is already working
    enter("A", "BUY", 2_000, urgency="LOW")
    (parent,) = aggregation_window_run(actor="test")
    session = MarketSession.objects.get(instrument=parent.instrument)
    session_advance(session_id=session.pk, step_no=0)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING
    end_before = parent.end

    # when a compatible order arrives in a later window
    enter("B", "BUY", 1_000, urgency="HIGH", strategy="VWAP")
    (topped,) = aggregation_window_run(actor="test")

    # then it joins the same parent
    assert topped.pk == parent.pk
    assert ParentOrder.objects.count() == 1
    parent.refresh_from_db()
    assert parent.quantity == 3_000
    assert parent.end == end_before  # an hour-long schedule already covers a ten-minute order
    event = AuditEvent.objects.get(kind="parent.topped_up")
    assert (event.detail["quantity"], event.detail["total"]) == (1_000, 3_000)
    parent = run_until_done(parent, steps=1_000)
    assert parent.status == ParentStatus.FILLED
    assert Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] == 3_000


def test_a_pending_order_cancels_and_is_never_aggregated(demo):
    order = enter("A", "BUY", 100)
    order_cancel(order_id=order.pk, cancelled_by=User.objects.get(username="trader1"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert aggregation_window_run(actor="test") == []


def test_cancelling_a_working_order_shrinks_its_parent(demo):
    keep = enter("A", "BUY", 600, urgency="LOW")
    drop = enter("B", "BUY", 400, urgency="LOW", account="T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    order_cancel(order_id=drop.pk, cancelled_by=User.objects.get(username="trader1"))
    parent.refresh_from_db()
    assert parent.quantity == 600
    parent = run_until_done(parent, steps=1_000)
    assert parent.status == ParentStatus.FILLED
    assert Order.objects.get(pk=keep.pk).filled_quantity == 600
    assert Order.objects.get(pk=drop.pk).filled_quantity == 0


def test_someone_elses_order_cannot_be_cancelled(demo, trader2):
    order = enter("A", "BUY", 100)
    assert trader2.post(f"/api/v1/orders/{order.pk}/cancel/").status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_AGGREGATION
