"""``make run``'s process manager restarts a process that dies and leaves the others running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import redis

from smarttrading.supervise import PROCFILE, procfile_processes
from tests.processes import BIN, ROOT


def test_every_procfile_process_is_supervised():
    assert sorted(procfile_processes(PROCFILE.read_text())) == ["beat", "fix", "redis", "reports", "web", "worker"]


def _pid_of(pattern: str) -> int | None:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def _wait_for(condition, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def _pings(socket_path) -> bool:
    try:
        return redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping()
    except (redis.ConnectionError, FileNotFoundError, OSError):
        return False


def test_a_killed_embedded_redis_is_restarted_on_its_socket(tmp_path):
    # given the embedded Redis under the supervisor, as make run starts it
    env = {**os.environ, "SMARTTRADING_VAR_DIR": str(tmp_path), "PATH": f"{BIN}:{os.environ['PATH']}"}
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "smarttrading.supervise", "redis"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    socket_path = tmp_path / "redis.sock"
    try:
        _wait_for(lambda: _pings(socket_path))
        redis.Redis(unix_socket_path=str(socket_path)).set("before", "1")
        first = _pid_of(f"redis-server unixsocket:{socket_path}")

        # when the server is SIGKILLed
        os.kill(first, signal.SIGKILL)

        # then a new server answers on the same socket, and the supervisor runs on
        second = _wait_for(lambda: (pid := _pid_of(f"redis-server unixsocket:{socket_path}")) != first and pid)
        _wait_for(lambda: _pings(socket_path))
        assert second != first
        assert supervisor.poll() is None
        status = [str(BIN / "supervisorctl"), "-c", str(tmp_path / "supervisord.conf"), "status", "redis"]
        _wait_for(lambda: "RUNNING" in subprocess.run(status, capture_output=True, text=True).stdout)
    finally:
        os.killpg(supervisor.pid, signal.SIGTERM)
        supervisor.wait(timeout=30)
