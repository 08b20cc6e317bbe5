"""Faults with real processes: workers SIGKILLed one after another, Redis restarted, the web
process and the reports worker SIGKILLed, while execution steps run and orders keep arriving
(through the web server, retried as a client would, when it is part of the scenario).
Afterwards no accepted order may be lost, none doubled, no fill written twice; every parent
must finish and reconcile, and every TCA job end.

Used by the fault test (tests/integration/test_faults.py) and by ``make bench``
(``fault_worker_kills``, ``fault_redis_restarts``, ``fault_web_kills``, ``fault_reports_kills``,
``fault_lost_orders``, ``fault_duplicate_fills``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

DONE = ("FILLED", "CANCELLED", "EXPIRED")
ORDER_DONE = ("FILLED", "CANCELLED", "EXPIRED", "REJECTED")
SYMBOLS = ("XOM", "AAPL", "MSFT")
ACCOUNTS = (("trader1", "T1-GROWTH"), ("trader1", "T1-INCOME"), ("trader2", "T2-MACRO"))
FAULT_EVERY_S = 3.0
RETRY_FOR_S = 120.0  # a client retries a refused or unanswered request this long


@dataclass(frozen=True)
class Web:
    """The web server of the scenario: ``start()`` runs it on ``base``'s port."""

    start: Callable[[], subprocess.Popen]
    base: str


