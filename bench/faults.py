"""Faults with real processes: workers SIGKILLed one after another and Redis restarted
while execution steps run and orders keep arriving. Afterwards no accepted order may be
lost and no fill written twice; every parent must finish and reconcile.

Used by the fault test (tests/integration/test_faults.py) and by ``make bench``
(``fault_worker_kills``, ``fault_redis_restarts``, ``fault_lost_orders``,
``fault_duplicate_fills``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

DONE = ("FILLED", "CANCELLED", "EXPIRED")
ORDER_DONE = ("FILLED", "CANCELLED", "EXPIRED", "REJECTED")
SYMBOLS = ("XOM", "AAPL", "MSFT")


def _submit_orders(batch: int) -> int:
    """Ten small orders per instrument from two traders' accounts, both sides."""
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    accounts = [("trader1", "T1-GROWTH"), ("trader1", "T1-INCOME"), ("trader2", "T2-MACRO")]
    users = {u.username: u for u in User.objects.filter(username__in=["trader1", "trader2"])}
    count = 0
    for symbol in SYMBOLS:
        for k in range(10):
            username, account = accounts[k % 3]
            order_create(
                submitted_by=users[username],
                account=account,
                instrument=symbol,
                side="BUY" if k % 4 else "SELL",
                quantity=100 * (3 + k),
                client_order_id=f"FAULT-{batch}-{symbol}-{k}",
                source=Source.API,
                urgency="HIGH",
            )
            count += 1
    aggregation_window_run(actor="faults")
    return count


def fault_scenario(
    *,
    start_worker: Callable[[str], subprocess.Popen],
    stop_workers: Callable[[list[subprocess.Popen]], None],
    restart_redis: Callable[[], None] | None,
    worker_kills: int = 6,
    order_batches: int = 3,
    timeout_s: float = 300.0,
    progress: Callable[[str], None] = lambda line: None,
) -> dict:
    """Run the scenario and return its figures; the caller checks them and reconciles."""
    from django.db.models import Count, Sum

    from orders.models import Allocation, Order, ParentOrder
    from routing.models import ChildOrder, Fill
    from routing.services.sessions import sessions_watchdog

    submitted = _submit_orders(0)
    workers = [start_worker("fault-a"), start_worker("fault-b")]
    kills = restarts = 0
    batches = 1
    next_fault = time.monotonic() + 3.0
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if time.monotonic() >= next_fault:
                if restart_redis is not None and restarts == 0 and kills == worker_kills // 2:
                    restart_redis()  # every queued and unacknowledged message is gone with it
                    restarts += 1
                    progress(f"redis restarted after {kills} worker kills")
                elif kills < worker_kills:
                    victim = workers.pop(0)
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.wait()
                    kills += 1
                    workers.append(start_worker(f"fault-{kills}"))
                    progress(f"worker kill {kills}/{worker_kills}")
                if batches < order_batches:  # orders keep arriving between the faults
                    submitted += _submit_orders(batches)
                    batches += 1
                next_fault = time.monotonic() + 3.0
            sessions_watchdog()  # what beat runs every 15 s: revives sessions whose step was lost
            faults_over = kills >= worker_kills and (restart_redis is None or restarts)
            if faults_over and batches >= order_batches and not ParentOrder.objects.exclude(status__in=DONE).exists():
                break
            time.sleep(1.0)
    finally:
        stop_workers(workers)

    accepted = Order.objects.exclude(status="REJECTED")
    allocated = dict(Allocation.objects.values("order").annotate(q=Sum("quantity")).values_list("order", "q"))
    lost = sum(
        1
        for order_id, status, filled in accepted.values_list("id", "status", "filled_quantity")
        if status not in ORDER_DONE or allocated.get(order_id, 0) != filled
    )
    # A fill written twice shows as a repeated (session, step, seq) or as a child whose fills
    # exceed what it asked for or disagree with its own filled quantity.
    duplicate_fills = sum(
        n - 1
        for n in Fill.objects.values("session", "step_no", "seq")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("n", flat=True)
    ) + sum(
        1
        for quantity, filled, fills in ChildOrder.objects.annotate(fill_total=Sum("fills__quantity")).values_list(
            "quantity", "filled_quantity", "fill_total"
        )
        if (fills or 0) > quantity or (fills or 0) != filled
    )
    return {
        "fault_worker_kills": kills,
        "fault_redis_restarts": restarts,
        "fault_orders": submitted,
        "fault_accepted_orders": accepted.count(),
        "fault_fills": Fill.objects.count(),
        "fault_parents_unfinished": ParentOrder.objects.exclude(status__in=DONE).count(),
        "fault_lost_orders": lost,
        "fault_duplicate_fills": duplicate_fills,
    }


def fault_benchmarks() -> dict:
    """The scenario on the bench stack: six worker kills and one Redis restart."""
    from bench.size import invariant, sized
    from bench.stack import VAR_DIR, django_stack, restart_redis, start_worker, stop_processes

    django_stack()
    log = open(VAR_DIR / "faults.log", "w")  # noqa: SIM115
    fast_redelivery = {
        "SMARTTRADING_FAULT_STEP_DELAY_S": sized("0.2", "0.05"),  # a kill lands mid-step
        "SMARTTRADING_VISIBILITY_TIMEOUT": "3",
        "SMARTTRADING_UNACKED_RESTORE_INTERVAL": "1",
    }
    try:
        figures = fault_scenario(
            start_worker=lambda name: start_worker(name, log, **fast_redelivery),
            stop_workers=stop_processes,
            restart_redis=restart_redis,
            worker_kills=sized(6, 2),
            order_batches=sized(3, 2),
            progress=lambda line: print(f"  faults: {line}", flush=True),
        )
    finally:
        log.close()
    for figure in ("fault_lost_orders", "fault_duplicate_fills", "fault_parents_unfinished"):
        invariant(figures[figure] == 0, f"{figure} is {figures[figure]}")
    return figures
