"""Real product processes for tests: Celery workers (and Daphne) on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(log, *, name: str = "worker", queues: str = "celery", **extra_env: str) -> subprocess.Popen:
    """A Celery worker process (one process, one task at a time) on ``queues``."""
    return subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "smarttrading",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--queues={queues}",
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env=process_env(**extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_fix_gateway(log, *, port: int, var_dir: Path, **extra_env: str) -> subprocess.Popen:
    """The FIX gateway process (``manage.py fix_gateway``) on ``port``, its store under ``var_dir``."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "fix_gateway"],
        cwd=ROOT,
        env=process_env(SMARTTRADING_FIX_PORT=str(port), SMARTTRADING_VAR_DIR=str(var_dir), **extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
