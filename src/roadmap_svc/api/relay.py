"""The relay behind GET /v1/stream: the views' announcements, heard on one LISTEN connection
(asyncpg, reconnecting by itself), kept for a while and passed to each open stream.

Event ids are `<process epoch>-<sequence>`: a client that reconnects with `Last-Event-ID` gets
what it missed while it is still kept here, else (this process restarted, or it missed too
much) a `reset` event that says: read everything again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import msgspec
from litestar.response import ServerSentEventMessage

from roadmap_svc.projections.announcements import CHANNEL, Announcement
from roadmap_svc.storage.availability import describe
from roadmap_svc.storage.database import DatabaseTarget

logger = logging.getLogger(__name__)
KEPT = 2_000  # announcements kept for clients that reconnect
QUEUE = 1_000  # announcements a slow client may fall behind by before it gets a reset
KEEPALIVE_SECONDS = 15.0
RECONNECT_SECONDS = 1.0
Item = tuple[int, str, str]  # (sequence, event, data); its id is "<epoch>-<sequence>"
_DECODER = msgspec.json.Decoder(Announcement)


class ViewAnnouncements:
    """The relay: one LISTEN connection, the recent announcements, the open streams."""

    def __init__(self, target: DatabaseTarget) -> None:
        self._target = target
        self._epoch = uuid.uuid4().hex[:8]
        self._sequence = 0
        self._recent: deque[Item] = deque(maxlen=KEPT)
        self._streams: set[asyncio.Queue[Item | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        # Told of each announcement in this process, parsed: (view, changed) or (None, None)
        # when the relay may have missed some (it lost its link).
        self._hearers: list[Callable[[Announcement | None], None]] = []

    def tell(self, hearer: Callable[[Announcement | None], None]) -> None:
        self._hearers.append(hearer)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="view-announcements")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in self._streams:
            queue.put_nowait(None)

    async def _listen(self) -> None:
        lost = False
        while True:
            conn: asyncpg.Connection[Any] | None = None
            try:
                conn = await asyncpg.connect(
                    host=self._target.host,
                    port=self._target.port,
                    user=self._target.user,
                    password=self._target.password or None,
                    database=self._target.dbname,
                    timeout=5,
                )
                await conn.add_listener(CHANNEL, self._heard)
                self.listening.set()
                if lost:  # announcements may have been missed meanwhile
                    self._tell(None)
                    self._publish("reset", '{"reason": "the service lost its database link"}')
                while not conn.is_closed():
                    await asyncio.sleep(KEEPALIVE_SECONDS)
                    await conn.execute("SELECT 1")  # notices a dead link
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                logger.warning(
                    "live updates: lost the database link (%s); reconnecting", describe(exc)
                )
            finally:
                self.listening.clear()
                self._tell(None)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            lost = True
            await asyncio.sleep(RECONNECT_SECONDS)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            heard: Announcement | None = _DECODER.decode(str(payload))
        except msgspec.DecodeError:
            heard = None
        self._tell(heard)
        self._publish("views", str(payload))

    def _tell(self, heard: Announcement | None) -> None:
        for hearer in self._hearers:
            hearer(heard)

    def _publish(self, event: str, data: str) -> None:
        self._sequence += 1
        item = (self._sequence, event, data)
        self._recent.append(item)
        for queue in list(self._streams):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:  # too slow: it starts over
                self._streams.discard(queue)
                queue.put_nowait(None)

    def missed_since(self, last_id: str) -> list[Item] | None:
        """What came after `last_id`, or None when that is not known here any more."""
        epoch, _, number = last_id.partition("-")
        if epoch != self._epoch or not number.isdigit():
            return None
        after = int(number)
        if after > self._sequence:
            return None
        oldest = self._recent[0][0] if self._recent else self._sequence + 1
        if after + 1 < oldest:
            return None
        return [item for item in self._recent if item[0] > after]

    def _message(self, item: Item) -> ServerSentEventMessage:
        sequence, event, data = item
        return ServerSentEventMessage(data=data, event=event, id=f"{self._epoch}-{sequence}")

    async def follow(self, last_id: str | None) -> AsyncIterator[ServerSentEventMessage]:
        queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=QUEUE)
        self._streams.add(queue)
        try:
            if last_id:
                missed = self.missed_since(last_id)
                if missed is None:
                    yield _reset("the stream cannot resume from that id; read everything again")
                else:
                    for kept in missed:
                        yield self._message(kept)
            yield ServerSentEventMessage(comment="following", retry=2000)
            while True:
                try:
                    heard = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                if heard is None:
                    yield _reset("this stream fell behind or the service stops")
                    return
                yield self._message(heard)
        finally:
            self._streams.discard(queue)


def _reset(reason: str) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=f'{{"reason": "{reason}"}}', event="reset")
