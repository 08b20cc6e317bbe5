"""The FIX gateway process: QuickFIX's acceptor (the session layer: logon, heartbeats,
sequence numbers, resends, validation against the data dictionaries, the message store) with
a thin application.

The engine's callbacks only put an inbound order message in an inbox and return (the engine
thread holds the GIL); a pump thread hands the inbox to the services, which store each message
with what it did, and sends the execution reports the outbox holds for each logged-on
session, recording each delivery first.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from itertools import takewhile
from pathlib import Path

import quickfix as fix
from django.db import connection
from django.utils import timezone

from . import config, services
from .models import FixSession
from .outbox import ReportCursor

log = logging.getLogger("gateway")
PUMP_IDLE_S = 0.05
STATUS_EVERY_S = 1.0  # how often the supervisors' page learns sequence numbers and logon state
SETTLED_S = 30.0  # a report id skipped this long ago never commits: no transaction here lasts this long
INBOUND_BATCH = 500  # messages a pump round takes from the inbox: a batch of orders is one transaction


def _message(begin_string: str, msg_type: str, fields: list[tuple[int, str]]) -> fix.Message:
    message = fix.Message()
    header = message.getHeader()
    header.setField(fix.BeginString(begin_string))
    header.setField(fix.MsgType(msg_type))
    for tag, value in fields:
        message.setField(tag, value)
    return message


class GatewayApplication(fix.Application):
    """The engine's callbacks. They never touch the database (the engine's thread would open a
    connection per callback, and hold the GIL while it waits): an order message goes to the
    inbox, what the supervisors' page shows goes to ``seen``, and the pump does the rest."""

    def __init__(self, sessions: dict[str, FixSession]):
        super().__init__()
        self.sessions = sessions  # by QuickFIX SessionID string
        self.wake = threading.Event()
        self.inbox: queue.SimpleQueue[services.Inbound] = queue.SimpleQueue()
        self.seen: dict[str, dict] = {}  # by session: status fields for the pump to write
        self.echo_seen: dict[str, set[str]] = {}  # acceptance sessions: ClOrdIDs since logon
        self.lock = threading.Lock()

    def _note(self, key: str, **status) -> None:
        if key in self.sessions:
            with self.lock:
                self.seen.setdefault(key, {}).update(status)
            self.wake.set()

    def onCreate(self, session_id):
        pass

    def onLogon(self, session_id):
        key = session_id.toString()
        with self.lock:
            self.echo_seen.pop(key, None)
        self._note(key, logged_on=True, last_logon_at=timezone.now())

    def onLogout(self, session_id):
        self._note(session_id.toString(), logged_on=False)

    def toAdmin(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        key = session_id.toString()
        self._note(key, last_message_at=timezone.now())
        session = self.sessions.get(key)
        reset = message.getHeader().getField(35) == "A" and message.isSetField(141) and message.getField(141) == "Y"
        if reset and session is not None and session.kind == FixSession.Kind.OMS:
            self.inbox.put(services.Inbound(session_key=key, raw=message.toString()))  # in order with orders

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
        # Counted received when this returns, stored when the pump commits what it did: a crash
        # in between loses it from memory only, as the next start asks for a resend (_rewind).
        self.inbox.put(services.Inbound(session_key=key, raw=message.toString()))
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
        self.cursors: dict[str, ReportCursor] = {}  # by session: how far its reports are read
        self.account_ids: dict[str, frozenset[int]] = {}  # by session: the accounts it is entitled to
        self.pending: list[services.Inbound] = []  # taken from the inbox, not committed yet

    def start(self) -> None:
        for key, session in self.sessions.items():  # before the engine takes its store files
            stored = config.stored_exec_ids(self.store_dir, key)
            forgotten = services.deliveries_reconcile(session=session, stored_exec_ids=stored)
            if forgotten:
                log.warning("%s: %d reports were not in the message store; they go out again", key, forgotten)
            if session.kind == FixSession.Kind.OMS and not session.reset_on_logon:
                self._rewind(session)
            self.cursors[key] = ReportCursor(read_to=services.report_cursor(session=session), settled_s=SETTLED_S)
        self._entitlements()
        self.acceptor.start()
        self.pump.start()

    def _rewind(self, session: FixSession) -> None:
        """Expect the client's next message right after the last one handled: what the engine
        counted received but the pump never committed (a crash) is asked for again, and comes
        back as a PossDup resend through the same intake."""
        handled = services.inbound_seq(session=session)
        engine = fix.Session.lookupSession(self.ids[session.key])  # the engine made it, not yet logged on
        received = engine.getExpectedTargetNum()
        if received > handled + 1:
            engine.setNextTargetMsgSeqNum(handled + 1)
            log.warning(
                "%s: messages %d to %d were received but not handled; the client is asked to resend them",
                session.key,
                handled + 1,
                received - 1,
            )

    def stop(self) -> None:
        """Stop the pump once it has committed what it took. The engine is left to the process's
        exit: QuickFIX's ``SocketAcceptor.stop`` crashed (SIGSEGV) in three of four acceptance
        runs once sessions had come and gone. Nothing rides on it: the message stores are
        written per message and the pump has committed, so clients see a disconnect and
        resynchronise at their next logon, as after any crash."""
        self.stopping.set()
        self.application.wake.set()
        self.pump.join(timeout=10)

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
                connection.close()  # the next round connects afresh
                self.stopping.wait(1.0)

    def _send(self, key: str, outgoing: list[tuple[str, list, object, int | None]]) -> None:
        """Record, send, confirm: ``(MsgType, fields, report or None, order id)`` each."""
        if not outgoing:
            return
        session = self.sessions[key]
        messages = [_message(session.begin_string, msg_type, fields) for msg_type, fields, _, _ in outgoing]
        report_ids = services.outbound_record(
            session=session,
            messages=[
                (msg_type, message.toString(), report, order_id)
                for message, (msg_type, _, report, order_id) in zip(messages, outgoing, strict=True)
            ],
        )
        for message in messages:
            fix.Session.sendToTarget(message, self.ids[key])
        services.deliveries_confirm(session=session, report_ids=report_ids)

    def _handle_inbound(self) -> None:
        """The inbox in arrival order, a batch a round; a run of one session's orders goes in
        as one batch. A message leaves ``pending`` once what it did is committed."""
        while len(self.pending) < INBOUND_BATCH:
            try:
                self.pending.append(self.application.inbox.get_nowait())
            except queue.Empty:
                break
        while self.pending:
            first = self.pending[0]
            session = self.sessions[first.session_key]
            if first.msg_type == "D":
                key = first.session_key
                run = list(takewhile(lambda m, key=key: m.msg_type == "D" and m.session_key == key, self.pending))
                replies = services.new_orders_handle(session, run)
            elif first.msg_type == "A":  # a logon that reset the client's sequence numbers
                run, replies = [first], []
                services.inbound_sequence_reset(session=session)
            else:
                run, replies = [first], services.inbound_handle(session, first)
            del self.pending[: len(run)]
            self._send(first.session_key, [(t, f, None, stored.order_id) for stored, (t, f) in replies])

    def _send_reports(self) -> None:
        """Each logged-on session's reports past its cursor, and in its holes, as they commit."""
        for key, session in self.sessions.items():
            if session.kind == FixSession.Kind.ECHO or not fix.Session.lookupSession(self.ids[key]).isLoggedOn():
                continue
            cursor, copy = self.cursors[key], session.kind == FixSession.Kind.DROP_COPY
            holes = cursor.hole_ranges()
            while True:
                read = services.reports_read(
                    session, account_ids=self.account_ids[key], after=cursor.read_to, holes=holes
                )
                outgoing = []
                for report in read.due:
                    msg_type, fields = services.translate.execution_report(
                        report, begin_string=session.begin_string, copy=copy
                    )
                    outgoing.append((msg_type, fields, report, report.order_id))
                self._send(key, outgoing)
                cursor.read(read.ids, holes_found=read.holes_found, now=time.monotonic())
                if read.complete:
                    break
                holes = []

    def _entitlements(self) -> None:
        for key, session in self.sessions.items():
            self.account_ids[key] = services.session_account_ids(session=session)

    def _status(self) -> None:
        with self.application.lock:
            seen, self.application.seen = self.application.seen, {}
        for key, status in seen.items():
            services.session_status_update(session_id=self.sessions[key].pk, **status)
        if time.monotonic() < self.status_due:
            return
        self.status_due = time.monotonic() + STATUS_EVERY_S
        for key, session in self.sessions.items():
            engine = fix.Session.lookupSession(self.ids[key])
            services.session_status_update(
                session_id=session.pk,
                logged_on=engine.isLoggedOn(),
                next_sender_seq=engine.getExpectedSenderNum(),
                next_target_seq=engine.getExpectedTargetNum(),
                report_cursor=self.cursors[key].durable,
            )
        self._entitlements()
