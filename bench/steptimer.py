"""Loaded into a benchmark's Celery workers (``celery worker --include bench.steptimer``): the
wall time of every execution step a worker runs, as the worker ran it (the lock, the market,
the engine, every write and the commit), and how late it started against the time its
message was due (its countdown's ETA; 0 for one sent to run at once), one line per step in
``$BENCH_STEP_TIMES.<pid>``: session, step, wall time it ended, milliseconds, ms late.

The product measures nothing of the kind itself; the benchmark reads these lines for its
step latency percentiles.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from celery.signals import task_postrun, task_prerun

STEP_TASK = "routing.tasks.session_step"
_began: dict[str, tuple[int, float]] = {}
_out = open(f"{os.environ['BENCH_STEP_TIMES']}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115


@task_prerun.connect
def _step_began(task_id, task, **_) -> None:
    if task.name == STEP_TASK:
        eta = task.request.eta
        if isinstance(eta, str):
            eta = datetime.fromisoformat(eta)
        late_ms = 0.0 if eta is None else 1e3 * (time.time() - eta.timestamp())
        _began[task_id] = (time.perf_counter_ns(), late_ms)


@task_postrun.connect
def _step_ended(task_id, task, args, **_) -> None:
    began = _began.pop(task_id, None)
    if began is not None:
        elapsed_ms = (time.perf_counter_ns() - began[0]) / 1e6
        _out.write(f"{args[0]} {args[1]} {time.time():.3f} {elapsed_ms:.3f} {began[1]:.1f}\n")
