"""The whole lifecycle on real parts: Redis, a Celery worker, the ASGI app and its websockets."""

from __future__ import annotations

import asyncio
import time

import pytest
from celery.contrib.testing.worker import start_worker
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum

from orders.models import Allocation, Order, OrderStatus, ParentOrder, ParentStatus, Source
from orders.services.intake import order_create
from routing.models import Fill, MarketSession
from routing.services.aggregation import aggregation_window_run
from smarttrading.asgi import application
from smarttrading.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(demo):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def session_cookie_headers(user) -> list[tuple[bytes, bytes]]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()),
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
    ]


def enter_orders_and_aggregate() -> ParentOrder:
    trader = User.objects.get(username="trader1")
    for i, (account, quantity) in enumerate([("T1-GROWTH", 1_700), ("T1-INCOME", 900), ("T1-GROWTH", 401)]):
        order_create(
            submitted_by=trader,
            account=account,
            instrument="MSFT",
            side="BUY",
            quantity=quantity,
            client_order_id=f"THIN-{i}",
            source=Source.API,
            urgency="HIGH",
        )
    (parent,) = aggregation_window_run(actor="test")
    return parent


async def receive_until(communicator, wanted_type: str, timeout: float = 60.0, after_seq: int = 0) -> dict:
    """The next ``wanted_type`` message newer than ``after_seq``; older ones are in the snapshot, as clients know."""
    deadline = time.monotonic() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        if message["type"] == wanted_type and message["seq"] > after_seq:
            return message


async def test_order_to_fill_to_allocation_streams_live(worker):
    supervisor = await sync_to_async(User.objects.get)(username="supervisor1")
    trader = await sync_to_async(User.objects.get)(username="trader1")
    orders_socket = WebsocketCommunicator(
        application, "/ws/orders/", headers=await sync_to_async(session_cookie_headers)(trader)
    )
    connected, _ = await orders_socket.connect()
    assert connected
    assert (await orders_socket.receive_json_from(timeout=10))["type"] == "snapshot"

    # given three small buys aggregated into one parent
    parent = await sync_to_async(enter_orders_and_aggregate)()
    assert parent.quantity == 3_001

    # when the supervisor watches the parent's stream
    panel = WebsocketCommunicator(
        application, f"/ws/execution/{parent.pk}/", headers=await sync_to_async(session_cookie_headers)(supervisor)
    )
    connected, _ = await panel.connect()
    assert connected
    snapshot = await panel.receive_json_from(timeout=10)
    assert snapshot["type"] == "snapshot"
    assert snapshot["parent"]["id"] == parent.pk

    # then fills arrive over the websocket, carrying a rising sequence number
    fill_message = await receive_until(panel, "fill", after_seq=snapshot["seq"])
    assert fill_message["seq"] > snapshot["seq"]
    assert fill_message["fills"] and all(f["quantity"] > 0 for f in fill_message["fills"])
    # and the trader's own stream reports the allocation
    order_message = await receive_until(orders_socket, "order")
    assert {o["client_order_id"] for o in order_message["orders"]} <= {"THIN-0", "THIN-1", "THIN-2"}

    # and the parent completes: fills, parent and allocations reconcile to the share
    for _ in range(600):
        parent = await sync_to_async(ParentOrder.objects.get)(pk=parent.pk)
        if parent.status not in (ParentStatus.NEW, ParentStatus.WORKING):
            break
        await asyncio.sleep(0.1)
    assert parent.status == ParentStatus.FILLED
    await sync_to_async(assert_reconciled)(parent)
    await panel.disconnect()
    await orders_socket.disconnect()


def assert_reconciled(parent: ParentOrder) -> None:
    fills = Fill.objects.filter(parent=parent)
    fill_total = fills.aggregate(q=Sum("quantity"))["q"]
    assert fill_total == parent.filled_quantity == parent.quantity
    assert Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] == fill_total
    for order in Order.objects.filter(parent=parent):
        allocated = order.allocations.aggregate(q=Sum("quantity"))["q"]
        assert allocated == order.filled_quantity == order.quantity
        assert order.status == OrderStatus.FILLED
    notional = sum(f.quantity * f.price for f in fills)
    assert parent.filled_notional == notional
    session = MarketSession.objects.get(instrument=parent.instrument)
    assert session.status == MarketSession.Status.IDLE
    assert len({(f.step_no, f.seq) for f in fills}) == fills.count()


async def test_sockets_refuse_the_wrong_role(demo):
    trader = await sync_to_async(User.objects.get)(username="trader1")
    analyst = await sync_to_async(User.objects.get)(username="analyst1")
    refused = [
        (trader, "/ws/execution/"),
        (trader, "/ws/execution/1/"),
        (trader, "/ws/tca/"),
        (analyst, "/ws/orders/"),  # an analyst gets no live order stream
        (analyst, "/ws/execution/"),
        (None, "/ws/orders/"),
        (None, "/ws/tca/"),
    ]
    for user, path in refused:
        headers = [(b"origin", b"http://127.0.0.1")]
        if user is not None:
            headers = await sync_to_async(session_cookie_headers)(user)
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert not connected, (user, path)


async def test_sockets_refuse_a_foreign_origin(demo):
    supervisor = await sync_to_async(User.objects.get)(username="supervisor1")
    headers = [h for h in await sync_to_async(session_cookie_headers)(supervisor) if h[0] != b"origin"]
    communicator = WebsocketCommunicator(
        application, "/ws/execution/", headers=[*headers, (b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_trader_receives_only_their_own_orders_and_a_supervisor_every_traders(demo):
    # given two traders connected to their order streams, and a supervisor to the desk's
    trader1, trader2, supervisor = [
        await sync_to_async(User.objects.get)(username=name) for name in ("trader1", "trader2", "supervisor1")
    ]
    sockets = {}
    for user in (trader1, trader2, supervisor):
        headers = await sync_to_async(session_cookie_headers)(user)
        sockets[user.username] = WebsocketCommunicator(application, "/ws/orders/", headers=headers)
        connected, _ = await sockets[user.username].connect()
        assert connected
        assert (await sockets[user.username].receive_json_from())["type"] == "snapshot"

    # when trader1 enters an order
    await sync_to_async(order_create)(
        submitted_by=trader1,
        account="T1-GROWTH",
        instrument="MSFT",
        side="BUY",
        quantity=300,
        client_order_id="MINE-ONLY",
        source=Source.API,
    )

    # then trader1 hears of it, trader2 hears nothing, and trader2's snapshot lacks it
    message = await sockets["trader1"].receive_json_from(timeout=5)
    assert [o["client_order_id"] for o in message["orders"]] == ["MINE-ONLY"]
    desk = await sockets["supervisor1"].receive_json_from(timeout=5)
    assert [(o["client_order_id"], o["account"]) for o in desk["orders"]] == [("MINE-ONLY", "T1-GROWTH")]
    assert await sockets["trader2"].receive_nothing(timeout=1)
    await sockets["trader2"].send_json_to({"type": "resync"})
    snapshot = await sockets["trader2"].receive_json_from(timeout=5)
    assert "MINE-ONLY" not in {o["client_order_id"] for o in snapshot["orders"]}
    for socket in sockets.values():
        await socket.disconnect()
