"""Base websocket consumer: authorize, subscribe, snapshot, then forward.

Consumers only subscribe and forward (broadcasts come from services after commit).
A client gets a snapshot carrying the stream's current ``seq`` on connect, and asks
for a new one with ``{"type": "resync"}`` whenever it sees a gap.
"""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from . import streams

FORBIDDEN = 4403


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
        data = await database_sync_to_async(self.snapshot)()
        await self.send(text_data=json.dumps({"type": "snapshot", "seq": seq, **data}, cls=DjangoJSONEncoder))

    async def stream_message(self, event):
        await self.send(text_data=event["text"])
