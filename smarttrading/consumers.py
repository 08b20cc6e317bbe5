"""Base websocket consumer: authorize, subscribe, snapshot, then forward.

Consumers only subscribe and forward (broadcasts come from services after commit).
A client gets a snapshot carrying the stream's current ``seq`` on connect, and asks
for a new one with ``{"type": "resync"}`` whenever it sees a gap.
"""

from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from . import streams

FORBIDDEN = 4403
SNAPSHOT_REUSE_S = 1.0

# group -> (event loop, seq, built at, the build). A snapshot is a function of its group's
# state, so sockets joining at the same seq share one build: after a restart or a network
# blip every browser reconnects at once, and building each one's snapshot in turn kept the
# live messages waiting for seconds (bench/ws.py).
_snapshots: dict[str, tuple[asyncio.AbstractEventLoop, int, float, asyncio.Future]] = {}


async def _shared_snapshot(consumer: StreamConsumer, seq: int) -> str:
    loop, now = asyncio.get_running_loop(), time.monotonic()
    entry = _snapshots.get(consumer.group)
    if entry is None or entry[:2] != (loop, seq) or now - entry[2] > SNAPSHOT_REUSE_S:
        for group, (_, _, built, _) in list(_snapshots.items()):
            if now - built > SNAPSHOT_REUSE_S:
                del _snapshots[group]
        build = asyncio.ensure_future(database_sync_to_async(consumer.snapshot_text)(seq))
        entry = _snapshots[consumer.group] = (loop, seq, now, build)
    try:
        return await asyncio.shield(entry[3])
    except Exception:
        if _snapshots.get(consumer.group) is entry:
            del _snapshots[consumer.group]
        raise


class StreamConsumer(AsyncWebsocketConsumer):
    def allowed(self, user) -> bool:  # runs in a thread: may query the database
        raise NotImplementedError

    def group_name(self) -> str:
        raise NotImplementedError

    def snapshot(self) -> dict:  # runs in a thread
        raise NotImplementedError

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(self.allowed)(user):
            await self.close(code=FORBIDDEN)
            return
        self.group = self.group_name()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_snapshot()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "{}")
        except ValueError:
            return
        if message.get("type") == "resync":
            await self.send_snapshot()

    async def send_snapshot(self):
        # Read the sequence number before the data: everything up to it is in the snapshot.
        seq = await sync_to_async(streams.current_seq)(self.group)
        await self.send(text_data=await _shared_snapshot(self, seq))

    def snapshot_text(self, seq: int) -> str:  # runs in a thread
        return json.dumps({"type": "snapshot", "seq": seq, **self.snapshot()}, cls=DjangoJSONEncoder)

    async def stream_message(self, event):
        await self.send(text_data=event["text"])
