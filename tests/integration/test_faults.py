"""Workers SIGKILLed again and again and Redis restarted while parents execute and orders
keep arriving: no accepted order lost, no fill doubled, every parent finishes and reconciles."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from bench.faults import fault_scenario
from tests.integration.test_crash_safety import FAST_REDELIVERY, assert_reconciled
from tests.processes import start_worker, stop

pytestmark = pytest.mark.django_db(transaction=True)


def test_repeated_worker_kills_and_a_redis_restart_lose_no_order_and_double_no_fill(demo, redis_server, restart_redis):
    log = open(Path(settings.VAR_DIR) / "faults.log", "w")  # noqa: SIM115
    try:
        figures = fault_scenario(
            # steps hold their transaction open a moment, so kills land in the middle of one
            start_worker=lambda name: start_worker(
                log, name=name, SMARTTRADING_FAULT_STEP_DELAY_S="0.1", **FAST_REDELIVERY
            ),
            stop_workers=stop,
            restart_redis=restart_redis,
            worker_kills=4,
        )
    finally:
        log.close()
        redis_server.flushdb()

    assert figures["fault_worker_kills"] == 4
    assert figures["fault_redis_restarts"] == (0 if restart_redis is None else 1)
    assert figures["fault_accepted_orders"] == figures["fault_orders"] == 90
    assert figures["fault_fills"] > 0
    assert (figures["fault_parents_unfinished"], figures["fault_lost_orders"], figures["fault_duplicate_fills"]) == (
        0,
        0,
        0,
    )
    assert_reconciled()
