"""Execution sessions stepped by real Celery worker processes on one Redis and one database.

``session_steps_per_s``: one instrument with three working parents, one worker.
``session_steps_per_s_2_workers``: eight instruments, two workers; the same eight with
one worker is measured too, for the ratio. Each run reconciles: every parent finished, its
fills allocated share for share. A step is one committed ``session_advance``.

``session_curve``: steps per second and step latency (p50, p99, as the worker ran the step,
commit included; bench/steptimer.py) against the number of live instruments (1, 10, 50, 200)
and of working parents on each (1, 10, 100), with one worker and then two, over a fixed wall
window while every parent still works (day-long TWAPs, each instrument's with its own end).
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

from bench.size import invariant, sized
from bench.stack import (
    VAR_DIR,
    bench_instruments,
    django_stack,
    risk_limits_for_bench,
    start_worker,
    step_times,
    stop_processes,
)

LIVE = ("NEW", "WORKING", "PAUSED")
CURVE_INSTRUMENTS = sized((1, 10, 50, 200), (2,))
CURVE_PARENTS = sized((1, 10, 100), (1,))
CURVE_WARM_UP_S = sized(6, 3)  # at least: the worker starts, its first steps run
CURVE_WARM_UP_CAP_S = sized(300, 60)  # at most, waiting for every session's second step
CURVE_WINDOW_S = sized(12, 3)


def _parents(instruments, per_instrument: int, tag: str) -> list[int]:
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    trader = User.objects.get(username="trader1")
    for instrument in instruments:
        for k in range(per_instrument):
            order_create(
                submitted_by=trader,
                account="T1-GROWTH",
                instrument=instrument.symbol,
                side=("BUY", "SELL")[k % 2],
                quantity=20_000 + 1_000 * k,
                client_order_id=f"{tag}-{instrument.symbol}-{k}",
                source=Source.API,
                urgency="HIGH",
                limit_price=Decimal("100.00") + Decimal(k) / 100 if k == 2 else None,
            )
    return [p.pk for p in aggregation_window_run(actor="bench")]


def _run(workers: int, instruments: int, parents_per_instrument: int, tag: str) -> tuple[float, int]:
    from orders.models import ParentOrder
    from routing.models import MarketSession

    chosen = bench_instruments(instruments, tag)
    ids = _parents(chosen, parents_per_instrument, tag)
    log = open(VAR_DIR / f"sessions-{tag}.log", "w")  # noqa: SIM115
    processes = [start_worker(f"{tag}{i}", log) for i in range(workers)]
    began = time.perf_counter()
    try:
        while ParentOrder.objects.filter(pk__in=ids, status__in=LIVE).exists():
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)
        log.close()
    steps = sum(MarketSession.objects.filter(instrument__in=chosen).values_list("step_no", flat=True))
    invariant(steps > 0, f"{tag}: the workers stepped the sessions")
    _reconciled(ids)
    return elapsed, steps


def _reconciled(parent_ids: list[int]) -> None:
    """Every parent finished and balanced: child fills plus crosses = allocations = orders' filled."""
    from orders.models import ParentOrder
    from routing.selectors import parent_reconciliation

    for parent in ParentOrder.objects.filter(pk__in=parent_ids):
        invariant(parent.status not in LIVE, f"parent {parent.pk} finished ({parent.status})")
        figures = parent_reconciliation(parent)
        invariant(figures["balanced"], f"parent {parent.pk} reconciles: {figures}")


def _working_grid(instruments: int, per_instrument: int, tag: str) -> list:
    """``instruments`` new instruments with ``per_instrument`` working TWAP buys each, told
    apart by their end times (one parent per order: none tops up another)."""
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import orders_submit
    from routing.services.aggregation import aggregation_window_run

    chosen = bench_instruments(instruments, tag)
    rows = [
        {
            "client_order_id": f"{tag}-{i.symbol}-{k}",
            "account": "T1-GROWTH",
            "instrument": i.symbol,
            "side": "BUY",
            "quantity": 20_000,
            "strategy": "TWAP",
            "urgency": "LOW",
            "end_time": f"{15 - k // 60:02d}:{59 - k % 60:02d}",
        }
        for i in chosen
        for k in range(per_instrument)
    ]
    submission = orders_submit(
        submitted_by=User.objects.get(username="trader1"), rows=rows, source=Source.API, all_or_nothing=True
    )
    invariant(not submission.problems, f"{tag}: every order accepted ({submission.problems[:3]})")
    parents = aggregation_window_run(actor="bench")
    invariant(len(parents) == len(rows), f"{tag}: one parent per order")
    return chosen


