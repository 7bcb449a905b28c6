"""Fuzzing the hall's websocket (realtime/consumers.py): whatever a client sends — any JSON
value, text that is not JSON, binary frames — the consumer raises nothing and the socket
stays usable: a ping sent after each frame still gets its pong on the same connection.

Each example is one connection and a short sequence of frames. Shrinking is off for these
targets: one example costs a connection, and the sequence that failed is printed as is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import strategies as st

from config.asgi import application
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.fuzz.bounds import examples
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
socket_settings = {
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["ping", "resync", "tick", "", "PING"])},
        optional={"t": json_values},
    ),
)
text_frames = st.one_of(
    messages.map(json.dumps),
    # Mostly not JSON. A websocket text frame is UTF-8, which cannot carry a lone surrogate
    # (the test client could not even send one); an escaped one in JSON it can.
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=100),
    st.sampled_from(["", "{", "[" * 5000, '{"type": "ping"', "null", '"\\ud800"', "1e999999"]),
)
binary_frames = st.binary(min_size=1, max_size=100)


async def _pong_after(communicator: WebsocketCommunicator, marker: int) -> None:
    """Read until the pong echoing ``marker``; anything else on the way (ticks, events, an
    error reply to the frame before) is allowed. Raises if the consumer crashed or closed."""
    for _ in range(20):
        message: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        if message.get("type") == "pong" and message.get("echo") == marker:
            return
    raise AssertionError(f"no pong for ping {marker}")


def _exchange(code: str, frames: list[tuple[str, Any]]) -> None:
    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, f"/ws/halls/{code}/", headers=HEADERS)
        connected, _ = await communicator.connect()
        assert connected
        try:
            snapshot = await communicator.receive_json_from(timeout=5)
            assert "sequence" in snapshot
            for marker, (kind, frame) in enumerate(frames):
                # Straight to the app: the communicator's send_to refuses an empty frame.
                field = "text" if kind == "text" else "bytes"
                await communicator.send_input({"type": "websocket.receive", field: frame})
                await communicator.send_json_to({"type": "ping", "t": marker})
                await _pong_after(communicator, marker)
        finally:
            await communicator.disconnect()

    async_to_sync(scenario)()


@examples(25, **socket_settings)
@given(st.lists(messages.map(lambda m: ("text", json.dumps(m))), min_size=1, max_size=6))
@example([("text", json.dumps({"type": "resync"})), ("text", "[]"), ("text", "42")])
@example([("text", json.dumps({"type": "ping", "t": {"nested": [1, 2, {"x": None}]}}))])
def test_any_json_message_leaves_the_socket_usable(
    opening: Opening,  # noqa: F811
    frames: list[tuple[str, str]],
) -> None:
    _exchange(opening.section.code, frames)


@examples(25, report_multiple_bugs=False, **socket_settings)
@given(
    st.lists(
        st.one_of(
            text_frames.map(lambda f: ("text", f)), binary_frames.map(lambda f: ("bytes", f))
        ),
        min_size=1,
        max_size=6,
    )
)
@example([("text", "{")])
@example([("bytes", b"\x00\xff")])
@example([("text", "[" * 5000)])
def test_a_malformed_or_binary_frame_leaves_the_socket_usable(
    opening: Opening,  # noqa: F811
    frames: list[tuple[str, Any]],
) -> None:
    _exchange(opening.section.code, frames)
