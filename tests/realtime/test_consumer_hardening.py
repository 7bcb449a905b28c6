"""The hall's websocket under hostile input (issue 7): a malformed, binary, oversized or
deeply nested frame gets an error message and the socket stays; a flood is limited and, if
it goes on, closed with 1008; an unknown path is refused cleanly; Origin is compared by
scheme, host and port."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from config.asgi import application
from realtime import consumers
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


def run(
    path: str,
    scenario: Callable[[WebsocketCommunicator], Awaitable[Any]],
    headers: list[tuple[bytes, bytes]] = LOCAL,
) -> Any:
    async def go() -> Any:
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        try:
            return await scenario(communicator)
        finally:
            await communicator.disconnect()

    return async_to_sync(go)()


async def next_message(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next message that is not a heartbeat tick."""
    while (message := await communicator.receive_json_from(timeout=5))["type"] == "tick":
        pass
    return message


async def answers_a_ping(communicator: WebsocketCommunicator) -> bool:
    await communicator.send_json_to({"type": "ping", "t": 42})
    message = await next_message(communicator)
    return message["type"] == "pong" and message["echo"] == 42


def is_bilingual(detail: str) -> bool:
    chinese, _, english = detail.partition(" / ")
    return bool(english) and any("\u4e00" <= c <= "\u9fff" for c in chinese)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "{not json"}, "bad_frame"),
        ({"text_data": "\ufffd\x00\x01"}, "bad_frame"),
        ({"bytes_data": b"\x00\x01\x02binary"}, "bad_frame"),
        ({"text_data": "[" * 2000 + "]" * 2000}, "bad_frame"),  # nested past the recursion limit
        ({"text_data": '{"type": "ping", "t": "' + "x" * 5000 + '"}'}, "too_large"),
        ({"text_data": "[1, 2]"}, "bad_message"),
        ({"text_data": '{"type": "shutdown"}'}, "bad_message"),
    ],
    ids=["malformed", "garbage", "binary", "nested", "oversized", "not-an-object", "unknown"],
)
def test_a_bad_frame_gets_an_error_message_and_the_socket_stays(
    published: Section,  # noqa: F811
    frame: dict[str, Any],
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(communicator: WebsocketCommunicator) -> tuple[dict[str, Any], bool]:
        assert (await next_message(communicator))["type"] == "snapshot"
        await communicator.send_to(**frame)
        error = await next_message(communicator)
        return error, await answers_a_ping(communicator)

    with caplog.at_level(logging.WARNING):
        error, alive = run(f"/ws/halls/{published.code}/", scenario)
    assert error["type"] == "error" and error["code"] == code
    assert is_bilingual(error["detail"])
    assert alive
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_burst_within_the_limit_is_answered_in_full(published: Section) -> None:  # noqa: F811
    async def scenario(communicator: WebsocketCommunicator) -> list[str]:
        await next_message(communicator)
        for t in range(consumers.RATE_BURST):
            await communicator.send_json_to({"type": "ping", "t": t})
        return [(await next_message(communicator))["type"] for _ in range(consumers.RATE_BURST)]

    assert run(f"/ws/halls/{published.code}/", scenario) == ["pong"] * consumers.RATE_BURST


def test_a_flood_is_refused_then_closed_with_1008(
    published: Section,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumers, "RATE_PER_SECOND", 0.0)  # no refill while the test runs

    async def scenario(communicator: WebsocketCommunicator) -> tuple[list[dict[str, Any]], Any]:
        await next_message(communicator)
        for t in range(consumers.RATE_BURST + consumers.ABUSE_STRIKES + 5):
            await communicator.send_json_to({"type": "ping", "t": t})
        received: list[dict[str, Any]] = []
        while True:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return received, output["code"]
            message = json.loads(output["text"])
            if message["type"] != "tick":
                received.append(message)

    received, close_code = run(f"/ws/halls/{published.code}/", scenario)
    errors = [m for m in received if m["type"] == "error"]
    assert errors and errors[0]["code"] == "rate_limited" and is_bilingual(errors[0]["detail"])
    # Not one error per refused message: the flood is not amplified.
    assert len(errors) == 1
    assert sum(m["type"] == "pong" for m in received) == consumers.RATE_BURST
    assert close_code == 1008


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/halls/", "/ws/halls/a/b/", "/admin/"])
def test_an_unknown_path_is_refused_without_a_traceback(
    path: str, caplog: pytest.LogCaptureFixture, db: None
) -> None:
    async def scenario() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(application, path, headers=LOCAL)
        return await communicator.connect()

    with caplog.at_level(logging.WARNING):
        connected, code = async_to_sync(scenario)()
    assert connected is False and code == 4404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


ORIGINS = [
    # (Origin, Host, accepted)
    (b"http://localhost", b"localhost", True),
    (b"http://localhost:8000", b"localhost:8000", True),
    (b"http://127.0.0.1:8000", b"127.0.0.1:8000", True),
    (None, b"localhost", True),  # no Origin: not a browser (ggzy-bid, scripts); see the docs
    (b"http://localhost:9999", b"localhost", False),  # another port: another origin
    (b"http://localhost:9999", b"localhost:8000", False),
    (b"https://localhost", b"localhost", False),  # another scheme
    (b"http://localhost", b"localhost:8000", False),
    (b"https://evil.example", b"localhost", False),
    (b"http://evil.example", b"evil.example", False),  # DNS rebinding: Host not allowed
    (b"null", b"localhost", False),  # sandboxed frames and file: pages
    (b"http://localhost\xff", b"localhost", False),
]


@pytest.mark.parametrize(("origin", "host", "accepted"), ORIGINS)
def test_the_origin_must_match_in_scheme_host_and_port(
    published: Section,  # noqa: F811
    origin: bytes | None,
    host: bytes,
    accepted: bool,
) -> None:
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin is not None else [])

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(
            application, f"/ws/halls/{published.code}/", headers=headers
        )
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return bool(connected)

    assert async_to_sync(scenario)() is accepted


def test_an_origin_configured_for_websockets_is_accepted(
    published: Section,  # noqa: F811
    settings: Any,
) -> None:
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://ggzy.example.gov.cn"]
    path = f"/ws/halls/{published.code}/"

    async def connects(origin: bytes) -> bool:
        headers = [(b"origin", origin), (b"host", b"localhost:8000")]
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return bool(connected)

    assert async_to_sync(connects)(b"https://ggzy.example.gov.cn") is True
    assert async_to_sync(connects)(b"https://ggzy.example.gov.cn:8443") is False
    assert async_to_sync(connects)(b"http://ggzy.example.gov.cn") is False


def test_behind_the_tls_proxy_the_page_origin_is_https(
    published: Section,  # noqa: F811
    settings: Any,
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    path = f"/ws/halls/{published.code}/"

    async def connects(origin: bytes, proto: bytes) -> bool:
        headers = [(b"origin", origin), (b"host", b"localhost"), (b"x-forwarded-proto", proto)]
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return bool(connected)

    assert async_to_sync(connects)(b"https://localhost", b"https") is True
    assert async_to_sync(connects)(b"http://localhost", b"https") is False
