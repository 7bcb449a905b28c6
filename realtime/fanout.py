"""One channel-layer member per hall and process, handing each broadcast to the process's
sockets in that hall.

With a group member per socket, channels_redis wakes every socket's own receive loop for each
event (a shared lock, two tasks and a wait per socket); here a process joins a hall's group
once, with a channel of its own, and one reader hands every broadcast to the local sockets of
that hall directly. The broadcast is the event rendered once (realtime/events.py); each socket
still checks the number (sent once, in order, gaps filled from the database).

A socket joins before it reads its snapshot (docs/hall-protocol.md): ``join`` returns once the
process's channel is in the group, so every event committed after the snapshot reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from realtime import events

logger = logging.getLogger(__name__)
REJOIN_SECONDS = 1.0


class Listener(Protocol):
    def ready_for(self, sequence: int) -> bool:
        """Whether the event numbered ``sequence`` can be sent at once (nothing to catch up,
        no send in progress)."""
        ...

    async def hall_event(self, message: dict[str, Any]) -> None: ...


@dataclass
class _Feed:
    channel: str
    listeners: set[Listener] = field(default_factory=set)
    reader: asyncio.Task[None] | None = None


class Fanout:
    """The feeds of one event loop (daphne runs one; tests run several, one after another)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.feeds: dict[int, _Feed] = {}
        self.joining: dict[int, asyncio.Lock] = {}
        self.handing: set[asyncio.Task[None]] = set()

    async def join(self, hall_id: int, listener: Listener) -> None:
        feed = self.feeds.get(hall_id)
        if feed is None:
            async with self.joining.setdefault(hall_id, asyncio.Lock()):
                feed = self.feeds.get(hall_id)
                if feed is None:
                    # The layer's default prefix: channels_redis receives every channel of a
                    # process through one key and one lock; a channel on a key of its own
                    # would wait for the sockets' receive loops to let go of that lock.
                    channel = await self.layer.new_channel()
                    await self.layer.group_add(events.group_name(hall_id), channel)
                    feed = _Feed(channel)
                    feed.reader = asyncio.create_task(self._read(feed, hall_id))
                    self.feeds[hall_id] = feed
        feed.listeners.add(listener)

    async def leave(self, hall_id: int, listener: Listener) -> None:
        feed = self.feeds.get(hall_id)
        if feed is None:
            return
        feed.listeners.discard(listener)
        if feed.listeners:
            return
        del self.feeds[hall_id]  # a socket joining from now on starts a new feed
        if feed.reader is not None:
            feed.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed.reader
        await self.layer.group_discard(events.group_name(hall_id), feed.channel)

    async def _read(self, feed: _Feed, hall_id: int) -> None:
        while True:
            try:
                message = await self.layer.receive(feed.channel)
            except Exception:
                # Redis restarting or unreachable: the sockets' heartbeats keep the stream
                # whole meanwhile (from the database); join again — a restarted Redis lost the
                # group — and go on reading.
                logger.warning("hall %s: the channel layer failed; joining again", hall_id)
                await asyncio.sleep(REJOIN_SECONDS)
                with contextlib.suppress(Exception):
                    await self.layer.group_add(events.group_name(hall_id), feed.channel)
                continue
            if message.get("type") != "hall.event":
                continue
            sequence = message["sequence"]
            for listener in list(feed.listeners):
                if listener.ready_for(sequence):
                    # The common case, handed over in place: a task per socket and event was
                    # the largest single cost of a socket process (profiled: docs/benchmarks.md).
                    await self._hand(listener, message)
                    continue
                # A socket catching up from the database (or sending) gets a task, so it holds
                # no other back; asyncio starts tasks in order and the socket's send lock is
                # fair, so it still handles its broadcasts in the order they came.
                task = asyncio.create_task(self._hand(listener, message))
                self.handing.add(task)  # held until done: the loop keeps only weak references
                task.add_done_callback(self.handing.discard)

    @staticmethod
    async def _hand(listener: Listener, message: dict[str, Any]) -> None:
        try:
            await listener.hall_event(message)
        except Exception:  # one socket's failure (closed meanwhile) is not the others'
            logger.info("hall event not handed to a socket", exc_info=True)


_by_loop: dict[asyncio.AbstractEventLoop, Fanout] = {}


def for_this_loop(layer: Any) -> Fanout:
    loop = asyncio.get_running_loop()
    for stale in [other for other in _by_loop if other.is_closed()]:
        del _by_loop[stale]
    fanout = _by_loop.get(loop)
    if fanout is None:
        fanout = _by_loop[loop] = Fanout(layer)
    return fanout
