"""Crash safety and scale-out with real worker processes on one Redis and one database."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Sum

from orders.models import Allocation, AuditEvent, Order, ParentOrder, ParentStatus, Source
from orders.services.intake import order_create
from routing.models import ChildOrder, Fill, MarketBar, MarketSession
from routing.services.aggregation import aggregation_window_run
from tests.processes import start_worker, stop

pytestmark = pytest.mark.django_db(transaction=True)

FAST_REDELIVERY = {
    "SMARTTRADING_SIM_SPEED": "0",
    "SMARTTRADING_VISIBILITY_TIMEOUT": "3",
    "SMARTTRADING_UNACKED_RESTORE_INTERVAL": "1",
}
DONE = (ParentStatus.FILLED, ParentStatus.EXPIRED, ParentStatus.CANCELLED)


def make_parents(symbols, quantity=6_000):
    trader = User.objects.get(username="trader1")
    for i, symbol in enumerate(symbols):
        order_create(
            submitted_by=trader,
            account="T1-GROWTH",
            instrument=symbol,
            side="BUY" if i % 2 else "SELL",
            quantity=quantity,
            client_order_id=f"CRASH-{symbol}",
            source=Source.API,
            urgency="HIGH",
        )
    return aggregation_window_run(actor="test")


def wait_until(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def all_done() -> bool:
    return not ParentOrder.objects.exclude(status__in=DONE).exists()


def assert_reconciled() -> None:
    for parent in ParentOrder.objects.all():
        fills = Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
        children = ChildOrder.objects.filter(parent=parent).aggregate(q=Sum("filled_quantity"))["q"] or 0
        allocated = Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
        on_orders = parent.orders.aggregate(q=Sum("filled_quantity"))["q"] or 0
        assert parent.filled_quantity == fills + parent.crossed_quantity == allocated == on_orders
        assert children == fills
    # every step of every session is written exactly once, with no gap: one bar per simulated second
    seconds = settings.SIM_STEP_SECONDS
    for session in MarketSession.objects.all():
        steps = sorted(MarketBar.objects.filter(session=session).values_list("step_no", flat=True))
        assert steps == [step for step in range(session.step_no) for _ in range(seconds)]
    assert not Fill.objects.values("session", "step_no", "seq").annotate(n=Count("id")).filter(n__gt=1).exists()


def fills_signature() -> list[tuple]:
    return list(
        Fill.objects.order_by("session__instrument__symbol", "step_no", "seq").values_list(
            "session__instrument__symbol", "step_no", "seq", "venue", "quantity", "price", "liquidity"
        )
    )


def test_a_worker_killed_mid_step_loses_no_fill_and_writes_none_twice(demo, redis_server):
    (parent,) = make_parents(["XOM"])
    marker = Path(settings.VAR_DIR) / "step-in-flight"
    marker.unlink(missing_ok=True)
    log = open(Path(settings.VAR_DIR) / "crash-test.log", "w")  # noqa: SIM115
    # given a worker whose steps hold their transaction open for a moment before committing
    doomed = start_worker(log, name="doomed", SMARTTRADING_FAULT_STEP_DELAY_S="0.5", **FAST_REDELIVERY)
    survivor = None
    try:
        wait_until(lambda: MarketSession.objects.filter(step_no__gte=3).exists(), 60, "three committed steps")
        in_flight = wait_until(
            lambda: marker.exists() and int(marker.read_text().split()[1]) >= 3 and marker.read_text(), 30, "a step"
        )
        step = int(in_flight.split()[1])
        # when it is killed in the middle of that step
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        session = MarketSession.objects.get()
        assert session.step_no == step  # the step's writes died with its transaction
        assert not MarketBar.objects.filter(session=session, step_no=step).exists()
        # then another worker replays it from the checkpoint and the parent completes
        # The killed worker never acknowledged the step's message (acks_late), so the broker
        # hands it to another worker once its visibility timeout has passed.
        survivor = start_worker(log, name="survivor", **FAST_REDELIVERY)
        wait_until(lambda: MarketSession.objects.get().step_no > step, 60, "the killed step to be replayed")
        wait_until(all_done, 120, "the parent to finish")
    finally:
        stop([p for p in (doomed, survivor) if p is not None])
        log.close()
        redis_server.flushdb()
    parent.refresh_from_db()
    assert parent.status == ParentStatus.FILLED
    assert MarketBar.objects.filter(step_no=step).count() == settings.SIM_STEP_SECONDS  # written once
    assert AuditEvent.objects.filter(kind="child.filled").count() == Fill.objects.count()
    assert_reconciled()


def run_with_workers(count: int, redis_server) -> list[tuple]:
    """Each worker as a host of its own: its own SMARTTRADING_VAR_DIR, the one Redis and database."""
    make_parents(["XOM", "AAPL", "MSFT"], quantity=4_000)
    log = open(Path(settings.VAR_DIR) / f"scale-{count}.log", "w")  # noqa: SIM115
    hosts = [Path(settings.VAR_DIR) / f"host-{count}-{i}" for i in range(count)]
    for host in hosts:
        host.mkdir(exist_ok=True)
    workers = [
        start_worker(log, name=f"w{i}", SMARTTRADING_SIM_SPEED="0", SMARTTRADING_VAR_DIR=str(host))
        for i, host in enumerate(hosts)
    ]
    try:
        wait_until(all_done, 180, "every parent to finish")
    finally:
        stop(workers)
        log.close()
        redis_server.flushdb()
    assert_reconciled()
    return fills_signature()


def reset_execution_tables() -> None:
    Allocation.objects.all().delete()
    Fill.objects.all().delete()
    ChildOrder.objects.all().delete()
    MarketBar.objects.all().delete()
    AuditEvent.objects.all().delete()
    Order.objects.all().delete()
    ParentOrder.objects.all().delete()
    MarketSession.objects.all().delete()


def test_two_workers_share_sessions_and_get_what_one_worker_gets(demo, redis_server):
    """Scale-out is plain Celery: two worker "hosts" (separate var directories) on one Redis and
    one database step the same sessions and give exactly what one worker gives."""
    single = run_with_workers(1, redis_server)
    reset_execution_tables()
    double = run_with_workers(2, redis_server)
    assert single and double == single
