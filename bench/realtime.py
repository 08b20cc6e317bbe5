"""How many instruments this machine keeps on the exchange clock, each with a working parent.

``realtime_instruments_capacity``: the largest number of instruments, each working one
TWAP parent, that two worker processes keep on schedule at ``BENCH_REALTIME_SPEED`` (1 by
default: simulated time runs as fast as the wall's) over ``BENCH_REALTIME_WINDOW_S`` wall
seconds after a warm-up. On schedule means no session more than one step behind: a session
steps when the clock reaches the end of its next step, so on time its simulated time is at
most one step short of the clock's; ``max_lag_steps`` above 2 means it fell behind.
``realtime_curve`` is the table: per count, the worst and the 99th-percentile lag in steps,
the steps the workers committed per wall second, and (bench/steptimer.py) how long a step
took and how late it started against its due time.
"""

from __future__ import annotations

import os
import statistics
import time

from bench.size import invariant, sized
from bench.stack import VAR_DIR, bench_instruments, django_stack, start_worker, step_times, stop_processes

ON_SCHEDULE_LAG_STEPS = 2.0


def _working_parents(count: int, tag: str) -> list:
    """``count`` new instruments, each with one long TWAP parent aggregated and woken."""
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    trader = User.objects.get(username="trader1")
    instruments = bench_instruments(count, tag)
    for instrument in instruments:
        order_create(
            submitted_by=trader,
            account="T1-GROWTH",
            instrument=instrument.symbol,
            side="BUY",
            quantity=50_000,
            client_order_id=f"{tag}-{instrument.symbol}",
            source=Source.API,
            urgency="LOW",
            strategy="TWAP",
        )
    parents = aggregation_window_run(actor="bench")
    invariant(len(parents) == count, f"{tag}: one parent per instrument")
    return instruments


def _lag_steps(instruments, step_ns: int) -> list[float]:
    """Each session's simulated time short of the exchange clock's, in steps."""
    from routing.models import MarketSession
    from routing.services.clock import exchange_clock, wall_now_ns

    trading_date, clock_ns = exchange_clock().now(wall_now_ns())
    rows = MarketSession.objects.filter(instrument__in=instruments).values_list("trading_date", "sim_time_ns")
    return [(clock_ns - ns) / step_ns if day == trading_date else 0.0 for day, ns in rows]


def _keep_up(count: int, speed: float, window_s: float, warm_up_s: float) -> dict:
    from django.conf import settings

    from orders.models import ParentOrder
    from routing.models import MarketSession
    from routing.services.clock import exchange_open

    tag = f"RT{count}X"
    exchange_open()  # a fresh day at the open, now, on this run's clock
    instruments = _working_parents(count, tag)
    step_ns = settings.SIM_STEP_SECONDS * 1_000_000_000
    log = open(VAR_DIR / f"realtime-{count}.log", "w")  # noqa: SIM115
    times = f"steps-{tag}"
    env = {
        "SMARTTRADING_SIM_SPEED": str(speed),
        "SMARTTRADING_SIM_STEP_SECONDS": str(settings.SIM_STEP_SECONDS),
        "BENCH_STEP_TIMES": str(VAR_DIR / times),
    }
    workers = [start_worker(f"{tag}w{i}", log, include="bench.steptimer", **env) for i in range(2)]
    try:
        time.sleep(warm_up_s)
        steps_before = sum(MarketSession.objects.filter(instrument__in=instruments).values_list("step_no", flat=True))
        lags: list[float] = []
        began, since = time.monotonic(), time.time()
        while time.monotonic() - began < window_s:
            lags.extend(_lag_steps(instruments, step_ns))
            time.sleep(0.5)
        steps = sum(MarketSession.objects.filter(instrument__in=instruments).values_list("step_no", flat=True))
        elapsed, until = time.monotonic() - began, time.time()
        session_ids = set(MarketSession.objects.filter(instrument__in=instruments).values_list("pk", flat=True))
        timed = step_times(times, session_ids, since, until)
    finally:
        stop_processes(workers)
        log.close()
        # this count's markets stop: the next count has the workers to itself
        MarketSession.objects.filter(instrument__in=instruments).update(status=MarketSession.Status.CLOSED)
        ParentOrder.objects.filter(instrument__in=instruments).update(status="CANCELLED")
    invariant(steps > steps_before and timed, f"{count} instruments: the workers stepped the sessions")
    lags.sort()
    durations, late = sorted(ms for ms, _ in timed), sorted(late for _, late in timed)
    return {
        "instruments": count,
        "max_lag_steps": round(lags[-1], 2),
        "p99_lag_steps": round(lags[int(0.99 * (len(lags) - 1))], 2),
        "median_lag_steps": round(statistics.median(lags), 2),
        "steps_per_s": round((steps - steps_before) / elapsed, 1),
        "needed_steps_per_s": round(count * speed / settings.SIM_STEP_SECONDS, 1),
        "step_p50_ms": round(statistics.median(durations), 1),
        "step_p99_ms": round(_p99(durations), 1),
        "start_late_p50_ms": round(statistics.median(late), 1),
        "start_late_p99_ms": round(_p99(late), 1),
        "start_late_max_ms": round(late[-1], 1),
    }


def _p99(ordered: list[float]) -> float:
    return ordered[int(0.99 * (len(ordered) - 1))]


def realtime_benchmarks() -> dict:
    database = django_stack()
    from django.conf import settings

    speed = float(os.environ.get("BENCH_REALTIME_SPEED", "1"))
    settings.SIM_SPEED = speed  # this process reads the same clock the workers pace by
    # and the same steps they take: the product's default at this speed unless one is set
    settings.SIM_STEP_SECONDS = int(os.environ.get("SMARTTRADING_SIM_STEP_SECONDS", max(5, round(speed / 2))))
    window_s = float(os.environ.get("BENCH_REALTIME_WINDOW_S", sized(60, 8)))
    counts = sized((25, 50, 100, 200, 400), (2,))
    curve, capacity = [], 0
    for count in counts:
        point = _keep_up(count, speed, window_s, warm_up_s=sized(20, 6))  # the workers start, the first steps run
        curve.append(point)
        print(f"  {count} instruments: {point}", flush=True)
        if point["max_lag_steps"] > ON_SCHEDULE_LAG_STEPS:
            break
        capacity = count
    return {
        "realtime_database": database,
        "realtime_speed": speed,
        "realtime_instruments_capacity": capacity,
        "realtime_curve": curve,
    }
