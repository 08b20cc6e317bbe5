"""A Redis crash loses the channel layer's groups and every stream's counter: open sockets
must keep getting messages afterwards, with sequence numbers that still only rise."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from smarttrading import streams
from smarttrading.asgi import application
from smarttrading.consumers import SERVICE_RESTART

from .test_thin_path import session_cookie_headers

pytestmark = pytest.mark.django_db(transaction=True)


class Page:
    """What stream.js does: snapshot on connect, resync on a gap, reconnect when closed."""

    def __init__(self, headers):
        self.headers, self.pings, self.closes, self.snapshots, self.highest = headers, [], [], 0, 0

    async def connect(self):
        self.socket = WebsocketCommunicator(application, "/ws/execution/", headers=self.headers)
        connected, _ = await self.socket.connect()
        assert connected
        self.take(await self.socket.receive_json_from(timeout=10))

    def take(self, message: dict) -> None:
        assert message["seq"] >= self.highest, "a stream's seq went backwards"
        self.highest = message["seq"]
        if message["type"] == "snapshot":
            self.snapshots += 1
            self.seq = message["seq"]
        elif self.seq is None or message["seq"] <= self.seq:
            return  # waiting for a snapshot, or already in the last one
        elif message["seq"] != self.seq + 1:
            self.seq = None
            self.resync = True
        else:
            self.seq = message["seq"]
            self.pings.append(message["n"])

    async def read(self, seconds: float) -> None:
        """Take what arrives for ``seconds``, as the page would."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            # receive_nothing waits without cancelling the consumer, as a timed-out receive would
            if await self.socket.receive_nothing(timeout=min(left, 0.1), interval=0.01):
                continue
            message = await self.socket.receive_output()
            if message["type"] == "websocket.close":
                self.closes.append(message["code"])
                await self.connect()
                continue
            self.resync = False
            self.take(json.loads(message["text"]))
            if self.resync:
                await self.socket.send_json_to({"type": "resync"})


async def open_pages(users, count: int) -> list[Page]:
    headers = await database_sync_to_async(session_cookie_headers)(users["supervisor1"])
    pages = [Page(headers) for _ in range(count)]
    for page in pages:
        await page.connect()
    return pages


async def test_open_sockets_get_messages_again_after_redis_restarts(users, restart_redis, settings):
    if restart_redis is None:
        pytest.skip("the tests run against an external Redis, which they do not restart")
    settings.STREAM_RESUBSCRIBE_S = 0.5
    pages = await open_pages(users, 3)
    publish = sync_to_async(streams.publish)

    # given three open pages that got a message
    await publish(streams.EXECUTION_GROUP, {"type": "ping", "n": 1})
    await asyncio.gather(*(page.read(1) for page in pages))
    assert [page.pings for page in pages] == [[1], [1], [1]]
    seq_before = [page.seq for page in pages]

    # when Redis crashes and comes back empty, and the pages wait past a resubscribe beat
    await sync_to_async(restart_redis)()
    await asyncio.gather(*(page.read(2) for page in pages))

    # then every page gets what is published next, with a higher seq than before the crash
    await publish(streams.EXECUTION_GROUP, {"type": "ping", "n": 2})
    await asyncio.gather(*(page.read(1) for page in pages))
    assert [page.pings for page in pages] == [[1, 2], [1, 2], [1, 2]]
    assert all(page.seq > before for page, before in zip(pages, seq_before, strict=True))
    # a socket whose wait for messages met the crash was closed as a restart, and the page
    # reconnected; one that stayed open rejoined its group. Either way it took a new snapshot.
    assert {code for page in pages for code in page.closes} <= {SERVICE_RESTART}
    assert [page.snapshots for page in pages] == [2, 2, 2]
    for page in pages:
        await page.socket.disconnect()


async def test_open_sockets_rejoin_their_group_when_redis_forgets_it(users, redis_server, settings):
    settings.STREAM_RESUBSCRIBE_S = 0.5
    pages = await open_pages(users, 2)
    publish = sync_to_async(streams.publish)

    # when Redis loses every key with the connections still up (as when a group expires)
    await sync_to_async(redis_server.flushdb)()
    await asyncio.gather(*(page.read(1) for page in pages))

    # then the sockets are back in the group after a beat and get what is published, with no close
    await publish(streams.EXECUTION_GROUP, {"type": "ping", "n": 1})
    await asyncio.gather(*(page.read(1) for page in pages))
    assert [page.pings for page in pages] == [[], []]  # the counter restarted higher: a gap ...
    assert [page.snapshots for page in pages] == [2, 2]  # ... so each page resynced
    await publish(streams.EXECUTION_GROUP, {"type": "ping", "n": 2})
    await asyncio.gather(*(page.read(1) for page in pages))
    assert [page.pings for page in pages] == [[2], [2]]
    assert [page.closes for page in pages] == [[], []]
    for page in pages:
        await page.socket.disconnect()
