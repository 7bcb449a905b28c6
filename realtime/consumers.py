"""The opening hall over websockets: ``/ws/halls/<section code>/``.

On (re)connect the client gets a snapshot (stage, absolute server-time deadlines, tables, the
sequence number it reflects), then every event after it exactly once, in order. Events are
stored before they are broadcast, so this consumer fills any gap from the database: when a
broadcast arrives with a number beyond the next, and on a heartbeat that compares with the
hall's current number — which also covers broadcasts lost to a channel-layer reconnect.
See docs/hall-protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.http import Http404

from ggzy import clock
from realtime import access, events, fanout, snapshot
from realtime.fanout import Fanout
from realtime.known_sequences import KnownSequences
from realtime.models import Hall

HEARTBEAT_SECONDS = 5.0
NO_SNAPSHOT = -1
# One database query per hall and process for this many seconds serves every socket's
# heartbeat: a broadcast lost to a whole process is caught up within this plus a heartbeat.
KNOWN = KnownSequences(max_age=HEARTBEAT_SECONDS / 2)
# What a client may send (docs/hall-protocol.md): small JSON commands, a few a second. The
# browser page sends a ping every 30 s and a resync at most every 250 ms after events.
MAX_MESSAGE_BYTES = 4096
RATE_PER_SECOND = 5.0  # token bucket per connection: refill rate …
RATE_BURST = 20  # … and size
ABUSE_STRIKES = 50  # refused messages in a row before the socket is closed with 1008
COMMANDS = frozenset({"ping", "resync"})
ERRORS = {
    "bad_frame": "无法解析的消息，请发送 JSON 文本消息 / Malformed message: send JSON text frames",
    "binary": "不接受二进制消息，请发送 JSON 文本消息 / Binary frames are not accepted: send JSON "
    "text frames",
    "too_large": f"消息过大（上限 {MAX_MESSAGE_BYTES} 字节） / Message too large (the limit is "
    f"{MAX_MESSAGE_BYTES} bytes)",
    "bad_message": "未知的消息，可用的消息类型：ping、resync / Unknown message: the types are ping "
    "and resync",
    "rate_limited": f"消息过于频繁，请放慢（每秒至多 {RATE_PER_SECOND:g} 条）；持续过量将断开连接 / "
    f"Too many messages: slow down (at most {RATE_PER_SECOND:g} a second); a sustained flood "
    "closes the connection",
}
logger = logging.getLogger(__name__)


class HallConsumer(AsyncJsonWebsocketConsumer):
    hall_id: int
    fanout: Fanout
    joined = False
    sent: int
    heartbeat: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One sender at a time: the heartbeat's catch-up and a live broadcast both await the
        # database; without the lock they could each send the same event.
        self.sending = asyncio.Lock()
        # The last event this socket has sent; NO_SNAPSHOT until its snapshot is out.
        self.sent = NO_SNAPSHOT
        self.last_event_at = time.monotonic()
        self.tokens = float(RATE_BURST)
        self.refilled_at = time.monotonic()
        self.strikes = 0

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        try:
            self.hall_id = await database_sync_to_async(self._hall_id)(code)
        except (Http404, Hall.DoesNotExist):
            await self.close(code=4404)
            return
        # Join before reading the snapshot: an event committed in between arrives after
        # the snapshot and is either skipped (already in it) or sent (newer). The process
        # joins the hall's group once for all its sockets (realtime/fanout.py).
        self.fanout = fanout.for_this_loop(self.channel_layer)
        await self.fanout.join(self.hall_id, self)
        self.joined = True
        try:
            await self.accept()
            await self.send_snapshot()
        except BaseException:
            # A handshake daphne gave up on meanwhile (it allows 5 s): no disconnect follows,
            # so leave the hall's feed here rather than stay in it for good.
            self.joined = False
            await self.fanout.leave(self.hall_id, self)
            raise
        self.heartbeat = asyncio.create_task(self._beat())

    def _hall_id(self, code: str) -> int:
        return access.hall_for(self.scope["user"], code).pk

    async def send_snapshot(self) -> None:
        async with self.sending:
            state = await database_sync_to_async(self._snapshot)()
            self.sent = state["sequence"]
            await self.send_json(state)

    def _snapshot(self) -> dict[str, Any]:
        hall = Hall.objects.select_related("section", "section__project").get(pk=self.hall_id)
        return snapshot.snapshot(hall, self.scope["user"])

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch first closes stale database connections — a hop to the one
        thread daphne runs database calls on, for every message to every socket: with
        hundreds of sockets per process each event queued hundreds of hops there, ahead of
        the host's request. This consumer touches the database only through
        ``database_sync_to_async``, which closes stale connections itself, on that thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def ready_for(self, sequence: int) -> bool:
        return self.sent != NO_SNAPSHOT and sequence == self.sent + 1 and not self.sending.locked()

    async def hall_event(self, message: dict[str, Any]) -> None:
        """A broadcast: ``sequence`` and the event's rendered ``text`` (realtime/events.py)."""
        sequence, text = message["sequence"], message["text"]
        KNOWN.saw(self.hall_id, sequence)
        async with self.sending:
            if self.sent == NO_SNAPSHOT:
                # The process's feed hands this socket events from its join on; one that comes
                # before the snapshot is read was committed before it, so the snapshot has it.
                return
            if sequence > self.sent + 1:
                await self._catch_up(up_to=sequence - 1)
            await self._deliver(sequence, text)
        self.last_event_at = time.monotonic()

    async def _deliver(self, sequence: int, text: str) -> None:
        """Send an event unless it was already sent (the lock is held)."""
        if sequence <= self.sent:
            return
        await self.send(text_data=text)
        self.sent = sequence

    async def _catch_up(self, up_to: int | None = None) -> None:
        missed = await database_sync_to_async(events.events_after)(
            self.hall_id, self.sent, up_to=up_to
        )
        for event in missed:
            await self._deliver(event["sequence"], events.as_text(event))

    async def _beat(self) -> None:
        # Spread the clients' heartbeats, and skip the database while events are flowing (a
        # flowing stream reveals a gap by itself): daphne runs these queries on one thread.
        await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))  # noqa: S311  # nosec B311 # jitter, not security
        while True:
            if time.monotonic() - self.last_event_at >= HEARTBEAT_SECONDS:
                latest = await KNOWN.latest(self.hall_id, self._stored_sequence)
                if latest > self.sent:
                    async with self.sending:
                        await self._catch_up()
            await self.send_json(
                {"type": "tick", "sequence": self.sent, "server_time": clock.epoch_ms()}
            )
            await asyncio.sleep(HEARTBEAT_SECONDS)

    @staticmethod
    @database_sync_to_async
    def _stored_sequence(hall_id: int) -> int:
        return int(Hall.objects.filter(pk=hall_id).values_list("sequence", flat=True).get())

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Every client frame, checked before it is decoded: its rate, size and shape. A bad
        one is answered with an error message and the socket stays (an exception here would
        close it with 1011 and log a traceback)."""
        if not self._take_token():
            self.strikes += 1
            if self.strikes == 1:  # once per run of refusals: a flood is not amplified
                await self._error("rate_limited")
            elif self.strikes == ABUSE_STRIKES:
                logger.info("hall socket %s closed: sustained flood", self.channel_name)
                await self.close(code=1008)
            return
        self.strikes = 0
        if text_data is None:
            await self._error("bad_frame", detail=ERRORS["binary"])
            return
        if len(text_data) > MAX_MESSAGE_BYTES or len(text_data.encode()) > MAX_MESSAGE_BYTES:
            await self._error("too_large")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays
            await self._error("bad_frame")
            return
        if not isinstance(content, dict) or content.get("type") not in COMMANDS:
            await self._error("bad_message")
            return
        await self.receive_json(content)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.refilled_at) * RATE_PER_SECOND)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _error(self, code: str, *, detail: str | None = None) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail or ERRORS[code]})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            await self.send_snapshot()
        elif kind == "ping":
            await self.send_json(
                {"type": "pong", "server_time": clock.epoch_ms(), "echo": content.get("t")}
            )

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.heartbeat
        if self.joined:
            await self.fanout.leave(self.hall_id, self)


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Every websocket path no route knows: refused at the handshake (4404; daphne answers
    HTTP 403), not a 500 with a traceback."""

    async def connect(self) -> None:
        await self.close(code=4404)
