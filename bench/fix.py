"""FIX intake: NewOrderSingle messages over one OMS session, sent as fast as the initiator can,
against the gateway process on the bench database.

``fix_orders_per_s``: a burst of orders accepted and acknowledged (New execution report
received) per second, from the first send to the last acknowledgement;
``fix_ack_p50_ms``/``fix_ack_p99_ms``: from a message's send to its New report's receipt, at
a steady 100 orders a second (the burst's own latency, mostly queueing, is
``fix_burst_ack_p99_ms``).
"""

from __future__ import annotations

import os
import queue
import statistics
import time
from datetime import UTC, datetime

from bench.size import invariant, sized
from bench.stack import VAR_DIR, django_stack, free_port, risk_limits_for_bench, start_fix_gateway, stop_processes

ORDERS = sized(5_000, 200)
PACED, PACED_PER_S = sized(1_000, 100), 100


def fix_benchmarks() -> dict:
    django_stack()
    from django.conf import settings
    from django.core.management import call_command

    from bench.fixpeer import peer_initiator
    from orders.models import Order

    call_command("fix_demo_setup", stdout=open(os.devnull, "w"))  # noqa: SIM115
    risk_limits_for_bench(["T1-GROWTH", "T1-INCOME"], **{**settings.RISK_DEFAULTS, "max_orders_per_minute": 1_000_000})
    port = free_port()
    log = open(VAR_DIR / "fix-gateway.log", "w")  # noqa: SIM115
    gateway = start_fix_gateway(log, port=port, var_dir=VAR_DIR / "gateway")
    peer, initiator = peer_initiator(VAR_DIR, port, "OMS1")
    initiator.start()
    sent_at: dict[str, float] = {}
    try:
        invariant(peer.logged_on.wait(60), "the OMS session logs on")
        began = time.perf_counter()
        for n in range(ORDERS):  # a burst: as fast as the initiator sends
            _send_order(peer, f"BURST-{n}", n, sent_at)
        burst = _acknowledged(peer, sent_at, ORDERS)
        elapsed = time.perf_counter() - began
        sent_at.clear()
        for n in range(PACED):  # then at a steady PACED_PER_S: each order's own latency, no queue
            _send_order(peer, f"PACED-{n}", n, sent_at)
            time.sleep(1 / PACED_PER_S)
        latencies = _acknowledged(peer, sent_at, PACED)
    finally:
        initiator.stop()
        stop_processes([gateway])
        log.close()
    acknowledged = len(burst) + len(latencies)
    total = ORDERS + PACED
    invariant(acknowledged == total, f"every order acknowledged ({acknowledged:,} of {total:,})")
    invariant(Order.objects.filter(source="FIX").count() == total, "one order per NewOrderSingle")
    latencies.sort()
    return {
        "fix_orders": ORDERS,
        "fix_orders_per_s": round(ORDERS / elapsed),
        "fix_burst_ack_p99_ms": round(sorted(burst)[int(0.99 * (len(burst) - 1))] * 1000, 1),
        "fix_paced_orders_per_s": PACED_PER_S,
        "fix_ack_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "fix_ack_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1),
    }


def _send_order(peer, cl_ord_id: str, n: int, sent_at: dict) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
    fields = [(11, cl_ord_id), (1, ("T1-GROWTH", "T1-INCOME")[n % 2]), (21, "1"), (55, "XOM")]
    fields += [(54, "1" if n % 2 else "2"), (60, stamp), (38, "100"), (40, "1"), (59, "0")]
    sent_at[cl_ord_id] = time.perf_counter()
    peer.send("OMS1", "D", fields)


def _acknowledged(peer, sent_at: dict, count: int) -> list[float]:
    """Seconds from send to New report, for ``count`` orders (fewer if they never come)."""
    latencies: list[float] = []
    deadline = time.monotonic() + 600
    while len(latencies) < count and time.monotonic() < deadline:
        try:
            _, fields = peer.received.get(timeout=1.0)
        except queue.Empty:
            continue
        report = dict(fields)
        if report.get(35) == "8" and report.get(150) == "0" and report.get(11) in sent_at:
            latencies.append(peer.arrived[(report[11], "0")] - sent_at[report[11]])
    return latencies
