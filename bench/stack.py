"""The real Django stack for benchmarks: a fresh database and the embedded Redis, set up once
per process, and ``python -m bench`` gives each group a process of its own (``BENCH_GROUP``).

SQLite under var/bench/<group>, the database ``make run`` uses, unless
``BENCH_DATABASE=postgresql`` (``python -m bench --database postgresql``): then the database
``smarttrading_bench_<group>`` on 127.0.0.1:5432, recreated. ``make bench`` measures the
sessions on PostgreSQL too when it answers, as several workers need a database that takes
concurrent writers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUP = os.environ.get("BENCH_GROUP", "default")  # set by ``python -m bench`` for each group's process
VAR_DIR = ROOT / "var" / "bench" / GROUP
POSTGRES = ("127.0.0.1", 5432)
_redis: dict = {}  # the embedded server, replaced by restart_redis


def _postgres_url() -> str:
    socket.create_connection(POSTGRES, timeout=1).close()  # fails loudly when asked for and absent
    import psycopg

    name = f"smarttrading_bench_{GROUP}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgres://postgres@127.0.0.1:5432/{name}"


@cache
def django_stack() -> str:
    """Set Django up on a fresh database with demo data and a fresh embedded Redis, both the
    group's own (``python -m bench`` runs each group in a process of its own); returns the
    database's kind."""
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    os.environ["SMARTTRADING_VAR_DIR"] = str(VAR_DIR)
    os.environ.setdefault("SMARTTRADING_DEMO", "1")
    os.environ.pop("REDIS_URL", None)
    postgres = os.environ.get("BENCH_DATABASE", "sqlite") == "postgresql"
    if postgres:
        os.environ["DATABASE_URL"] = _postgres_url()
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "smarttrading.settings"
    import atexit

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from smarttrading import embedded_redis

    _redis["process"] = embedded_redis.start(Path(settings.REDIS_URL.removeprefix("unix://")))
    atexit.register(lambda: _redis["process"].terminate())
    call_command("migrate", verbosity=0)
    call_command("demo_setup", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return "postgresql" if postgres else "sqlite"


def bench_instruments(count: int, tag: str) -> list:
    """``count`` new instruments of the benchmark's own (``<tag>0``, ``<tag>1``, ...) at $100."""
    from decimal import Decimal

    from orders.models import Instrument

    return Instrument.objects.bulk_create(
        Instrument(
            symbol=f"{tag}{i}", name=f"Bench {tag}{i}", tick_size=Decimal("0.01"), lot_size=1,
            reference_price=Decimal("100.00"),
        )
        for i in range(count)
    )  # fmt: skip


def risk_limits_for_bench(accounts: list[str], **limits) -> None:
    """Give the benchmark's accounts limits chosen for what it measures, not the desk defaults:
    every check still runs, only its thresholds are the benchmark's (None switches one off)."""
    from orders.models import Account
    from orders.selectors import RISK_LIMIT_FIELDS
    from orders.services.risk_limits import risk_limits_set

    chosen = {field: limits.pop(field, None) for field in RISK_LIMIT_FIELDS}
    assert not limits, f"unknown risk limits {sorted(limits)}"
    for account in Account.objects.filter(code__in=accounts):
        risk_limits_set(account=account, actor="bench", restricted_instruments=[], **chosen)


def restart_redis() -> None:
    """Crash the embedded Redis (SIGKILL, nothing saved) and start a fresh one on its socket."""
    from django.conf import settings

    from smarttrading import embedded_redis

    _redis["process"].kill()
    _redis["process"].wait(timeout=10)
    _redis["process"] = embedded_redis.start(Path(settings.REDIS_URL.removeprefix("unix://")))


def start_worker(
    name: str, log, *, queues: str = "celery", include: str | None = None, **extra_env: str
) -> subprocess.Popen:
    """A Celery worker on the group's stack, with the VWAP volume profile already on disk;
    ``include`` names a module the worker imports besides the product's (bench/steptimer.py).

    A worker builds the profile when it starts (seconds of simulated days, a machine's
    first start only) and steps nothing meanwhile; a benchmark measures a warmed desk.
    """
    from django.conf import settings

    from routing.profiles import volume_profile

    volume_profile()

    env = {
        **os.environ,
        "REDIS_URL": settings.REDIS_URL,
        "SMARTTRADING_SIM_SPEED": "0",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "smarttrading",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--queues={queues}",
            *([f"--include={include}"] if include else []),
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def step_times(prefix: str, session_ids: set[int], since: float, until: float) -> list[tuple[float, float]]:
    """What bench/steptimer.py wrote of the steps the workers ended inside the window: per step,
    its milliseconds and how many it started late. Each (session, step) once: a step run twice
    (the watchdog's re-send found it already done) counts at its longer run."""
    longest: dict[tuple[int, int], tuple[float, float]] = {}
    for path in VAR_DIR.glob(f"{prefix}.*"):
        for line in path.read_text().splitlines():
            session_id, step_no, ended, ms, late = line.split()
            key = (int(session_id), int(step_no))
            if key[0] in session_ids and since <= float(ended) <= until and float(ms) > longest.get(key, (0.0,))[0]:
                longest[key] = (float(ms), float(late))
    return list(longest.values())


def start_fix_gateway(log, *, port: int, var_dir: Path) -> subprocess.Popen:
    """The FIX gateway (``manage.py fix_gateway``) on the bench database."""
    from django.conf import settings

    env = {
        **os.environ,
        "REDIS_URL": settings.REDIS_URL,
        "SMARTTRADING_FIX_PORT": str(port),
        "SMARTTRADING_VAR_DIR": str(var_dir),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "fix_gateway"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def web_server_command(port: int, workers: int = 1) -> list[str]:
    """The product's web server as the Procfile runs it (``smarttrading.serve``)."""
    return [sys.executable, "-m", "smarttrading.serve", "--port", str(port), "--workers", str(workers)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop_processes(processes: list[subprocess.Popen], grace_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL whatever has not exited after ``grace_s``."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
