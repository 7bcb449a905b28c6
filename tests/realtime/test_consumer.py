"""The hall consumer: snapshot first, then each event once and in order — a dropped
broadcast is filled in from the stored events."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from config.asgi import application
from realtime import events
from realtime.hall import locked
from tests.realtime.conftest import Opening
from tests.trading.conftest import draft, holders, project, tenderee  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def emit(hall_id: int, kind: str, *, drop: bool = False) -> None:
    original = events.broadcast
    if drop:
        events.broadcast = lambda *args, **kwargs: None
    try:
        with transaction.atomic():
            events.emit(locked(hall_id), kind, {"note": kind})
    finally:
        events.broadcast = original


def test_a_client_gets_a_snapshot_then_every_event_once_even_when_a_broadcast_is_lost(
    opening: Opening,
) -> None:
    code, hall_id = opening.section.code, opening.hall.pk

    async def scenario() -> list[dict[str, Any]]:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/halls/{code}/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
        )
        connected, _ = await communicator.connect()
        assert connected

        async def next_message() -> dict[str, Any]:
            # Heartbeat ticks may come at any time (they carry no event): skip them.
            while (message := await communicator.receive_json_from(timeout=5))["type"] == "tick":
                pass
            return message

        async def nothing_more() -> bool:
            # receive_nothing peeks without consuming (a timed-out receive would cancel the app).
            while not await communicator.receive_nothing(timeout=0.5):
                if (await communicator.receive_json_from())["type"] != "tick":
                    return False
            return True

        received = [await next_message()]
        await sync_to_async(emit)(hall_id, "first")
        await sync_to_async(emit)(hall_id, "lost", drop=True)
        await sync_to_async(emit)(hall_id, "third")
        for _ in range(3):
            received.append(await next_message())
        assert await nothing_more()
        await communicator.disconnect()
        return received

    snapshot, *stream = async_to_sync(scenario)()
    assert snapshot["type"] == "snapshot" and snapshot["stage"] == "sign_in"
    start = snapshot["sequence"]
    assert [(m["sequence"], m["kind"]) for m in stream] == [
        (start + 1, "first"),
        (start + 2, "lost"),
        (start + 3, "third"),
    ]


def test_a_foreign_origin_is_refused(opening: Opening) -> None:
    async def scenario() -> bool:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/halls/{opening.section.code}/",
            headers=[(b"origin", b"https://evil.example"), (b"host", b"localhost")],
        )
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


def test_a_draft_sections_hall_does_not_exist_for_the_public(draft: Any) -> None:  # noqa: F811
    async def scenario() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/halls/{draft.code}/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
        )
        return await communicator.connect()

    connected, _code = async_to_sync(scenario)()
    assert connected is False


def test_a_heartbeat_catch_up_racing_live_broadcasts_sends_each_event_once_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import time

    from realtime import consumers

    def message(sequence: int) -> dict[str, Any]:
        return {"type": "event", "sequence": sequence, "kind": "stage", "payload": {}, "at": 0}

    def slow_events_after(
        hall_id: int, after: int, *, up_to: int | None = None
    ) -> list[dict[str, Any]]:
        time.sleep(0.2)  # the database is slow under load: broadcasts arrive meanwhile
        last = up_to if up_to is not None else 7
        return [message(n) for n in range(after + 1, last + 1)]

    monkeypatch.setattr(consumers.events, "events_after", slow_events_after)
    consumer = consumers.HallConsumer()
    consumer.hall_id, consumer.sent = 1, 5
    sent: list[int] = []

    async def send_json(content: Any, close: bool = False) -> None:
        sent.append(content["sequence"])

    consumer.send_json = send_json

    async def heartbeat_catch_up() -> None:
        async with consumer.sending:
            await consumer._catch_up()

    async def scenario() -> None:
        await asyncio.gather(
            heartbeat_catch_up(),
            consumer.hall_event({"message": message(6)}),
            consumer.hall_event({"message": message(7)}),
            consumer.hall_event({"message": message(8)}),
        )

    async_to_sync(scenario)()
    assert sent == [6, 7, 8]
    assert consumer.sent == 8
