"""The FIX gateway process: QuickFIX's acceptor (the session layer: logon, heartbeats,
sequence numbers, resends, validation against the data dictionaries, the message store) with
a thin application.

The engine's callbacks only store an inbound order message and return (the engine thread
holds the GIL); a pump thread hands stored messages to the services, and sends the execution
reports the outbox holds for each logged-on session, recording each delivery first.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import quickfix as fix
from django.db import close_old_connections, connection
from django.utils import timezone

from . import config, services
from .models import FixSession

log = logging.getLogger("gateway")
PUMP_IDLE_S = 0.05
STATUS_EVERY_S = 1.0  # how often the supervisors' page learns sequence numbers and logon state
# Between status ticks the pump looks for new reports only this far below the last one it sent
# (a report that committed later than others with higher ids); each tick looks from the cursor.
RECENT_REPORTS = 5_000


def _message(begin_string: str, msg_type: str, fields: list[tuple[int, str]]) -> fix.Message:
    message = fix.Message()
    header = message.getHeader()
    header.setField(fix.BeginString(begin_string))
    header.setField(fix.MsgType(msg_type))
    for tag, value in fields:
        message.setField(tag, value)
    return message


class GatewayApplication(fix.Application):
    def __init__(self, sessions: dict[str, FixSession]):
        super().__init__()
        self.sessions = sessions  # by QuickFIX SessionID string
        self.wake = threading.Event()
        self.echo_seen: dict[str, set[str]] = {}  # acceptance sessions: ClOrdIDs since logon
        self.lock = threading.Lock()

    def onCreate(self, session_id):
        pass

    def onLogon(self, session_id):
        key = session_id.toString()
        with self.lock:
            self.echo_seen.pop(key, None)
        session = self.sessions.get(key)
        if session is not None:
            services.session_status_update(session_id=session.pk, logged_on=True, last_logon_at=timezone.now())
            connection.close()  # the engine's threads give their connection back (PostgreSQL's pool)
        self.wake.set()

    def onLogout(self, session_id):
        session = self.sessions.get(session_id.toString())
        if session is not None:
            services.session_status_update(session_id=session.pk, logged_on=False)
            connection.close()

    def toAdmin(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        session = self.sessions.get(session_id.toString())
        if session is not None:
            services.session_status_update(session_id=session.pk, last_message_at=timezone.now())
            connection.close()

    def toApp(self, message, session_id):
        pass

    def fromApp(self, message, session_id):
        key = session_id.toString()
        session = self.sessions[key]
        msg_type = message.getHeader().getField(35)
        if session.kind == FixSession.Kind.ECHO:
            self._echo(message, msg_type, key, session_id)
            return
        if session.kind != FixSession.Kind.OMS or msg_type not in services.APPLICATION_TYPES:
            raise fix.UnsupportedMessageType()  # a drop copy is read-only: BusinessMessageReject
        try:
            services.inbound_record(session_id=session.pk, raw=message.toString())
        finally:
            connection.close()
        self.wake.set()

    def _echo(self, message, msg_type: str, key: str, session_id) -> None:
        """QuickFIX's acceptance application: echo orders (not a PossResend repeat) and
        security definitions; reject the rest as unsupported."""
        if msg_type == "D":
            header = message.getHeader()
            repeat = header.isSetField(97) and header.getField(97) == "Y"
            cl_ord_id = message.getField(11)
            with self.lock:
                seen = self.echo_seen.setdefault(key, set())
                if repeat and cl_ord_id in seen:
                    return
                seen.add(cl_ord_id)
            fix.Session.sendToTarget(fix.Message(message), session_id)
        elif msg_type in ("d", "C"):
            fix.Session.sendToTarget(fix.Message(message), session_id)
        else:
            raise fix.UnsupportedMessageType()


class Gateway:
    """The acceptor and its pump, started and stopped together."""

    def __init__(self, *, port: int, var_dir: Path, sessions: list[FixSession]):
        self.sessions = {s.key: s for s in sessions}
        self.ids = {s.key: fix.SessionID(s.begin_string, s.sender_comp_id, s.target_comp_id) for s in sessions}
        self.store_dir = var_dir / "store"
        settings_path = var_dir / "gateway.cfg"
        settings_path.write_text(
            config.settings_text(
                port=port,
                var_dir=var_dir,
                sessions=[
                    {
                        "begin_string": s.begin_string,
                        "sender_comp_id": s.sender_comp_id,
                        "target_comp_id": s.target_comp_id,
                        "reset_on_logon": s.reset_on_logon,
                    }
                    for s in sessions
                ],
            )
        )
        settings = fix.SessionSettings(str(settings_path))
        self.application = GatewayApplication(self.sessions)
        self.acceptor = fix.SocketAcceptor(
            self.application, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(settings)
        )
        self.stopping = threading.Event()
        self.pump = threading.Thread(target=self._pump, name="fix-pump", daemon=True)
        self.status_due = 0.0
        self.last_sent: dict[str, int] = {}  # by session: the highest report id sent

    def start(self) -> None:
        for key, session in self.sessions.items():  # before the engine takes its store files
            stored = config.stored_exec_ids(self.store_dir, key)
            forgotten = services.deliveries_reconcile(session=session, stored_exec_ids=stored)
            if forgotten:
                log.warning("%s: %d reports were not in the message store; they go out again", key, forgotten)
        self.acceptor.start()
        self.pump.start()

    def stop(self) -> None:
        self.stopping.set()
        self.application.wake.set()
        self.pump.join(timeout=10)
        self.acceptor.stop()

    def _pump(self) -> None:
        while not self.stopping.is_set():
            self.application.wake.wait(PUMP_IDLE_S)
            self.application.wake.clear()
            try:
                self._handle_inbound()
                self._send_reports()
                self._status()
            except Exception:  # the pump must outlive one bad message or a database hiccup
                log.exception("FIX pump")
                close_old_connections()
                self.stopping.wait(1.0)
            finally:
                connection.close()

    def _send(self, key: str, outgoing: list[tuple[str, list, object, int | None]]) -> None:
        """Record, send, confirm: ``(MsgType, fields, report or None, order id)`` each."""
        if not outgoing:
            return
        session = self.sessions[key]
        messages = [_message(session.begin_string, msg_type, fields) for msg_type, fields, _, _ in outgoing]
        deliveries = services.outbound_record(
            session=session,
            messages=[
                (msg_type, message.toString(), report, order_id)
                for message, (msg_type, _, report, order_id) in zip(messages, outgoing, strict=True)
            ],
        )
        for message in messages:
            fix.Session.sendToTarget(message, self.ids[key])
        services.deliveries_confirm(deliveries)

    def _handle_inbound(self) -> None:
        """Stored messages in arrival order; a run of one session's orders goes in as one batch."""
        run: list = []
        for message in [*services.inbound_pending(), None]:
            if run and (message is None or message.msg_type != "D" or message.session_id != run[0].session_id):
                self._new_orders(run)
                run = []
            if message is None:
                break
            if message.msg_type == "D":
                run.append(message)
                continue
            replies = services.inbound_handle(message)
            self._send(message.session.key, [(t, f, None, message.order_id) for t, f in replies])

    def _new_orders(self, messages) -> None:
        session = messages[0].session
        replies = services.new_orders_handle(session, messages)
        self._send(session.key, [(t, f, None, message.order_id) for message, (t, f) in replies])

    def _send_reports(self) -> None:
        for key, session in self.sessions.items():
            if session.kind == FixSession.Kind.ECHO or not fix.Session.lookupSession(self.ids[key]).isLoggedOn():
                continue
            copy = session.kind == FixSession.Kind.DROP_COPY
            full_scan = time.monotonic() >= self.status_due
            after = 0 if full_scan else max(0, self.last_sent.get(key, 0) - RECENT_REPORTS)
            while reports := services.reports_due(session, after=after):
                outgoing = []
                for report in reports:
                    msg_type, fields = services.translate.execution_report(
                        report, begin_string=session.begin_string, copy=copy
                    )
                    outgoing.append((msg_type, fields, report, report.order_id))
                self._send(key, outgoing)
                self.last_sent[key] = max(self.last_sent.get(key, 0), *(int(r.exec_id) for r in reports))

    def _status(self) -> None:
        if time.monotonic() < self.status_due:
            return
        self.status_due = time.monotonic() + STATUS_EVERY_S
        for key, session in self.sessions.items():
            engine = fix.Session.lookupSession(self.ids[key])
            if session.kind != FixSession.Kind.ECHO:
                services.reports_cursor_advance(session)
            services.session_status_update(
                session_id=session.pk,
                logged_on=engine.isLoggedOn(),
                next_sender_seq=engine.getExpectedSenderNum(),
                next_target_seq=engine.getExpectedTargetNum(),
            )
