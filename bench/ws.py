"""Websocket latency: from the commit of a step's fills to their receipt by every client.

The product's web server (uvicorn, as the Procfile runs it) serves the ASGI application;
50, then 200, supervisors' browsers (``websockets`` clients with a logged-in session
cookie) watch one parent's panel stream ``/ws/execution/<id>/``. This process plays the
execution step: ten times a second it writes ten fills (100 fills/s) in one transaction
and, on commit, publishes them as the step does (the parent, its fills, venue breakdown
and reconciliation), stamped with the commit time. Each client records receipt minus
commit time, and on a gap in ``seq`` re-syncs from a snapshot like the browser does; a
fill is missed if neither a message nor a snapshot brought it. To prove the resync,
every client throws one message away as if lost.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from bench.size import invariant, sized
from bench.stack import ROOT, django_stack, free_port, wait_for_http, web_server_command

CLIENTS = sized((50, 200), (10,))
MESSAGES_PER_S = 10
FILLS_PER_MESSAGE = 10
DURATION_S = 8
_STEP_NUMBERS = itertools.count(10_000)  # the fills' (session, step, seq) stays unique across runs


def ws_benchmarks() -> dict:
    django_stack()
    from django.conf import settings

    port = free_port()
    log = open(Path(settings.VAR_DIR) / "ws-bench-web.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        web_server_command(port),
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/accounts/login/")
        parent, child = _working_parent()
        cookie = _session_cookie("supervisor1")
        results: dict = {}
        missed = 0
        for clients in CLIENTS:
            run = asyncio.run(_run(port, cookie, parent, child, clients))
            suffix = "" if clients == max(CLIENTS) else f"_{clients}_clients"
            results[f"ws_latency_p50_ms{suffix}"] = run["p50"]
            results[f"ws_latency_p99_ms{suffix}"] = run["p99"]
            results[f"ws_resyncs{suffix}"] = run["resyncs"]
            results[f"ws_dropped_by_clients{suffix}"] = run["dropped"]
            missed += run["missed"]
            print(f"  websockets: {clients} clients, {run['received']:,} fill messages received", flush=True)
        results["ws_clients"] = max(CLIENTS)
        results["ws_fills_per_s"] = MESSAGES_PER_S * FILLS_PER_MESSAGE
        results["ws_missed_messages"] = missed
        invariant(missed == 0, f"every client saw every fill, by a message or a resync ({missed} missed)")
        return results
    finally:
        web.terminate()
        web.wait(timeout=15)
        log.close()


def _session_cookie(username: str) -> str:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _working_parent():
    """A working parent in a real session, and one child order to hang the fills on."""
    from datetime import timedelta

    from orders.models import Instrument, ParentOrder, ParentStatus
    from routing.market.clock import OPEN_NS, to_datetime
    from routing.models import ChildOrder
    from routing.services.sessions import session_get_or_create

    instrument = Instrument.objects.get(symbol="MSFT")
    session = session_get_or_create(instrument=instrument)
    start = to_datetime(session.trading_date, OPEN_NS)
    parent = ParentOrder.objects.create(
        instrument=instrument,
        side="BUY",
        strategy="TWAP",
        quantity=10**9,
        status=ParentStatus.WORKING,
        duration_s=3600,
        start=start,
        end=start + timedelta(hours=1),
        arrival_price=instrument.reference_price,
    )
    child = ChildOrder.objects.create(
        session=session,
        venue_order_id=1,
        step_no=0,
        parent=parent,
        venue="NYSE",
        side="BUY",
        tactic="PASSIVE",
        order_type="LIMIT",
        quantity=10**9,
        limit_price=instrument.reference_price,
        sim_time=start,
    )
    return parent, child


def _publish_step(parent_id: int, child, step_no: int) -> list[int]:
    """One step's fills, written and committed, then published as a step publishes them."""
    from django.db import transaction
    from django.db.models import F

    from orders.models import ParentOrder
    from routing.models import Fill
    from routing.payloads import fill_payload, parent_payload
    from routing.selectors import parent_reconciliation, parent_venue_breakdown
    from smarttrading import streams

    with transaction.atomic():
        fills = Fill.objects.bulk_create(
            Fill(
                session_id=child.session_id,
                step_no=step_no,
                seq=seq,
                parent_id=parent_id,
                child=child,
                venue="NYSE",
                side="BUY",
                quantity=100,
                price=child.limit_price,
                fee=Decimal("0.30"),
                liquidity="M",
                sim_time=child.sim_time,
            )
            for seq in range(FILLS_PER_MESSAGE)
        )
        ParentOrder.objects.filter(pk=parent_id).update(filled_quantity=F("filled_quantity") + 100 * len(fills))
        parent = ParentOrder.objects.select_related("instrument").get(pk=parent_id)
        message = {
            "type": "fill",
            "parent": parent_payload(parent),
            "fills": [fill_payload(f) for f in fills],
            "venues": parent_venue_breakdown(parent),
            "reconciliation": parent_reconciliation(parent),
        }
        transaction.on_commit(
            lambda: streams.publish(streams.parent_group(parent_id), {**message, "committed_at": time.time()})
        )
    return [f.pk for f in fills]


