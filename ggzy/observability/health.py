"""GET /healthz: is this web process able to serve? Three cheap checks, run together, each
within ``HEALTH_TIMEOUT_SECONDS``:

- ``database``: a fresh connection answers ``SELECT 1``;
- ``channel_layer``: a message sent to a new channel comes back (Redis in production);
- ``storage``: a small file can be written to and deleted from the default storage.

200 ``{"status": "ok", "checks": {...}}`` or 503 with ``"failed": [names]``; a failed check
says only the kind of error (an exception's text can carry a host or a DSN). Public: no
login, no session, no throttle; it says nothing about sections or bids.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views import View

OK = "ok"
Check = Callable[[], Awaitable[None]]


def _select_one() -> None:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # A fresh connection each time is the honest check, and a probe thread must not
        # keep one open (it would outlive the pool's next user of that thread).
        connection.close()


async def check_database() -> None:
    await sync_to_async(_select_one, thread_sensitive=False)()


async def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        return  # no layer configured: nothing of ours depends on one
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "health.ping":
        raise RuntimeError("unexpected message")


def _write_and_delete() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.probe", ContentFile(b"ok"))
    default_storage.delete(name)


async def check_storage() -> None:
    await sync_to_async(_write_and_delete, thread_sensitive=False)()


CHECKS: dict[str, Check] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "storage": check_storage,
}


async def _outcome(check: Check, timeout: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return "failed: timeout"
    except Exception as error:
        return f"failed: {type(error).__name__}"
    return OK


async def run_checks(checks: dict[str, Check] | None = None) -> dict[str, str]:
    chosen = CHECKS if checks is None else checks
    timeout = float(getattr(settings, "HEALTH_TIMEOUT_SECONDS", 2.0))
    outcomes = await asyncio.gather(*(_outcome(check, timeout) for check in chosen.values()))
    return dict(zip(chosen, outcomes, strict=True))


class HealthView(View):
    """GET /healthz (HEAD too): 200 when every check passes, else 503 naming the failed."""

    async def get(self, request: HttpRequest) -> JsonResponse:
        checks = await run_checks()
        failed = [name for name, outcome in checks.items() if outcome != OK]
        body: dict[str, object] = {"status": "failing" if failed else OK, "checks": checks}
        if failed:
            body["failed"] = failed
        response = JsonResponse(body, status=503 if failed else 200)
        add_never_cache_headers(response)  # a probe must never see a cached answer
        return response
