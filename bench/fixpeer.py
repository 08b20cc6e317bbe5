"""A QuickFIX initiator playing the OMS (or a drop copy), for the FIX benchmark and tests."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import quickfix

from gateway.config import spec_dir
from gateway.translate import parse


class Peer(quickfix.Application):
    """Everything the counterparty receives, in order, as ``(its CompID, fields)``; and when
    each arrived (``perf_counter``), by ClOrdID and ExecType, for latencies."""

    def __init__(self):
        super().__init__()
        self.received: queue.Queue = queue.Queue()
        self.arrived: dict[tuple[str, str], float] = {}
        self.logged_on = threading.Event()
        self.initiator: quickfix.SocketInitiator | None = None

    def send(self, client: str, msg_type: str, fields: list[tuple[int, str]]) -> None:
        """Send on this initiator's own session: ``Session.sendToTarget`` looks sessions up in
        a process-wide registry, where an earlier initiator's session of the same IDs stays."""
        message = quickfix.Message()
        message.getHeader().setField(quickfix.MsgType(msg_type))
        for tag, value in fields:
            message.setField(tag, value)
        self.initiator.getSession(quickfix.SessionID("FIX.4.4", client, "SMARTTRADING")).send(message)

    def onCreate(self, session_id):
        pass

    def onLogon(self, session_id):
        self.logged_on.set()

    def onLogout(self, session_id):
        self.logged_on.clear()

    def toAdmin(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        pass

    def toApp(self, message, session_id):
        pass

    def fromApp(self, message, session_id):
        fields = parse(message.toString())
        tags = dict(fields)
        self.arrived.setdefault((tags.get(11, ""), tags.get(150, "")), time.perf_counter())
        self.received.put((session_id.getSenderCompID().getValue(), fields))


def peer_initiator(work_dir: Path, port: int, *clients: str) -> tuple[Peer, quickfix.SocketInitiator]:
    """An initiator with a FIX.4.4 session per client CompID to the gateway (SMARTTRADING)."""
    lines = [
        "[DEFAULT]",
        "ConnectionType=initiator",
        "SocketConnectHost=127.0.0.1",
        f"SocketConnectPort={port}",
        "ReconnectInterval=1",
        "HeartBtInt=30",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        f"FileStorePath={work_dir / 'peer-store'}",
        f"DataDictionary={spec_dir() / 'FIX44.xml'}",
        "UseDataDictionary=N",
        "",
    ]
    for client in clients:
        lines += ["[SESSION]", "BeginString=FIX.4.4", f"SenderCompID={client}", "TargetCompID=SMARTTRADING", ""]
    (work_dir / "peer.cfg").write_text("\n".join(lines))
    settings = quickfix.SessionSettings(str(work_dir / "peer.cfg"))
    peer = Peer()
    peer.initiator = quickfix.SocketInitiator(peer, quickfix.FileStoreFactory(settings), settings)
    return peer, peer.initiator
