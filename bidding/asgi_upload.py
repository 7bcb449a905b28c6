"""The tus PATCH with its body streamed: bytes go from the ASGI server to the part in storage
as they arrive, instead of being spooled to a temporary file first.

Django's ``ASGIHandler`` reads a whole request body into a ``SpooledTemporaryFile`` before
the view runs, so every uploaded byte was written twice on the server (docs/benchmarks.md).
``StreamingUploadHandler`` is the same handler — the same middleware, session and API-token
authentication, CSRF, throttling, the same DRF view (``bidding.api.UploadResource``) and
service (``bidding.services.upload_append``) — except that the request's body is a
``BodyPipe``: an event-loop task receives the ASGI body messages and hands them, in batches of
``PIPE_BATCH`` bytes with at most ``PIPE_DEPTH`` batches waiting, to the view's thread, which
stores and hashes them as they come. Memory per request stays bounded whatever the part's
size. ``UploadRouter`` sends only ``PATCH /api/bids/uploads/<id>`` there; every other request
(and Django's test client, which never goes through ASGI) takes the ordinary path.

A client that disconnects mid-body ends the stream early: the bytes that arrived are stored
as a shorter part (tus lets a server keep what it received), and the client resumes from the
offset ``HEAD`` reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import queue
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.urls import Resolver404, resolve

# The shapes django-stubs gives ``ASGIHandler``.
Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_ROUTE = "api:upload"
# Handing bytes between the event loop and the storing thread costs a thread hop per batch:
# daphne delivers 8 KiB messages, so they are gathered into batches of this size first.
PIPE_BATCH = 1 << 20
# Batches received but not yet stored; the receiving task waits beyond this, so one request
# holds at most PIPE_DEPTH × PIPE_BATCH bytes in memory (daphne itself holds more: it queues
# a request's whole body before the application runs).
PIPE_DEPTH = 4


class BodyPipe(io.RawIOBase):
    """A request body read by the view's thread while the event loop still receives it."""

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._receive = receive
        self._loop = loop
        self._batches: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._room = asyncio.Semaphore(PIPE_DEPTH)
        self._batch = b""
        self._position = 0
        self._ended = False
        self.received_all = asyncio.Event()
        self.disconnected = False

    async def pump(self) -> None:
        """Receive the body messages and hand them on in batches (an event-loop task)."""
        pending = bytearray()
        try:
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    return
                pending += message.get("body", b"")
                more = bool(message.get("more_body", False))
                if pending and (len(pending) >= PIPE_BATCH or not more):
                    await self._room.acquire()
                    self._batches.put(bytes(pending))
                    pending.clear()
                if not more:
                    return
        finally:
            if pending:  # what arrived before a disconnect is still the client's bytes
                self._batches.put(bytes(pending))
            self._batches.put(None)
            self.received_all.set()

    async def after_body(self) -> Message:
        """``receive`` for Django's disconnect listener: it may only look past the body. A
        client gone mid-body is not reported: Django would cancel the view, and the bytes
        that did arrive are to be stored (the view finishes; its answer goes nowhere)."""
        await self.received_all.wait()
        if self.disconnected:
            await asyncio.Future()  # never: the listener is cancelled when the view is done
        return await self._receive()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left if negative); ``b""`` only at the end."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(PIPE_BATCH), b""))
        if self._position >= len(self._batch) and not self._next_batch():
            return b""
        piece = self._batch[self._position : self._position + size]
        self._position += len(piece)
        return piece

    def _next_batch(self) -> bool:
        if self._ended:
            return False
        batch = self._batches.get()  # blocks this (the view's) thread, never the event loop
        if batch is None:
            self._ended = True
            self._batch, self._position = b"", 0
            return False
        self._loop.call_soon_threadsafe(self._room.release)
        self._batch, self._position = batch, 0
        return True


class _PipeReceive:
    """The ``receive`` handed to ``ASGIHandler.handle``: it carries the pipe to ``read_body``."""

    def __init__(self, pipe: BodyPipe) -> None:
        self.pipe = pipe

    async def __call__(self) -> Message:
        return await self.pipe.after_body()


class StreamingUploadHandler(ASGIHandler):
    """Django's ASGI handler, except that the body is streamed to the view, not spooled."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        pipe = BodyPipe(receive, asyncio.get_running_loop())
        pump = asyncio.create_task(pipe.pump())
        try:
            await super().handle(scope, _PipeReceive(pipe), send)
        finally:
            # The view may answer without reading the body (a refusal, a wrong offset): the
            # rest of it is not wanted.
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def read_body(self, receive: Any) -> Any:
        assert isinstance(receive, _PipeReceive)  # nosec B101 # handle() always passes one
        return receive.pipe


def is_upload_patch(scope: Scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") != "PATCH":
        return False
    try:
        match = resolve(scope.get("path", ""))
    except Resolver404:
        return False
    return match.view_name == UPLOAD_ROUTE


class UploadRouter:
    """Sends the tus PATCH to ``upload``, everything else to ``default``."""

    def __init__(self, *, default: ASGIApp, upload: ASGIApp) -> None:
        self.default = default
        self.upload = upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.upload if is_upload_patch(scope) else self.default
        await app(scope, receive, send)