def _steps_committed(instruments) -> int:
    from routing.models import MarketSession

    return sum(MarketSession.objects.filter(instrument__in=instruments).values_list("step_no", flat=True))


def _warmed_up(instruments) -> float:
    """Wait until every session has run its parents' first step (they start there, at a cost
    no later step has) and one more, so the window measures steady steps; the seconds waited."""
    from django.db.models import Min

    from routing.models import MarketSession

    began = time.monotonic()
    time.sleep(CURVE_WARM_UP_S)
    sessions = MarketSession.objects.filter(instrument__in=instruments)
    while (sessions.aggregate(first=Min("step_no"))["first"] or 0) < 2:
        if time.monotonic() - began > CURVE_WARM_UP_CAP_S:
            break
        time.sleep(0.2)
    return round(time.monotonic() - began, 1)


def _curve_point(instruments: int, per_instrument: int) -> list[dict]:
    """One grid point, measured with one worker and then with a second one beside it."""
    from orders.models import ParentOrder
    from routing.models import MarketSession

    tag = f"C{instruments}X{per_instrument}X"
    chosen = _working_grid(instruments, per_instrument, tag)
    times = f"steps-{tag}"
    log = open(VAR_DIR / f"curve-{tag}.log", "w")  # noqa: SIM115
    env = {"BENCH_STEP_TIMES": str(VAR_DIR / times)}
    workers, points = [], []
    try:
        for count in (1, 2):
            workers.append(start_worker(f"{tag}w{count}", log, include="bench.steptimer", **env))
            warm_up_s = _warmed_up(chosen)
            before, since = _steps_committed(chosen), time.time()
            time.sleep(CURVE_WINDOW_S)
            after, until = _steps_committed(chosen), time.time()
            session_ids = set(MarketSession.objects.filter(instrument__in=chosen).values_list("pk", flat=True))
            latencies = sorted(ms for ms, _ in step_times(times, session_ids, since, until))
            invariant(after > before and latencies, f"{tag}: {count} worker(s) stepped the sessions")
            still = ParentOrder.objects.filter(instrument__in=chosen, status__in=LIVE).count()
            invariant(still == instruments * per_instrument, f"{tag}: every parent worked the whole window")
            points.append(
                {
                    "instruments": instruments,
                    "parents_per_instrument": per_instrument,
                    "workers": count,
                    "steps_per_s": round((after - before) / (until - since), 1),
                    "step_p50_ms": round(statistics.median(latencies), 1),
                    "step_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
                    "steps_timed": len(latencies),
                    "warm_up_s": warm_up_s,
                }
            )
            print(f"  {points[-1]}", flush=True)
    finally:
        stop_processes(workers)
        log.close()
        # this point's markets stop: the next point has the workers to itself
        MarketSession.objects.filter(instrument__in=chosen).update(status=MarketSession.Status.CLOSED)
        ParentOrder.objects.filter(instrument__in=chosen).update(status="CANCELLED")
    return points


def session_curve() -> list[dict]:
    from django.conf import settings

    # The grid's 20,000 day-long orders are the benchmark's load, not a desk's risk question.
    risk_limits_for_bench(
        ["T1-GROWTH"],
        **{**settings.RISK_DEFAULTS, "daily_gross_notional": Decimal("1e12"), "max_orders_per_minute": 1_000_000},
    )
    return [point for n in CURVE_INSTRUMENTS for p in CURVE_PARENTS for point in _curve_point(n, p)]


def session_benchmarks() -> dict:
    database = django_stack()
    many = sized(8, 2)
    one_elapsed, one_steps = _run(1, 1, sized(3, 1), "ONE")
    single_elapsed, single_steps = _run(1, many, 1, "MANYA")
    double_elapsed, double_steps = _run(2, many, 1, "MANYB")
    return {
        "session_database": database,
        "session_steps_per_s": round(one_steps / one_elapsed, 1),
        "session_instruments": many,
        "session_steps_per_s_1_worker": round(single_steps / single_elapsed, 1),
        "session_steps_per_s_2_workers": round(double_steps / double_elapsed, 1),
        "session_2_worker_speedup": round((double_steps / double_elapsed) / (single_steps / single_elapsed), 2),
        "session_curve": session_curve(),
    }
