"""Two-phase cancel: a trader cancels an order while its parent's children are out at venues.

The parent gives up only what is not out at a venue, its next step cancels the children it
no longer needs, fills that cross the cancel still go to the order, and the order ends
CANCELLED with what it got. It once froze the instrument: the parent shrank below its
filled plus open shares, the next fill over-filled it and every replay of the step raised.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from orders.models import Allocation, AuditEvent, Order, OrderStatus, ParentOrder, ParentStatus, Source
from orders.services.allocation import parent_fills_allocate
from orders.services.intake import order_create
from routing.models import Fill, MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.cancels import order_cancel
from routing.services.steps import session_advance

pytestmark = pytest.mark.django_db


def enter(client_order_id, quantity, account, **extra):
    order, _ = order_create(
        submitted_by=User.objects.get(username="trader1"),
        account=account,
        instrument="XOM",
        side="BUY",
        quantity=quantity,
        client_order_id=client_order_id,
        source=Source.API,
        urgency="HIGH",
        **extra,
    )
    return order


def step(session) -> MarketSession:
    session.refresh_from_db()
    session_advance(session_id=session.pk, step_no=session.step_no)
    session.refresh_from_db()
    return session


@pytest.mark.parametrize("seed", range(12))
def test_cancelling_the_big_order_while_its_children_work_never_jams_the_session(demo, settings, seed):
    # given: 19,900 + 100 to buy at HIGH urgency, in one parent, one step into the market
    settings.SIM_SEED = 7_000 + seed
    big, small = enter("BIG", 19_900, "T1-GROWTH"), enter("SMALL", 100, "T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    session = step(MarketSession.objects.get(instrument__symbol="XOM"))

    # when: the trader cancels the big order
    cancelled = order_cancel(order_id=big.pk, cancelled_by=User.objects.get(username="trader1"))
    assert cancelled.status == OrderStatus.PENDING_CANCEL

    # then: the session steps on to the end of the parent, never raising
    statuses = []
    for _ in range(300):
        session = step(session)
        statuses.append(Order.objects.get(pk=big.pk).status)
        parent.refresh_from_db()
        assert parent.filled_quantity <= parent.quantity
        if parent.status != ParentStatus.WORKING:
            break
    assert (session.failures, session.status) != (0, MarketSession.Status.FAULTED)
    assert parent.status == ParentStatus.FILLED

    # and the big order ended cancelled with what it got, the small one filled
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == OrderStatus.CANCELLED
    assert big.filled_quantity + big.cancelled_quantity == 19_900 and big.filled_quantity < 19_900
    assert (small.status, small.filled_quantity) == (OrderStatus.FILLED, 100)
    assert parent.quantity == parent.filled_quantity == big.filled_quantity + 100
    fills = Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"]
    allocated = Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"]
    assert fills == allocated == parent.filled_quantity
    done = AuditEvent.objects.get(kind="order.cancelled", order=big)
    assert done.detail["reason"] == f"cancelled {big.cancelled_quantity:,} of 19,900; {big.filled_quantity:,} filled"
    assert done.detail["transition"] == [OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED]


def test_when_the_last_shares_out_at_a_venue_fill_the_cancel_ends_with_its_audit_and_report(demo):
    """A pending cancel ends either when the release gives back the last shares or when the
    shares still out at venues fill; the second way must tell the trader as the first does."""
    # given: the big order waits in PENDING_CANCEL with 100 shares still out at a venue
    big, small = enter("BIG", 19_900, "T1-GROWTH"), enter("SMALL", 100, "T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    session = step(MarketSession.objects.get(instrument__symbol="XOM"))
    child = parent.children.first()
    Order.objects.filter(pk=small.pk).update(status=OrderStatus.FILLED, filled_quantity=100)
    Order.objects.filter(pk=big.pk).update(
        status=OrderStatus.PENDING_CANCEL, filled_quantity=0, filled_notional=0, cancelled_quantity=19_800
    )
    fill = Fill.objects.create(
        session=session, step_no=10_000, seq=0, parent=parent, child=child, venue=child.venue, side="BUY",
        quantity=100, price=Decimal("105.01"), fee=Decimal("0.30"), liquidity="T", sim_time=child.sim_time,
    )  # fmt: skip

    # when: those 100 shares fill
    with transaction.atomic():
        parent_fills_allocate(parent=parent, fills=[fill])

    # then: the order is cancelled with what it got, audited and reported as the release would
    big.refresh_from_db()
    assert (big.status, big.filled_quantity, big.cancelled_quantity) == (OrderStatus.CANCELLED, 100, 19_800)
    done = AuditEvent.objects.get(kind="order.cancelled", order=big)
    assert done.detail["reason"] == "cancelled 19,800 of 19,900; 100 filled"
    assert done.detail["transition"] == [OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED]
    trade, cancel = big.reports.order_by("-id")[:2][::-1]
    assert (trade.exec_type, trade.last_quantity, trade.order_status) == ("TRADE", 100, OrderStatus.CANCELLED)
    assert (cancel.exec_type, cancel.cum_quantity, cancel.leaves_quantity) == ("CANCELED", 100, 0)


def test_some_cancels_wait_for_the_shares_out_at_venues(demo, settings):
    """Across seeds, the cancel often cannot give everything up at once (shares are out at
    venues): it waits in PENDING_CANCEL, and the next step, which cancels those children at
    their venues, completes it once the venues confirm."""
    waited, completed = 0, 0
    for seed in range(12):
        settings.SIM_SEED = 7_000 + seed
        big, _ = enter(f"BIG-{seed}", 19_900, "T1-GROWTH"), enter(f"SMALL-{seed}", 100, "T1-INCOME")
        (parent,) = aggregation_window_run(actor="test")
        session = step(MarketSession.objects.filter(instrument__symbol="XOM").latest("trading_date"))
        order_cancel(order_id=big.pk, cancelled_by=User.objects.get(username="trader1"))
        pending = Order.objects.get(pk=big.pk).status == OrderStatus.PENDING_CANCEL
        waited += pending
        session = step(session)
        after = Order.objects.get(pk=big.pk).status
        assert after in (OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED)
        completed += pending and after == OrderStatus.CANCELLED
        ParentOrder.objects.filter(pk=parent.pk).update(status=ParentStatus.CANCELLED)
        MarketSession.objects.filter(pk=session.pk).update(status=MarketSession.Status.CLOSED)
    assert waited > 0 and completed > 0


def test_a_parent_whose_only_order_is_cancelled_before_it_trades_ends_cancelled_not_filled(demo):
    order = enter("ONLY", 5_000, "T1-GROWTH")
    (parent,) = aggregation_window_run(actor="test")
    order_cancel(order_id=order.pk, cancelled_by=User.objects.get(username="trader1"))
    order.refresh_from_db()
    parent.refresh_from_db()
    assert (order.status, order.cancelled_quantity) == (OrderStatus.CANCELLED, 5_000)
    session = MarketSession.objects.get(instrument__symbol="XOM")
    for _ in range(3):
        session = step(session)
    parent.refresh_from_db()
    assert (parent.status, parent.quantity, parent.filled_quantity) == (ParentStatus.CANCELLED, 0, 0)


def test_a_cancel_of_a_finished_order_is_refused_with_the_reason(demo, trader1):
    order = enter("DONE", 100, "T1-GROWTH")
    trader1.post(f"/api/v1/orders/{order.pk}/cancel/")
    again = trader1.post(f"/api/v1/orders/{order.pk}/cancel/")
    assert again.status_code == 400
    assert again.json() == {"status": ["the order is cancelled: it cannot be cancelled"]}


@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_a_cancel_with_children_out_completes_and_the_rest_fills(demo, redis_server):
    from pathlib import Path

    from django.conf import settings as django_settings

    from routing.models import ChildOrder
    from tests.integration.test_crash_safety import DONE, FAST_REDELIVERY, assert_reconciled, wait_until
    from tests.processes import start_worker, stop

    big, small = enter("BIG", 19_900, "T1-GROWTH"), enter("SMALL", 100, "T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    log = open(Path(django_settings.VAR_DIR) / "cancel-worker.log", "w")  # noqa: SIM115
    worker = start_worker(log, name="cancels", **FAST_REDELIVERY)
    try:
        # given: children out at venues
        open_child = ChildOrder.objects.filter(parent=parent, status__in=("SENT", "LIVE"))
        wait_until(open_child.exists, 60, "a child order out at a venue")

        # when: the trader cancels the big order
        order_cancel(order_id=big.pk, cancelled_by=User.objects.get(username="trader1"))

        # then: the parent finishes, the big order cancelled with what it got, the small one filled
        wait_until(lambda: ParentOrder.objects.get(pk=parent.pk).status in DONE, 120, "the parent to finish")
    finally:
        stop([worker])
        log.close()
        redis_server.flushdb()
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == OrderStatus.CANCELLED and big.filled_quantity + big.cancelled_quantity == 19_900
    assert (small.status, small.filled_quantity) == (OrderStatus.FILLED, 100)
    assert MarketSession.objects.get(instrument__symbol="XOM").failures == 0
    assert_reconciled()
