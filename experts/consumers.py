"""Live progress of an evaluation over websockets: ``/ws/evaluations/<id>/``.

The same pattern as the opening hall (realtime/consumers.py), smaller: permission is checked
before joining the group; on (re)connect the client gets the progress snapshot; each change
is broadcast after commit as the whole snapshot with its sequence (experts/progress.py); a
heartbeat compares the stored sequence and resends the snapshot when a broadcast was lost.
The client sends nothing: any frame it sends is ignored. Experts need the second factor here
too (their session's verified device), as on their pages.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import Role
from experts import access, progress
from experts.models import Evaluation

HEARTBEAT_SECONDS = 10.0


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    evaluation_id: int
    sent: int = -1
    heartbeat: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        try:
            self.evaluation_id = await database_sync_to_async(self._evaluation_id)()
        except (Http404, PermissionError):
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(
            progress.group_name(self.evaluation_id), self.channel_name
        )
        await self.accept()
        await self._send_current()
        self.heartbeat = asyncio.create_task(self._beat())

    def _evaluation_id(self) -> int:
        user = self.scope["user"]
        evaluation, _member = access.evaluation_for(user, self.scope["url_route"]["kwargs"]["pk"])
        verified = bool(self.scope.get("session", {}).get(DEVICE_ID_SESSION_KEY))
        if getattr(user, "role", "") == Role.EXPERT and not verified:
            raise PermissionError  # the expert's pages ask for the second factor first
        return evaluation.pk

    def _snapshot(self) -> dict[str, Any]:
        return progress.snapshot(Evaluation.objects.get(pk=self.evaluation_id))

    async def _send_current(self) -> None:
        state = await database_sync_to_async(self._snapshot)()
        if state["sequence"] > self.sent:
            self.sent = state["sequence"]
            await self.send_json(state)

    async def progress_changed(self, message: dict[str, Any]) -> None:
        state = message["message"]
        if state["sequence"] > self.sent:
            self.sent = state["sequence"]
            await self.send_json(state)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self._send_current()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None  # the stream is one-way

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.heartbeat
        if hasattr(self, "evaluation_id"):
            await self.channel_layer.group_discard(
                progress.group_name(self.evaluation_id), self.channel_name
            )
