"""``manage.py fix_gateway``: the FIX acceptor on loopback, sessions from the database."""

from __future__ import annotations

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from gateway.engine import Gateway
from gateway.models import FixSession

ACCEPTANCE_SESSIONS = (("FIX.4.4", "TW44"), ("FIX.4.2", "TW42"))


class Command(BaseCommand):
    help = "Run the FIX gateway (SMARTTRADING_FIX_PORT, default 9878) until SIGTERM"

    def handle(self, *args, **options):
        if settings.FIX_ACCEPTANCE:  # QuickFIX's acceptance scripts' sessions, with the echo application
            for begin_string, target in ACCEPTANCE_SESSIONS:
                FixSession.objects.get_or_create(
                    begin_string=begin_string,
                    sender_comp_id="ISLD",
                    target_comp_id=target,
                    defaults={"name": f"acceptance-{target}", "kind": FixSession.Kind.ECHO, "reset_on_logon": True},
                )
        sessions = list(FixSession.objects.filter(active=True).select_related("trader"))
        gateway = Gateway(port=settings.FIX_PORT, var_dir=settings.VAR_DIR / "fix", sessions=sessions)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        gateway.start()
        self.stdout.write(
            f"FIX gateway on 127.0.0.1:{settings.FIX_PORT}: " + ", ".join(f"{s.name} {s.key}" for s in sessions),
        )
        self.stdout.flush()
        while not stop.wait(0.5):
            pass
        gateway.stop()
        self.stdout.flush()
        os._exit(0)  # past the engine's own teardown (see Gateway.stop)
