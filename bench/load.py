"""Load: 200 simulated traders (locust, headless) submitting and reading orders against
the running product: uvicorn serving the ASGI app (two processes, as the Procfile runs
it), a Celery worker and beat aggregating and executing, on the bench database.

``load_users``, ``load_requests``, ``load_rps``, ``load_p50_ms``, ``load_p95_ms``,
``load_errors`` (failed requests: a non-2xx answer or no answer).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from bench.size import invariant, sized
from bench.stack import (
    ROOT,
    VAR_DIR,
    django_stack,
    free_port,
    start_worker,
    stop_processes,
    wait_for_http,
    web_server_command,
)

USERS = sized(200, 10)
TRADERS = sized(20, 2)  # ten simulated users share each trader's login and account
SPAWN_RATE = sized(20, 10)  # users join over ten seconds, as a desk logs in
DURATION = sized("70s", "15s")
WEB_WORKERS = int(os.environ.get("SMARTTRADING_WEB_WORKERS", "2"))  # as the Procfile


def _traders() -> list[str]:
    """Traders LOAD-0..19, each with an account of the same code and an API token."""
    from django.contrib.auth.models import Group, User

    from orders.models import Account
    from orders.services.tokens import api_token_issue

    group = Group.objects.get(name="trader")
    tokens = []
    for i in range(TRADERS):
        user = User.objects.create_user(f"load{i}", password=None)
        user.groups.add(group)
        Account.objects.create(code=f"LOAD-{i}", name=f"Load test {i}", owner=user)
        tokens.append(api_token_issue(user=user, name="load bench", actor="bench")[1])
    return tokens


def _open_sessions() -> None:
    """Today's market for the traded instruments, so quotes answer from the first request."""
    from orders.models import Instrument
    from routing.services.sessions import session_get_or_create

    for instrument in Instrument.objects.filter(symbol__in=["AAPL", "MSFT", "XOM"]):
        session_get_or_create(instrument=instrument)


def load_benchmarks() -> dict:
    database = django_stack()
    from django.conf import settings

    tokens = _traders()
    _open_sessions()
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        "SMARTTRADING_SIM_SPEED": "60",
        # Sync views run in asgiref's thread pool; its default of CPUs + 4 threads lets a few
        # requests waiting on the database hold up every other one.
        "ASGI_THREADS": "32",
    }
    log = open(VAR_DIR / "load-stack.log", "w")  # noqa: SIM115
    bin_dir = Path(sys.executable).parent
    processes = [
        subprocess.Popen(
            web_server_command(port, workers=WEB_WORKERS),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        start_worker("load", log),
        subprocess.Popen(
            [str(bin_dir / "celery"), "-A", "smarttrading", "beat", f"--schedule={VAR_DIR / 'load-beat'}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
    ]
    prefix = VAR_DIR / "load"
    try:
        wait_for_http(f"http://127.0.0.1:{port}/accounts/login/")
        subprocess.run(
            [
                str(bin_dir / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(SPAWN_RATE),
                "--run-time",
                DURATION,
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--reset-stats",  # measure the steady state once all users are in, not the ramp
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "LOAD_TOKENS": ",".join(tokens)},
            check=False,
            timeout=300,
        )
    finally:
        stop_processes(processes)
        log.close()
    with open(f"{prefix}_stats.csv", newline="") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    invariant(int(total["Request Count"]) > 0, "the simulated traders' requests were answered")
    return {
        "load_database": database,
        "load_users": USERS,
        "load_pace_s": os.environ.get("LOAD_PACE_S", "2,8"),
        "load_web_workers": WEB_WORKERS,
        "load_requests": int(total["Request Count"]),
        "load_rps": round(float(total["Requests/s"]), 1),
        "load_p50_ms": float(total["50%"]),
        "load_p95_ms": float(total["95%"]),
        "load_errors": int(total["Failure Count"]),
    }