async def _client(url: str, cookie: str, origin: str, stop: asyncio.Event, stats: dict, ready, drop_at: int) -> None:
    """One browser. It throws away its ``drop_at``-th fill message, as a lost one, so every
    client proves it recovers the fills through a resync."""
    import websockets

    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None) as ws:
        last_seq = None
        seen: set[int] = set()
        ready()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            received = time.time()
            message = json.loads(raw)
            if message["type"] == "snapshot":
                last_seq = message["seq"]
                seen.update(f["id"] for f in message["fills"])
                continue
            if last_seq is None or message["seq"] <= last_seq:
                continue
            if message["seq"] != last_seq + 1:  # a gap: resync from a snapshot, as the browser does
                last_seq = None
                stats["resyncs"] += 1
                await ws.send(json.dumps({"type": "resync"}))
                continue
            if message["type"] == "fill":
                drop_at -= 1
                if drop_at == 0:
                    stats["dropped"] += 1
                    continue
            last_seq = message["seq"]
            if message["type"] == "fill":
                stats["latencies"].append(received - message["committed_at"])
                seen.update(f["id"] for f in message["fills"])
        stats["seen"].append(seen)


async def _run(port: int, cookie: str, parent, child, clients: int) -> dict:
    from asgiref.sync import sync_to_async

    url = f"ws://127.0.0.1:{port}/ws/execution/{parent.pk}/"
    stats = {"latencies": [], "resyncs": 0, "dropped": 0, "seen": []}
    stop = asyncio.Event()
    connected = 0
    all_connected = asyncio.Event()

    def ready():
        nonlocal connected
        connected += 1
        if connected == clients:
            all_connected.set()

    tasks = [
        asyncio.create_task(
            _client(url, cookie, f"http://127.0.0.1:{port}", stop, stats, ready, drop_at=random.randrange(5, 60))
        )
        for _ in range(clients)
    ]
    await asyncio.wait_for(all_connected.wait(), timeout=60)
    await asyncio.sleep(1.0)  # every snapshot delivered
    published: list[int] = []
    publish = sync_to_async(_publish_step, thread_sensitive=True)
    began = time.monotonic()
    for step in range(DURATION_S * MESSAGES_PER_S):
        published += await publish(parent.pk, child, next(_STEP_NUMBERS))
        await asyncio.sleep(max(0.0, began + (step + 1) / MESSAGES_PER_S - time.monotonic()))
    await asyncio.sleep(2.0)  # the last messages arrive
    stop.set()
    await asyncio.gather(*tasks)
    latencies = sorted(stats["latencies"])
    missed = sum(len(set(published) - seen) for seen in stats["seen"])
    return {
        "p50": round(statistics.median(latencies) * 1000, 1),
        "p99": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1),
        "resyncs": stats["resyncs"],
        "dropped": stats["dropped"],
        "missed": missed,
        "received": len(latencies),
    }
