"""Execution sessions stepped by real Celery worker processes on one Redis and one database.

``session_steps_per_s``: one instrument with three working parents, one worker.
``session_steps_per_s_2_workers``: eight instruments, two workers; the same eight with
one worker is measured too, for the ratio. Each run reconciles: every parent finished, its
fills allocated share for share. A step is one committed ``session_advance``.
"""

from __future__ import annotations

import time
from decimal import Decimal

from bench.size import invariant, sized
from bench.stack import VAR_DIR, django_stack, start_worker

LIVE = ("NEW", "WORKING", "PAUSED")


def _instruments(count: int, tag: str):
    from orders.models import Instrument

    return [
        Instrument.objects.create(
            symbol=f"{tag}{i}",
            name=f"Bench {tag}{i}",
            tick_size=Decimal("0.01"),
            lot_size=1,
            reference_price=Decimal("100.00"),
        )
        for i in range(count)
    ]


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

    chosen = _instruments(instruments, tag)
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
    }
