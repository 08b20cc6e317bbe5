"""The engine's configuration, written from the environment and the database at start-up:
QuickFIX reads a settings file, so the gateway writes one under ``var/fix/`` and never needs
editing. The data dictionaries are QuickFIX's own, FIX.4.2's extended with the strategy
tags FIX.4.4 already has on NewOrderSingle and OrderCancelReplaceRequest, and TargetStrategy
takes the user-defined 1000 (TWAP) beside FIX's own 1-3."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

STRATEGY_FIELDS = (
    ("847", "TargetStrategy", "INT"),
    ("848", "TargetStrategyParameters", "STRING"),
    ("849", "ParticipationRate", "PERCENTAGE"),
)


def spec_dir() -> Path:
    """QuickFIX's dictionaries as the wheel installs them."""
    return Path(sys.prefix) / "share" / "quickfix"


def dictionary(begin_string: str, out_dir: Path) -> Path:
    """The session's data dictionary: the standard one, with the strategy tags on D and G."""
    name = "FIX" + begin_string.removeprefix("FIX.").replace(".", "")
    tree = ET.parse(spec_dir() / f"{name}.xml")
    root = tree.getroot()
    fields = root.find("fields")
    known = {f.get("number") for f in fields}
    for number, field_name, kind in STRATEGY_FIELDS:
        if number not in known:
            ET.SubElement(fields, "field", number=number, name=field_name, type=kind)
    strategy = next(f for f in fields if f.get("number") == "847")
    if strategy.find("value") is not None and not any(v.get("enum") == "1000" for v in strategy):
        ET.SubElement(strategy, "value", enum="1000", description="TWAP")  # user-defined: TargetStrategy >= 1000
    for message in root.find("messages"):
        if message.get("msgtype") in ("D", "G"):
            present = {f.get("name") for f in message.iter("field")}
            for _, field_name, _ in STRATEGY_FIELDS:
                if field_name not in present:
                    ET.SubElement(message, "field", name=field_name, required="N")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}-smarttrading.xml"
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def stored_exec_ids(store_dir: Path, session_key: str) -> set[str]:
    """The ExecIDs of the messages QuickFIX's FileStore holds for a session under sequence
    numbers below its next one: those it will send, or resend when asked. A message written
    to the body whose sequence number was never counted (a crash between the two writes) is
    not among them: its number will be reused, so it would never reach the client."""
    prefix = _store_prefix(store_dir, session_key)
    seqnums, header, body = (Path(f"{prefix}.{part}") for part in ("seqnums", "header", "body"))
    if not (seqnums.exists() and header.exists() and body.exists()):
        return set()
    next_sender = int(seqnums.read_text().split(":")[0])
    content = body.read_bytes()
    where = {}
    for entry in header.read_text().split():
        seq, offset, size = (int(part) for part in entry.split(","))
        where[seq] = (offset, size)  # a reused number: the later entry is what the store resends
    exec_ids = set()
    for seq, (offset, size) in where.items():
        if seq < next_sender:
            for field in content[offset : offset + size].split(b"\x01"):
                if field.startswith(b"17="):
                    exec_ids.add(field[3:].decode())
    return exec_ids


def _store_prefix(store_dir: Path, session_key: str) -> Path:
    return store_dir / session_key.replace(":", "-").replace("->", "-")


def settings_text(*, port: int, var_dir: Path, sessions: Iterable[dict]) -> str:
    """QuickFIX settings: one acceptor on loopback, a [SESSION] per counterparty.

    ``sessions``: dicts with begin_string, sender_comp_id, target_comp_id, reset_on_logon.
    """
    store, log, spec = var_dir / "store", var_dir / "log", var_dir / "spec"
    for folder in (store, log):
        folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[DEFAULT]",
        "ConnectionType=acceptor",
        f"SocketAcceptPort={port}",
        "SocketAcceptHost=127.0.0.1",
        "SocketReuseAddress=Y",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        f"FileStorePath={store}",
        f"FileLogPath={log}",
        "UseDataDictionary=Y",
        "ValidateUserDefinedFields=Y",
        "CheckLatency=Y",
        "MaxLatency=120",
        "TimestampPrecision=3",
        "",
    ]
    for session in sessions:
        lines += [
            "[SESSION]",
            f"BeginString={session['begin_string']}",
            f"SenderCompID={session['sender_comp_id']}",
            f"TargetCompID={session['target_comp_id']}",
            f"ResetOnLogon={'Y' if session['reset_on_logon'] else 'N'}",
            f"DataDictionary={dictionary(session['begin_string'], spec)}",
            "",
        ]
    return "\n".join(lines)
