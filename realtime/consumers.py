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
import random
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from ggzy import clock
from realtime import events, snapshot
from realtime.models import Hall

HEARTBEAT_SECONDS = 5.0


class HallConsumer(AsyncJsonWebsocketConsumer):
    hall_id: int
    group: str
    sent: int
    heartbeat: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One sender at a time: the heartbeat's catch-up and a live broadcast both await the
        # database; without the lock they could each send the same event.
        self.sending = asyncio.Lock()
        self.last_event_at = time.monotonic()

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        try:
            self.hall_id = await database_sync_to_async(self._hall_id)(code)
        except (Http404, Hall.DoesNotExist):
            await self.close(code=4404)
            return
        self.group = events.group_name(self.hall_id)
        # Join before reading the snapshot: an event committed in between arrives after
        # the snapshot and is either skipped (already in it) or sent (newer).
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_snapshot()
        self.heartbeat = asyncio.create_task(self._beat())

    def _hall_id(self, code: str) -> int:
        return snapshot.hall_for(self.scope["user"], code).pk

    async def send_snapshot(self) -> None:
        async with self.sending:
            state = await database_sync_to_async(self._snapshot)()
            self.sent = state["sequence"]
            await self.send_json(state)

    def _snapshot(self) -> dict[str, Any]:
        hall = Hall.objects.select_related("section", "section__project").get(pk=self.hall_id)
        return snapshot.snapshot(hall, self.scope["user"])

    async def hall_event(self, message: dict[str, Any]) -> None:
        event = message["message"]
        async with self.sending:
            if event["sequence"] > self.sent + 1:
                await self._catch_up(up_to=event["sequence"] - 1)
            await self._deliver(event)
        self.last_event_at = time.monotonic()

    async def _deliver(self, event: dict[str, Any]) -> None:
        """Send an event unless it was already sent (the lock is held)."""
        if event["sequence"] <= self.sent:
            return
        await self.send_json(event)
        self.sent = event["sequence"]

    async def _catch_up(self, up_to: int | None = None) -> None:
        missed = await database_sync_to_async(events.events_after)(
            self.hall_id, self.sent, up_to=up_to
        )
        for event in missed:
            await self._deliver(event)

    async def _beat(self) -> None:
        # Spread the clients' heartbeats, and skip the database while events are flowing (a
        # flowing stream reveals a gap by itself): daphne runs these queries on one thread.
        await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))  # noqa: S311  # nosec B311 # jitter, not security
        while True:
            if time.monotonic() - self.last_event_at >= HEARTBEAT_SECONDS:
                current = await database_sync_to_async(self._current_sequence)()
                if current > self.sent:
                    async with self.sending:
                        await self._catch_up()
            await self.send_json(
                {"type": "tick", "sequence": self.sent, "server_time": clock.epoch_ms()}
            )
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def _current_sequence(self) -> int:
        return int(Hall.objects.filter(pk=self.hall_id).values_list("sequence", flat=True).get())

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
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