def fault_schedule(*, worker_kills: int, redis_restarts: int, web_kills: int, reports_kills: int) -> list[str]:
    """Worker kills, with the other faults spread evenly among them."""
    schedule = ["worker"] * worker_kills
    for kind, count in (("redis", redis_restarts), ("web", web_kills), ("reports", reports_kills)):
        for i in range(count):
            schedule.insert((i + 1) * len(schedule) // (count + 1) + i, kind)
    return schedule


def _batch_orders(batch: int) -> list[tuple[str, dict]]:
    """Ten small orders per instrument from two traders' accounts, both sides: (username, order)."""
    orders = []
    for symbol in SYMBOLS:
        for k in range(10):
            username, account = ACCOUNTS[k % 3]
            order = {
                "client_order_id": f"FAULT-{batch}-{symbol}-{k}",
                "account": account,
                "instrument": symbol,
                "side": "BUY" if k % 4 else "SELL",
                "quantity": 100 * (3 + k),
                "urgency": "HIGH",
            }
            orders.append((username, order))
    return orders


def _submit_orders(batch: int) -> int:
    """One batch through the intake service, as the web would hand it over."""
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create

    users = {u.username: u for u in User.objects.filter(username__in=["trader1", "trader2"])}
    orders = _batch_orders(batch)
    for username, order in orders:
        order_create(submitted_by=users[username], source=Source.API, **order)
    return len(orders)


def _post_until_answered(url: str, key: str, body: list) -> tuple[dict, int]:
    """POST as a careful client does: a refused connection, a reset or a 5xx is retried with
    the same body (client_order_ids make a repeat safe). Returns the answer and the retries."""
    deadline = time.monotonic() + RETRY_FOR_S
    retries = 0
    while True:
        request = urllib.request.Request(
            url,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "Authorization": f"Token {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read()), retries
        except urllib.error.HTTPError as error:
            if error.code < 500 or time.monotonic() > deadline:
                raise
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
        retries += 1
        time.sleep(0.5)


def _submit_orders_http(base: str, keys: dict[str, str], batch: int) -> tuple[int, int]:
    """One batch through the web server's bulk API, a request per trader: (orders, retries)."""
    by_user: dict[str, list[dict]] = {}
    for username, order in _batch_orders(batch):
        by_user.setdefault(username, []).append(order)
    retries = 0
    for username, orders in by_user.items():
        answer, tries = _post_until_answered(f"{base}/api/v1/orders/bulk/", keys[username], orders)
        retries += tries
        if answer["invalid"]:
            raise AssertionError(f"batch {batch} of {username}: {answer}")
    return sum(len(orders) for orders in by_user.values()), retries


def _in_thread(work: Callable[[], int]) -> Callable[[], int]:
    """Start ``work`` in a thread; the returned call waits for its result."""
    from django.db import connection

    result: dict[str, int | BaseException] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as error:  # handed to the waiting caller
            result["value"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def wait() -> int:
        thread.join()
        if isinstance(result["value"], BaseException):
            raise result["value"]
        return result["value"]

    return wait


def fault_scenario(
    *,
    start_worker: Callable[[str], subprocess.Popen],
    stop_workers: Callable[[list[subprocess.Popen]], None],
    restart_redis: Callable[[], None] | None,
    worker_kills: int = 6,
    redis_restarts: int = 1,
    order_batches: int = 3,
    web: Web | None = None,
    web_kills: int = 0,
    start_reports: Callable[[], subprocess.Popen] | None = None,
    reports_kills: int = 0,
    job_stalled_after: timedelta = timedelta(seconds=5),
    timeout_s: float = 300.0,
    progress: Callable[[str], None] = lambda line: None,
) -> dict:
    """Run the scenario and return its figures; the caller checks them and reconciles."""
    from django.contrib.auth.models import User
    from django.db.models import Count, Sum

    from orders.models import Allocation, Order, ParentOrder
    from orders.services.tokens import api_token_issue
    from routing.models import ChildOrder, Fill
    from routing.services.aggregation import aggregation_window_run
    from routing.services.sessions import sessions_watchdog
    from tca.models import TcaJob
    from tca.selectors import TcaFilters
    from tca.services import desk_report_request, tca_jobs_watchdog

    schedule = fault_schedule(
        worker_kills=worker_kills,
        redis_restarts=redis_restarts if restart_redis is not None else 0,
        web_kills=web_kills if web is not None else 0,
        reports_kills=reports_kills if start_reports is not None else 0,
    )
    keys = {}
    if web is not None:
        for username in ("trader1", "trader2"):
            keys[username] = api_token_issue(user=User.objects.get(username=username), name="faults", actor="bench")[1]
    done_faults = {"worker": 0, "redis": 0, "web": 0, "reports": 0}
    http_retries = 0

    def submit(batch: int) -> int:
        nonlocal http_retries
        if web is None:
            count = _submit_orders(batch)
        else:
            count, retries = _submit_orders_http(web.base, keys, batch)
            http_retries += retries
        aggregation_window_run(actor="faults")
        return count

    workers = [start_worker("fault-a"), start_worker("fault-b")]
    web_process = web.start() if web is not None else None
    reports = start_reports() if start_reports is not None else None
    submitted = submit(0)
    batches = 1
    next_fault = time.monotonic() + FAULT_EVERY_S
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if time.monotonic() >= next_fault and schedule:
                kind = schedule.pop(0)
                if kind == "redis":
                    restart_redis()  # every queued and unacknowledged message is gone with it
                elif kind == "worker":
                    victim = workers.pop(0)
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.wait()
                    workers.append(start_worker(f"fault-{done_faults['worker'] + 1}"))
                elif kind == "web":  # killed with a batch of orders in flight: the client retries it
                    in_flight = _in_thread(lambda batch=batches: submit(batch))
                    time.sleep(0.03)  # its first request is on the wire, or about to be
                    os.kill(web_process.pid, signal.SIGKILL)
                    web_process.wait()
                    web_process = web.start()
                    submitted += in_flight()
                    batches += 1
                else:  # a desk report in hand when the reports worker dies
                    desk_report_request(user=User.objects.get(username="analyst1"), filters=TcaFilters())
                    time.sleep(0.3)
                    os.kill(reports.pid, signal.SIGKILL)
                    reports.wait()
                    reports = start_reports()
                done_faults[kind] += 1
                progress(f"{kind} fault {done_faults[kind]} ({len(schedule)} to go)")
                next_fault = time.monotonic() + FAULT_EVERY_S
            if batches < order_batches and (not schedule or time.monotonic() >= next_fault - FAULT_EVERY_S / 2):
                submitted += submit(batches)  # orders keep arriving between the faults
                batches += 1
            sessions_watchdog()  # what beat runs every 15 s: revives sessions whose step was lost
            if reports is not None:
                tca_jobs_watchdog(stalled_after=job_stalled_after)
            jobs_over = not TcaJob.objects.exclude(status__in=("DONE", "FAILED")).exists()
            parents_over = not ParentOrder.objects.exclude(status__in=DONE).exists()
            if not schedule and batches >= order_batches and parents_over and jobs_over:
                break
            time.sleep(1.0)
    finally:
        stop_workers([*workers, *(p for p in (web_process, reports) if p is not None)])

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
        "fault_worker_kills": done_faults["worker"],
        "fault_redis_restarts": done_faults["redis"],
        "fault_web_kills": done_faults["web"],
        "fault_reports_kills": done_faults["reports"],
        "fault_http_retries": http_retries,
        "fault_tca_jobs_unfinished": TcaJob.objects.exclude(status="DONE").count(),
        "fault_orders": submitted,
        "fault_accepted_orders": accepted.count(),
        "fault_fills": Fill.objects.count(),
        "fault_parents_unfinished": ParentOrder.objects.exclude(status__in=DONE).count(),
        "fault_lost_orders": lost,
        "fault_duplicate_fills": duplicate_fills,
    }


def fault_benchmarks() -> dict:
    """The scenario on the bench stack: 20 worker kills, 3 Redis restarts, 3 kills of the web
    process the orders come through and 2 of the reports worker, orders arriving throughout."""
    from django.conf import settings

    from bench.size import invariant, sized
    from bench.stack import (
        ROOT,
        VAR_DIR,
        django_stack,
        free_port,
        restart_redis,
        start_worker,
        stop_processes,
        wait_for_http,
        web_server_command,
    )

    django_stack()
    log = open(VAR_DIR / "faults.log", "w")  # noqa: SIM115
    fast_redelivery = {
        "SMARTTRADING_FAULT_STEP_DELAY_S": sized("0.2", "0.05"),  # a kill lands mid-step
        "SMARTTRADING_VISIBILITY_TIMEOUT": "3",
        "SMARTTRADING_UNACKED_RESTORE_INTERVAL": "1",
    }
    port = free_port()

    def start_web() -> subprocess.Popen:
        env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(web_server_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(f"http://127.0.0.1:{port}/accounts/login/")
        return process

    faults = {
        "worker_kills": sized(20, 2),
        "redis_restarts": sized(3, 1),
        "web_kills": sized(3, 1),
        "reports_kills": sized(2, 1),
    }
    try:
        figures = fault_scenario(
            start_worker=lambda name: start_worker(name, log, **fast_redelivery),
            stop_workers=stop_processes,
            restart_redis=restart_redis,
            web=Web(start=start_web, base=f"http://127.0.0.1:{port}"),
            start_reports=lambda: start_worker("reports", log, queues="reports"),
            order_batches=sum(faults.values()) + 1,
            timeout_s=sized(600.0, 300.0),
            progress=lambda line: print(f"  faults: {line}", flush=True),
            **faults,
        )
    finally:
        log.close()
    for name, count in faults.items():
        invariant(figures[f"fault_{name}"] == count, f"{count} {name} planned, {figures[f'fault_{name}']} done")
    invariant(figures["fault_accepted_orders"] == figures["fault_orders"], "an order was lost or doubled")
    zeros = ("fault_lost_orders", "fault_duplicate_fills", "fault_parents_unfinished", "fault_tca_jobs_unfinished")
    for figure in zeros:
        invariant(figures[figure] == 0, f"{figure} is {figures[figure]}")
    return figures
