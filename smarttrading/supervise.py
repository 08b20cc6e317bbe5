"""``make run``'s process manager: the Procfile's processes under supervisord, restarted when one dies.

honcho stopped all six processes when any one died (a worker SIGKILLed, redis-server
killed). supervisord (a well-kept process manager) restarts a dead process after a second
and leaves the others running: a worker's unacknowledged step is redelivered, the web
pages' streams reconnect to a restarted Redis, the watchdog re-enqueues what a lost queue
held. The Procfile stays the one list of processes; this writes supervisord's configuration
from it into ``var/`` and runs supervisord in the foreground: Ctrl-C or SIGTERM stops all.

    python -m smarttrading.supervise [PROCESS ...]   # default: every process of the Procfile
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SMARTTRADING_VAR_DIR", BASE_DIR / "var")).resolve()  # as the settings read it
PROCFILE = BASE_DIR / "Procfile"
# A process that dies within this many seconds of starting is retried this many times, then
# left FATAL (a command that cannot start should not spin for ever).
START_SECONDS = 3
START_RETRIES = 5
STOP_WAIT_SECONDS = 10


def procfile_processes(text: str) -> dict[str, str]:
    """``name: command`` lines; blank lines and comments skipped."""
    processes = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if match and not line.lstrip().startswith("#"):
            processes[match[1]] = match[2]
    return processes


def _quoted(value: str) -> str:
    """A command as supervisord reads it: its own shell-like quoting, and %% for a %."""
    return '"' + value.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"') + '"'


def supervisord_conf(processes: dict[str, str], *, var_dir: Path) -> str:
    """Every process restarts when it dies; each inherits supervisord's environment."""
    sections = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={var_dir / 'supervisord.log'}",
        f"pidfile={var_dir / 'supervisord.pid'}",
        "loglevel=info",
        "",
        "[unix_http_server]",
        f"file={var_dir / 'supervisord.sock'}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{var_dir / 'supervisord.sock'}",
        "",
    ]
    for name, command in processes.items():
        sections += [
            f"[program:{name}]",
            # through a shell, as the Procfile's $VARIABLES and ${A:-default} expect
            f"command=/bin/sh -c {_quoted('exec ' + command)}",
            f"directory={BASE_DIR}",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            f"stopwaitsecs={STOP_WAIT_SECONDS}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "",
        ]
    return "\n".join(sections)


def main(argv: list[str]) -> None:
    processes = procfile_processes(PROCFILE.read_text())
    if argv:
        unknown = sorted(set(argv) - set(processes))
        if unknown:
            sys.exit(f"not in the Procfile: {', '.join(unknown)}")
        processes = {name: processes[name] for name in argv}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    conf = VAR_DIR / "supervisord.conf"
    conf.write_text(supervisord_conf(processes, var_dir=VAR_DIR))
    supervisord = Path(sys.executable).parent / "supervisord"
    os.execv(str(supervisord), [str(supervisord), "--configuration", str(conf)])


if __name__ == "__main__":
    main(sys.argv[1:])
