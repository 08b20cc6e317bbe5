"""Base websocket consumer: authorize, subscribe, snapshot, then forward.

Consumers only subscribe and forward (broadcasts come from services after commit).
A client gets a snapshot carrying the stream's current ``seq`` on connect, and asks
for a new one with ``{"type": "resync"}`` whenever it sees a gap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from . import streams

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
SERVICE_RESTART = 1012
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

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except redis.ConnectionError:
            # Redis went away under this socket's wait for messages: close it as a service
            # restart; the page reconnects, resubscribes and takes a snapshot.
            logger.warning("closing a %s socket: Redis is unavailable", type(self).__name__, exc_info=True)
            self._stop_keeping_subscribed()
            await send({"type": "websocket.close", "code": SERVICE_RESTART})

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(self.allowed)(user):
            await self.close(code=FORBIDDEN)
            return
        self.group = self.group_name()
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.redis_server = await sync_to_async(streams.redis_server_id)()
        await self.accept()
        await self.send_snapshot()
        self.keeping_subscribed = asyncio.ensure_future(self._keep_subscribed())

    async def disconnect(self, code):
        self._stop_keeping_subscribed()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _keep_subscribed(self):
        """Rejoin the group every few seconds: a Redis restart forgets every group (and
        channels_redis lets memberships expire after a day). When Redis is a new server,
        messages were lost in between, so the socket gets a fresh snapshot."""
        while True:
            await asyncio.sleep(settings.STREAM_RESUBSCRIBE_S)
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
                server = await sync_to_async(streams.redis_server_id)()
                if server != self.redis_server:
                    await self.send_snapshot()
                    self.redis_server = server
            except (redis.RedisError, OSError):
                continue  # still down: try again at the next beat
            except Exception:
                logger.exception("resubscribing a %s socket failed", type(self).__name__)

    def _stop_keeping_subscribed(self):
        if getattr(self, "keeping_subscribed", None) is not None:
            self.keeping_subscribed.cancel()

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
