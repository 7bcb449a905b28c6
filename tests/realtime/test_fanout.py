"""The hall feed (realtime/fanout.py): one channel-layer member per hall and process."""

from __future__ import annotations

from asgiref.sync import async_to_sync


def test_a_hall_feed_survives_a_channel_layer_failure_and_joins_again() -> None:
    """realtime/fanout.py: Redis restarting under the feed does not end it."""
    import asyncio
    from typing import Any

    from realtime import fanout

    class FlakyLayer:
        def __init__(self) -> None:
            self.joins = 0
            self.received = 0

        async def new_channel(self) -> str:
            return "specific.test!feed"

        async def group_add(self, group: str, channel: str) -> None:
            self.joins += 1

        async def group_discard(self, group: str, channel: str) -> None:
            pass

        async def receive(self, channel: str) -> dict[str, Any]:
            self.received += 1
            if self.received == 1:
                raise ConnectionError("Redis restarting")
            if self.received == 2:
                return {"type": "hall.event", "sequence": 1, "text": "{}"}
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    class Socket:
        def __init__(self) -> None:
            self.got: list[int] = []

        def ready_for(self, sequence: int) -> bool:
            return True

        async def hall_event(self, message: dict[str, Any]) -> None:
            self.got.append(message["sequence"])

    async def scenario() -> tuple[list[int], int]:
        layer, socket = FlakyLayer(), Socket()
        feeds = fanout.Fanout(layer)
        fanout.REJOIN_SECONDS = 0.01
        await feeds.join(7, socket)
        for _ in range(100):
            if socket.got:
                break
            await asyncio.sleep(0.01)
        await feeds.leave(7, socket)
        return socket.got, layer.joins

    original = fanout.REJOIN_SECONDS
    try:
        got, joins = async_to_sync(scenario)()
    finally:
        fanout.REJOIN_SECONDS = original
    assert got == [1]
    assert joins == 2  # joined, then joined again after the failure
