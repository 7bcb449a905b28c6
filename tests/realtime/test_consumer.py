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


def broadcast_of(sequence: int) -> dict[str, Any]:
    """A group message as realtime.events.broadcast sends it: the event rendered once."""
    return events.group_message(
        {"type": "event", "sequence": sequence, "kind": "stage", "payload": {}, "at": 0}
    )


def test_a_heartbeat_catch_up_racing_live_broadcasts_sends_each_event_once_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import json
    import time

    from realtime import consumers

    def slow_events_after(
        hall_id: int, after: int, *, up_to: int | None = None
    ) -> list[dict[str, Any]]:
        time.sleep(0.2)  # the database is slow under load: broadcasts arrive meanwhile
        last = up_to if up_to is not None else 7
        return [json.loads(broadcast_of(n)["text"]) for n in range(after + 1, last + 1)]

    monkeypatch.setattr(consumers.events, "events_after", slow_events_after)
    consumer = consumers.HallConsumer()
    consumer.hall_id, consumer.sent = 1, 5
    sent: list[int] = []

    async def send(text_data: str | None = None, **kwargs: Any) -> None:
        assert text_data is not None
        sent.append(json.loads(text_data)["sequence"])

    consumer.send = send

    async def heartbeat_catch_up() -> None:
        async with consumer.sending:
            await consumer._catch_up()

    async def scenario() -> None:
        await asyncio.gather(
            heartbeat_catch_up(),
            consumer.hall_event(broadcast_of(6)),
            consumer.hall_event(broadcast_of(7)),
            consumer.hall_event(broadcast_of(8)),
        )

    async_to_sync(scenario)()
    assert sent == [6, 7, 8]
    assert consumer.sent == 8


def test_it_forwards_a_broadcast_as_the_text_rendered_once_without_a_database_hop(
    opening: Opening, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Channels' dispatch would hop to the database thread for every message to every
    socket; the hall's consumer needs none to forward an event, and sends the broadcast's
    text as it is."""
    import channels.consumer

    hops: list[str] = []

    async def counted_hop() -> None:
        hops.append("close_old_connections")

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted_hop)
    code, hall_id = opening.section.code, opening.hall.pk
    broadcasts: list[dict[str, Any]] = []
    original = events.broadcast

    def recording_broadcast(hall: int, message: dict[str, Any]) -> None:
        broadcasts.append(events.group_message(message))
        original(hall, message)

    monkeypatch.setattr(events, "broadcast", recording_broadcast)

    async def scenario() -> str:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/halls/{code}/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
        )
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
        await sync_to_async(emit)(hall_id, "forwarded")
        while (text := await communicator.receive_from(timeout=5)).startswith('{"type": "tick"'):
            pass
        await communicator.disconnect()
        return text

    text = async_to_sync(scenario)()
    assert [b["text"] for b in broadcasts] == [text]
    assert '"kind": "forwarded"' in text
    assert hops == []


def test_a_process_joins_a_hall_once_for_all_its_sockets_and_leaves_with_the_last(
    opening: Opening,
) -> None:
    """realtime/fanout.py: one feed (one group member) per hall and process, every socket
    served by it, gone with the last socket."""
    from channels.layers import get_channel_layer

    from realtime import fanout

    code, hall_id = opening.section.code, opening.hall.pk

    async def scenario() -> tuple[int, int, list[str], bool]:
        feeds = fanout.for_this_loop(get_channel_layer())
        sockets = [
            WebsocketCommunicator(
                application,
                f"/ws/halls/{code}/",
                headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
            )
            for _ in range(3)
        ]
        for socket in sockets:
            assert (await socket.connect())[0]
            assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        joined = (len(feeds.feeds), len(feeds.feeds[hall_id].listeners))
        await sync_to_async(emit)(hall_id, "to_everyone")
        kinds = []
        for socket in sockets:
            while (message := await socket.receive_json_from(timeout=5))["type"] == "tick":
                pass
            kinds.append(message["kind"])
        for socket in sockets:
            await socket.disconnect()
        return *joined, kinds, hall_id in feeds.feeds

    halls, listeners, kinds, still_fed = async_to_sync(scenario)()
    assert (halls, listeners) == (1, 3)
    assert kinds == ["to_everyone"] * 3
    assert still_fed is False
