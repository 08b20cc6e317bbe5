"""The FIX gateway with a real peer: a QuickFIX initiator in this process plays the OMS (and a
drop copy) over loopback against the gateway process, while this process steps the market.

An order comes in as NewOrderSingle, is acknowledged, fills, is amended (size up and a new
limit) and cancelled over FIX; the gateway is killed mid-flow and restarted; the OMS gets
every execution report exactly once and reconciles every fill from them alone.
"""

from __future__ import annotations

import contextlib
import queue
import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bench.fixpeer import Peer, peer_initiator
from bench.stack import free_port
from gateway.models import FixMessage, FixSession
from gateway.translate import SOH
from orders.models import Account, Order, OrderStatus
from routing.models import MarketSession
from routing.selectors import allocations_for_booking
from routing.services.aggregation import aggregation_window_run
from routing.services.steps import session_advance
from tests.processes import start_fix_gateway, stop

pytestmark = pytest.mark.django_db(transaction=True)


def supervisor_client():
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(User.objects.get(username="supervisor1"))
    return client


def now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def until(peer: Peer, seen: list, wanted, timeout_s: float = 30.0, step=None):
    """Collect messages until one satisfies ``wanted``; ``step`` runs between waits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            client, fields = peer.received.get(timeout=0.1)
        except queue.Empty:
            if step:
                step()
            continue
        seen.append((client, fields))
        if wanted(client, dict(fields)):
            return dict(fields)
    raise AssertionError(f"timed out; last messages: {seen[-3:]}")


def test_an_oms_trades_over_fix_and_reconciles_every_fill_from_its_reports(demo, redis_server, tmp_path):
    call_command("fix_demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    port = free_port()
    log = open(tmp_path / "gateway.log", "w")  # noqa: SIM115
    gateway = start_fix_gateway(log, port=port, var_dir=tmp_path / "gw")
    peer, engine = peer_initiator(tmp_path, port, "OMS1", "DROPCOPY1")
    engine.start()
    seen: list = []
    session_box: dict = {}

    def step():
        aggregation_window_run(actor="test")
        session = session_box.get("xom") or MarketSession.objects.filter(instrument__symbol="XOM").first()
        if session is None:
            return
        session_box["xom"] = session
        session.refresh_from_db()
        if session.status == MarketSession.Status.RUNNING:
            session_advance(session_id=session.pk, step_no=session.step_no)

    try:
        assert peer.logged_on.wait(30), (tmp_path / "gateway.log").read_text()
        time.sleep(0.5)  # both sessions

        # when: a NewOrderSingle for 20,000 XOM, TWAP, MEDIUM urgency (half an hour: it cannot fill before the amend)
        peer.send(
            "OMS1",
            "D",
            [
                (11, "OMS-1"),
                (1, "T1-GROWTH"),
                (21, "1"),
                (55, "XOM"),
                (54, "1"),
                (60, now()),
                (38, "20000"),
                (40, "1"),
                (59, "0"),
                (847, "1000"),
                (848, "Urgency=MEDIUM"),
            ],
        )

        # then: acknowledged as New, on the OMS session
        ack = until(peer, seen, lambda c, f: c == "OMS1" and f.get(35) == "8")
        assert (ack[150], ack[39], ack[11], ack[151], ack[14]) == ("0", "0", "OMS-1", "20000", "0")

        # and fills arrive as the market steps
        until(peer, seen, lambda c, f: c == "OMS1" and f.get(150) == "F", step=step, timeout_s=90)

        # when: the gateway is killed mid-flow and restarted while fills keep coming
        gateway.kill()
        gateway.wait()
        for _ in range(5):
            step()
        gateway = start_fix_gateway(log, port=port, var_dir=tmp_path / "gw")
        assert peer.logged_on.wait(30)

        # and the OMS sizes up to 30,000 with a limit (a new parent), then cancels
        order = Order.objects.get(client_order_id="OMS-1")
        limit = f"{order.instrument.reference_price * 11 / 10:.2f}"
        peer.send(
            "OMS1",
            "G",
            [
                (11, "OMS-1.1"),
                (41, "OMS-1"),
                (1, "T1-GROWTH"),
                (21, "1"),
                (55, "XOM"),
                (54, "1"),
                (60, now()),
                (38, "30000"),
                (40, "2"),
                (44, limit),
            ],
        )
        until(peer, seen, lambda c, f: c == "OMS1" and f.get(150) == "5", step=step, timeout_s=60)
        cancel = [(11, "OMS-1.2"), (41, "OMS-1.1"), (1, "T1-GROWTH"), (55, "XOM"), (54, "1"), (60, now())]
        peer.send("OMS1", "F", cancel)
        done = until(peer, seen, lambda c, f: c == "OMS1" and f.get(39) in ("4", "2"), step=step, timeout_s=90)
        order = Order.objects.get(pk=order.pk)
        expected = set(order.reports.values_list("pk", flat=True))
        deadline = time.monotonic() + 30  # the last reports may still be on their way
        while time.monotonic() < deadline:
            got = {dict(f)[17] for c, f in seen if c == "OMS1" and dict(f).get(35) == "8"}
            if {str(pk) for pk in expected} <= got:
                break
            with contextlib.suppress(queue.Empty):
                seen.append(peer.received.get(timeout=0.2))
    finally:
        engine.stop()
        stop([gateway])
        log.close()

    # then: every report came once, and the fills alone give the order's figures
    order.refresh_from_db()
    oms = [dict(f) for c, f in seen if c == "OMS1" and dict(f).get(35) == "8"]
    exec_ids = [r[17] for r in oms]
    assert len(exec_ids) == len(set(exec_ids)), "a report arrived twice"
    missing = {str(pk) for pk in expected} - set(exec_ids)
    assert not missing, f"reports never arrived: {list(order.reports.filter(pk__in=missing).values())}"
    fills = [r for r in oms if r[150] == "F"]
    assert sum(int(r[32]) for r in fills) == order.filled_quantity
    assert int(fills[-1][14]) == order.filled_quantity
    assert done[39] == ("4" if order.status == OrderStatus.CANCELLED else "2")
    kinds = [r[150] for r in oms]
    assert kinds[0] == "0" and "E" in kinds and "5" in kinds
    # the cancel's own reports answer its ClOrdID, naming the order's id as OrigClOrdID
    cancel_answers = [r for r in oms if r[150] in ("6", "4")]
    if order.status == OrderStatus.CANCELLED:
        assert [r[150] for r in cancel_answers] in (["6", "4"], ["4"])  # "4" alone: it was in no parent yet
        assert {(r[11], r[41]) for r in cancel_answers} == {("OMS-1.2", "OMS-1.1")}
    # the drop copy got a copy of each of them
    copies = [dict(f) for c, f in seen if c == "DROPCOPY1" and dict(f).get(35) == "8"]
    assert {r[17] for r in copies} >= set(exec_ids) and all(r[797] == "Y" for r in copies)
    # and the order's audit shows the FIX messages that made and changed it
    inbound = FixMessage.objects.filter(order=order, direction="IN").values_list("msg_type", flat=True)
    assert list(inbound) == ["D", "G", "F"]
    story = [e["kind"] for e in supervisor_client().get(f"/api/v1/orders/{order.pk}/audit/").json()]
    assert [k for k in story if k.startswith("fix.in.")] == [
        "fix.in.new_order_single",
        "fix.in.order_cancel_replace_request",
        "fix.in.order_cancel_request",
    ]
    assert "fix.out.execution_report" in story
    if order.status == OrderStatus.CANCELLED:  # the cancel request comes before what it did
        cancelled = next(k for k in story if k in ("order.cancel_requested", "order.cancelled"))
        assert story.index("fix.in.order_cancel_request") < story.index(cancelled)
    assert FixSession.objects.get(name="OMS1").next_target_seq > 1
    # and the drop copy's fills balance with the end-of-day allocations file
    booked = {row["client_order_id"]: row for row in allocations_for_booking(day=timezone.localdate())}
    copied = sum(int(r[32]) for r in copies if r[150] == "F" and r[37] == str(order.pk))
    assert int(booked[order.client_order_id]["quantity"]) == copied == order.filled_quantity
    assert SOH not in FixMessage.objects.filter(order=order).first().raw


def order_fields(cl_ord_id: str) -> list[tuple[int, str]]:
    fields = [(11, cl_ord_id), (1, "T1-GROWTH"), (21, "1"), (55, "XOM"), (54, "1"), (60, now())]
    return [*fields, (38, "100"), (40, "1"), (59, "0")]


def test_orders_the_engine_took_but_the_gateway_never_stored_come_back_as_resends(demo, redis_server, tmp_path):
    # given an OMS session with one order handled
    call_command("fix_demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    port = free_port()
    log = open(tmp_path / "gateway.log", "w")  # noqa: SIM115
    gateway = start_fix_gateway(log, port=port, var_dir=tmp_path / "gw")
    peer, engine = peer_initiator(tmp_path, port, "OMS1")
    engine.start()
    seen: list = []
    try:
        assert peer.logged_on.wait(30), (tmp_path / "gateway.log").read_text()
        time.sleep(1.0)  # the logon's own resend exchange (the initiator's early attempts) is over
        peer.send("OMS1", "D", order_fields("CRASH-1"))
        until(peer, seen, lambda c, f: f.get(11) == "CRASH-1" and f.get(150) == "0")

        # when two more arrive while the database keeps the gateway from storing them, and the
        # gateway dies before it could (the engine has counted them received)
        with transaction.atomic():
            list(Account.objects.select_for_update().order_by("id"))  # SQLite: the write lock itself
            peer.send("OMS1", "D", order_fields("CRASH-2"))
            peer.send("OMS1", "D", order_fields("CRASH-3"))
            time.sleep(1.0)
            gateway.kill()
            gateway.wait()
        assert not Order.objects.filter(client_order_id__in=["CRASH-2", "CRASH-3"]).exists()
        gateway = start_fix_gateway(log, port=port, var_dir=tmp_path / "gw")

        # then the restarted gateway asks for them again, and each becomes one order, acknowledged
        for cl_ord_id in ("CRASH-2", "CRASH-3"):
            until(peer, seen, lambda c, f, cl_ord_id=cl_ord_id: f.get(11) == cl_ord_id and f.get(150) == "0")
    finally:
        engine.stop()
        stop([gateway])
        log.close()
    assert "received but not handled; the client is asked to resend them" in (tmp_path / "gateway.log").read_text()
    for cl_ord_id in ("CRASH-1", "CRASH-2", "CRASH-3"):
        assert Order.objects.filter(client_order_id=cl_ord_id).count() == 1
        assert FixMessage.objects.filter(direction="IN", cl_ord_id=cl_ord_id).count() == 1
    acks = [dict(f)[11] for _, f in seen if dict(f).get(150) == "0"]
    assert sorted(acks) == ["CRASH-1", "CRASH-2", "CRASH-3"]
    assert FixSession.objects.get(name="OMS1").inbound_seq > 0
