"""Amend (cancel/replace) while an order works: quantity up and down, new limit or instructions.

The order keeps its id and takes the new client_order_id (the old one is its amendment's
orig_client_order_id); a size-up applies at once, a size-down or new terms wait for the shares
out at venues, and new terms move the order to a parent that runs them. Every parent still
reconciles: child fills plus crosses = allocations = what its orders got there.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Sum

from orders.models import Allocation, Amendment, AuditEvent, Order, OrderStatus, ParentOrder, ParentStatus, Source
from orders.services.intake import order_create
from routing.models import MarketSession
from routing.selectors import parent_reconciliation
from routing.services.aggregation import aggregation_window_run
from routing.services.steps import session_advance

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
LIVE = (ParentStatus.NEW, ParentStatus.WORKING)


def enter(client_order_id, quantity, *, account="T1-GROWTH", **extra):
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


def xom_session() -> MarketSession:
    return MarketSession.objects.get(instrument__symbol="XOM")


def run_until_done(session, parents, steps=400):
    """Step (aggregating as beat would) until every given parent has finished; checks the
    parent invariants after every step."""
    for _ in range(steps):
        aggregation_window_run(actor="test")
        session = step(session)
        live = ParentOrder.objects.filter(instrument__symbol="XOM", status__in=LIVE)
        for parent in ParentOrder.objects.filter(instrument__symbol="XOM"):
            assert parent.filled_quantity <= parent.quantity
        if not live.exists() and all(p.status not in LIVE for p in ParentOrder.objects.filter(pk__in=parents)):
            break
    assert session.status != MarketSession.Status.FAULTED
    return session


def test_an_order_waiting_for_aggregation_is_amended_at_once(demo, trader1):
    # given
    order = enter("A-1", 1_000)

    # when: more shares, a limit, a cap on participation
    response = trader1.post(
        f"/api/v1/orders/{order.pk}/replace/",
        {"client_order_id": "A-1.1", "quantity": 1_500, "limit_price": "110.00", "max_participation": "10%"},
        format="json",
    )

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amendment"]["status"] == "APPLIED" and body["amendment"]["orig_client_order_id"] == "A-1"
    assert (body["order"]["id"], body["order"]["client_order_id"], body["order"]["quantity"]) == (
        order.pk,
        "A-1.1",
        1_500,
    )
    assert body["order"]["limit_price"] == "110.000000"
    assert body["order"]["instructions"] == {"max_participation": "0.1000"}
    assert [a["client_order_id"] for a in body["order"]["amendments"]] == ["A-1.1"]
    event = AuditEvent.objects.get(kind="order.replaced", order=order)
    assert event.actor == "user:trader1" and event.detail["orig_client_order_id"] == "A-1"


def test_an_amend_is_idempotent_and_refused_with_its_reason_when_it_cannot_apply(demo, trader1):
    order = enter("B-1", 1_000)
    other = enter("B-2", 500)
    url = f"/api/v1/orders/{order.pk}/replace/"

    first = trader1.post(url, {"client_order_id": "B-1.1", "quantity": 800}, format="json")
    again = trader1.post(url, {"client_order_id": "B-1.1", "quantity": 800}, format="json")
    taken = trader1.post(url, {"client_order_id": "B-2", "quantity": 900}, format="json")
    conflict = trader1.post(url, {"client_order_id": "B-1.1", "quantity": 700}, format="json")
    bad = trader1.post(url, {"client_order_id": "B-1.2", "quantity": 150, "end_time": "17:00"}, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json()["amendment"]["id"] == again.json()["amendment"]["id"]
    assert Amendment.objects.filter(order=order).count() == 1
    assert taken.json() == {"client_order_id": ["B-2 is already used in account T1-GROWTH"]}
    assert conflict.json() == {
        "client_order_id": ["B-1.1 is already an amend of this order to quantity 800; use a new id for a new amend"]
    }
    assert bad.status_code == 400 and bad.json() == {"end_time": ["is past the close (16:00)"]}
    other.refresh_from_db()
    assert other.client_order_id == "B-2"


def test_size_up_while_working_applies_at_once_and_the_order_fills_to_its_new_size(demo, trader1):
    # given: one working parent, a step into the market
    order = enter("UP-1", 2_000)
    (parent,) = aggregation_window_run(actor="test")
    session = step(xom_session())

    # when: the trader asks for 3,000 more
    response = trader1.post(
        f"/api/v1/orders/{order.pk}/replace/", {"client_order_id": "UP-1.1", "quantity": 5_000}, format="json"
    )

    # then: applied at once, the parent grows with it
    assert response.status_code == 200 and response.json()["amendment"]["kind"] == "IMMEDIATE"
    parent.refresh_from_db()
    assert parent.quantity == 5_000
    run_until_done(session, [parent.pk])
    order.refresh_from_db()
    parent.refresh_from_db()
    assert (order.status, order.quantity, order.filled_quantity) == (OrderStatus.FILLED, 5_000, 5_000)
    assert parent.filled_quantity == 5_000 and parent_reconciliation(parent)["balanced"]


@pytest.mark.parametrize("seed", range(4))
def test_size_down_with_children_out_waits_for_them_and_never_over_fills(demo, trader1, settings, seed):
    # given: 19,900 + 100 at HIGH urgency in one parent, one step in
    settings.SIM_SEED = 8_100 + seed
    big, small = enter("DOWN-BIG", 19_900), enter("DOWN-SMALL", 100, account="T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    session = step(xom_session())

    # when: the big order is cut to 5,000
    response = trader1.post(
        f"/api/v1/orders/{big.pk}/replace/", {"client_order_id": "DOWN-BIG.1", "quantity": 5_000}, format="json"
    )

    # then: it is a size-down, applied within the session's steps, and both orders end filled
    assert response.json()["amendment"]["kind"] == "SIZE_DOWN"
    run_until_done(session, [parent.pk])
    big.refresh_from_db()
    small.refresh_from_db()
    parent.refresh_from_db()
    amendment = Amendment.objects.get(order=big)
    if amendment.status == Amendment.Status.APPLIED:
        assert (big.client_order_id, big.quantity, big.filled_quantity) == ("DOWN-BIG.1", 5_000, 5_000)
    else:  # the fills crossing the amend took the order past 5,000 first: it keeps what it got
        assert amendment.status == Amendment.Status.OVERTAKEN and big.filled_quantity > 5_000
        assert big.quantity == big.filled_quantity
    assert big.status == small.status == OrderStatus.FILLED
    assert parent.status == ParentStatus.FILLED and parent.quantity == big.quantity + 100
    assert parent_reconciliation(parent)["balanced"]


def test_a_new_limit_moves_the_order_to_a_parent_that_runs_it_keeping_its_fills(demo, trader1):
    # given: a working market order with some fills
    order = enter("MOVE-1", 6_000)
    (old,) = aggregation_window_run(actor="test")
    session = xom_session()
    for _ in range(60):
        session = step(session)
        order.refresh_from_db()
        if order.filled_quantity:
            break
    assert 0 < order.filled_quantity < 6_000

    # when: the trader sets a limit well above the market
    response = trader1.post(
        f"/api/v1/orders/{order.pk}/replace/",
        {
            "client_order_id": "MOVE-1.1",
            "limit_price": str((order.instrument.reference_price * 11 / 10).quantize(CENT)),
        },
        format="json",
    )
    assert response.status_code in (200, 202), response.content
    assert response.json()["amendment"]["kind"] == "MOVE"

    # then: it leaves the old parent with what it got there, and fills in full in a new one
    session = run_until_done(session, [old.pk])
    run_until_done(session, list(ParentOrder.objects.values_list("pk", flat=True)))
    order.refresh_from_db()
    old.refresh_from_db()
    new = order.parent
    assert new.pk != old.pk and new.limit_price == order.limit_price
    assert (order.status, order.client_order_id, order.filled_quantity) == (OrderStatus.FILLED, "MOVE-1.1", 6_000)
    by_parent = dict(
        Allocation.objects.filter(order=order).values("parent").annotate(q=Sum("quantity")).values_list("parent", "q")
    )
    assert by_parent[old.pk] == old.filled_quantity and by_parent[new.pk] == new.filled_quantity
    assert sum(by_parent.values()) == 6_000
    assert parent_reconciliation(old)["balanced"] and parent_reconciliation(new)["balanced"]
    assert old.status == ParentStatus.FILLED and old.quantity == old.filled_quantity


def test_a_cancel_during_a_pending_replace_is_refused_and_bulk_amends_answer_each_on_its_own(demo, trader1):
    order = enter("C-1", 19_900)
    aggregation_window_run(actor="test")
    step(xom_session())
    filled = Order.objects.get(pk=order.pk).filled_quantity  # what the market gave the first step
    pending = trader1.post(
        f"/api/v1/orders/{order.pk}/replace/", {"client_order_id": "C-1.1", "quantity": filled + 100}, format="json"
    )
    assert pending.status_code == 202 and Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_REPLACE

    cancel = trader1.post(f"/api/v1/orders/{order.pk}/cancel/")
    assert cancel.status_code == 400
    assert cancel.json() == {"status": ["a replace is pending: try again once it has applied"]}

    waiting = enter("C-2", 100)
    bulk = trader1.post(
        "/api/v1/orders/replace/bulk/",
        {
            "amendments": [
                {"order": waiting.pk, "client_order_id": "C-2.1", "quantity": 200},
                {"order": order.pk, "client_order_id": "C-1.2", "quantity": 500},
                {"order": 10**9, "client_order_id": "X"},
                {"client_order_id": "no order"},
                {"order": order.pk, "client_order_id": "C-1.3", "quantity": 19_900},  # would apply at once
            ]
        },
        format="json",
    )
    assert bulk.status_code == 200
    statuses = [(r["index"], r["status"]) for r in bulk.json()]
    assert statuses == [(0, "APPLIED"), (1, "INVALID"), (2, "INVALID"), (3, "INVALID"), (4, "INVALID")]
    assert bulk.json()[4]["errors"] == {"status": ["a replace is pending: try again once it has applied"]}
    assert bulk.json()[1]["errors"] == {"status": ["a replace is pending: try again once it has applied"]}
    assert bulk.json()[2]["errors"] == {"order": ["no such order of yours"]}
    assert "order" in bulk.json()[3]["errors"]


@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_amends_up_and_down_while_working_complete_and_reconcile(demo, redis_server):
    from pathlib import Path

    from django.conf import settings as django_settings

    from routing.models import ChildOrder
    from routing.services.replaces import order_replace
    from tests.integration.test_crash_safety import DONE, FAST_REDELIVERY, assert_reconciled, wait_until
    from tests.processes import start_worker, stop

    trader = User.objects.get(username="trader1")
    down, up = enter("W-DOWN", 19_900), enter("W-UP", 1_000, account="T1-INCOME")
    (parent,) = aggregation_window_run(actor="test")
    log = open(Path(django_settings.VAR_DIR) / "amend-worker.log", "w")  # noqa: SIM115
    worker = start_worker(log, name="amends", **FAST_REDELIVERY)
    try:
        # given: children out at venues
        open_child = ChildOrder.objects.filter(parent=parent, status__in=("SENT", "LIVE"))
        wait_until(open_child.exists, 60, "a child order out at a venue")

        # when: one order is cut to halfway between what it has and what it asked, the other raised to 3,000,
        # while the worker steps (it keeps filling between the read and the amend: a cut it overtook is refused,
        # so read again; halfway keeps the cut below the order's quantity however fast the market fills)
        for attempt in range(5):
            filled = Order.objects.get(pk=down.pk).filled_quantity
            target = filled + (down.quantity - filled) // 2
            try:
                cut = order_replace(
                    order_id=down.pk,
                    requested_by=trader,
                    client_order_id="W-DOWN.1",
                    source=Source.API,
                    quantity=target,
                )
                break
            except ValidationError as refused:
                assert "already filled" in str(refused) and attempt < 4, refused
        raised = order_replace(
            order_id=up.pk, requested_by=trader, client_order_id="W-UP.1", source=Source.API, quantity=3_000
        )

        # then: the parent finishes with both orders done
        wait_until(lambda: ParentOrder.objects.get(pk=parent.pk).status in DONE, 120, "the parent to finish")
    finally:
        stop([worker])
        log.close()
        redis_server.flushdb()
    assert (cut.kind, raised.kind, raised.status) == ("SIZE_DOWN", "IMMEDIATE", "APPLIED")
    down.refresh_from_db()
    up.refresh_from_db()
    cut.refresh_from_db()
    assert (up.status, up.quantity, up.filled_quantity) == (OrderStatus.FILLED, 3_000, 3_000)
    assert down.status == OrderStatus.FILLED and down.filled_quantity == down.quantity
    assert down.quantity == target if cut.status == Amendment.Status.APPLIED else down.quantity > target
    assert MarketSession.objects.get(instrument__symbol="XOM").failures == 0
    assert_reconciled()


def test_an_orders_execution_reports_tell_its_story_from_ack_to_fill(demo, trader1):
    # given: an order acknowledged, amended up while working, and filled
    order = enter("R-1", 1_000)
    (parent,) = aggregation_window_run(actor="test")
    session = step(xom_session())
    trader1.post(f"/api/v1/orders/{order.pk}/replace/", {"client_order_id": "R-1.1", "quantity": 2_000}, format="json")
    run_until_done(session, [parent.pk])

    # when
    reports = trader1.get(f"/api/v1/orders/{order.pk}/reports/").json()

    # then: New, the fills, the replace and the fills after it, each with running figures
    kinds = [r["exec_type"] for r in reports]
    assert kinds[0] == "NEW" and reports[0]["leaves_quantity"] == 1_000 and reports[0]["client_order_id"] == "R-1"
    replaced = kinds.index("REPLACED")
    assert reports[replaced]["orig_client_order_id"] == "R-1" and reports[replaced]["order_quantity"] == 2_000
    trades = [r for r in reports if r["exec_type"] == "TRADE"]
    assert sum(r["last_quantity"] for r in trades) == 2_000
    cums = [r["cum_quantity"] for r in trades]
    assert cums == sorted(cums) and cums[-1] == 2_000
    for r in trades:
        assert r["cum_quantity"] + r["leaves_quantity"] == r["order_quantity"]
        assert r["last_market"] in ("NYSE", "NASDAQ", "BATS", "DARKX", "DARKY")
    assert (reports[-1]["order_status"], reports[-1]["leaves_quantity"]) == ("FILLED", 0)
    assert len({r["exec_id"] for r in reports}) == len(reports)
