"""What each log line is about: the request, websocket connection or task that wrote it.

- HTTP: :class:`RequestLogContextMiddleware` (after authentication in settings' MIDDLEWARE)
  binds ``request_id`` (the proxy's ``X-Request-ID`` when it is a plausible id, else a new
  one; echoed in the response) and ``user_id``.
- Websockets: :class:`WebsocketLogContext` wraps the router inside the auth middleware
  (config/asgi.py) and binds a ``request_id`` per connection and ``user_id``; it also keeps
  the open-connections gauge (ggzy/observability/metrics.py).
- Celery: ``logs.connect_task_context`` binds ``task_id`` and ``task`` for each task run.

Binding uses structlog's context variables: each request, connection and task runs in a
context of its own, so nothing leaks from one to the next.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from ggzy.observability import metrics

_PLAUSIBLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_HEADER = "X-Request-ID"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def request_id_from(header: str | None) -> str:
    """The proxy's id when it looks like one (nginx's $request_id), else a new one: a
    header is client input and must not inject text into log lines."""
    if header and _PLAUSIBLE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _user_id(user: Any) -> int | str | None:
    if user is not None and getattr(user, "is_authenticated", False):
        pk: int | str | None = user.pk
        return pk
    return None


class RequestLogContextMiddleware:
    """Binds request_id and user_id for every line logged while the request is handled.

    Not unbound on the way out: Django logs a refusal after the middleware has returned
    (BaseHandler.get_response), and that line needs the ids too. The next request in the
    same context starts by clearing them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        user_id = _user_id(getattr(request, "user", None))
        if user_id is not None:
            structlog.contextvars.bind_contextvars(user_id=user_id)
        response = self.get_response(request)
        if REQUEST_ID_HEADER not in response:
            response[REQUEST_ID_HEADER] = request_id
        return response


def _scope_user_id(scope: Scope) -> int | str | None:
    try:
        return _user_id(scope.get("user"))
    except ValueError:  # channels' lazy user, not resolved yet: wrapped outside the auth
        return None


class WebsocketLogContext:
    """ASGI middleware for the websocket router: log context per connection and the
    open-connections gauge (incremented when the consumer accepts, decremented when the
    connection's application returns, however it ends)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=uuid.uuid4().hex)
        user_id = _scope_user_id(scope)
        if user_id is not None:
            structlog.contextvars.bind_contextvars(user_id=user_id)
        accepted = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            if message.get("type") == "websocket.accept" and not accepted:
                accepted = True
                metrics.websocket_connected()

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                metrics.websocket_disconnected()
