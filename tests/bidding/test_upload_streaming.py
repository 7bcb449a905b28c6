"""The tus PATCH through the project's ASGI application: its body is streamed into the part
as the messages arrive (bidding/asgi_upload.py), with the authentication, refusals and
receipt of the ordinary view."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.files.storage import default_storage

from accounts import services as account_services
from bidding import asgi_upload
from bidding.models import Bid, Upload
from ggzy_core.gm.sm3 import sm3_hex
from tests.bidding.conftest import Bidder, create_upload, seal_bid
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = 8192  # what daphne sends per ASGI message


def _scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("198.51.100.7", 50000),
        "server": ("testserver", 80),
    }


def _send_patch(
    token: str | None,
    location: str,
    body: bytes,
    offset: int,
    *,
    disconnect_after: int | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A PATCH through ``config.asgi.application`` in daphne-sized messages; returns
    (status, headers, body). ``disconnect_after``: the client goes away after that many
    bytes (no answer is expected then: status 0)."""
    from config.asgi import application

    headers = {
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(body)),
    }
    if token is not None:
        headers["Authorization"] = f"Token {token}"

    async def exchange() -> tuple[int, dict[str, str], bytes]:
        communicator = ApplicationCommunicator(application, _scope("PATCH", location, headers))
        sent = body if disconnect_after is None else body[:disconnect_after]
        for start in range(0, len(sent), MESSAGE):
            more = disconnect_after is not None or start + MESSAGE < len(sent)
            await communicator.send_input(
                {"type": "http.request", "body": sent[start : start + MESSAGE], "more_body": more}
            )
        if not sent and disconnect_after is None:
            await communicator.send_input({"type": "http.request", "body": b""})
        if disconnect_after is not None:
            await communicator.send_input({"type": "http.disconnect"})
            await communicator.wait(timeout=30)
            return 0, {}, b""
        start_message = await communicator.receive_output(timeout=30)
        answer = await communicator.receive_output(timeout=30)
        await communicator.wait(timeout=30)
        return (
            int(start_message["status"]),
            {k.decode().lower(): v.decode() for k, v in start_message["headers"]},
            bytes(answer.get("body", b"")),
        )

    return asyncio.run(exchange())


def _token(bidder: Bidder) -> str:
    _record, raw = account_services.token_issue(person=bidder.person)
    return raw


@pytest.fixture
def no_spooling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's own handler would spool the body to a temporary file first: fail if it does."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the PATCH body was spooled")

    monkeypatch.setattr("django.core.handlers.asgi.tempfile.SpooledTemporaryFile", refuse)


def test_it_sends_only_the_tus_patch_of_an_upload_to_the_streaming_handler() -> None:
    upload_path = "/api/bids/uploads/2b7f2c8e-4f0e-4a53-9d4a-1f6c2c1f0a11"
    assert asgi_upload.is_upload_patch({"type": "http", "method": "PATCH", "path": upload_path})
    assert not asgi_upload.is_upload_patch({"type": "http", "method": "HEAD", "path": upload_path})
    assert not asgi_upload.is_upload_patch(
        {"type": "http", "method": "PATCH", "path": "/api/bids/uploads"}
    )
    assert not asgi_upload.is_upload_patch(
        {"type": "http", "method": "PATCH", "path": "/api/bids/uploads/not-a-uuid"}
    )


def test_a_whole_bid_streamed_in_small_messages_gets_its_receipt_without_spooling(
    section: Section, bidders: list[Bidder], tmp_path: Path, no_spooling: None
) -> None:
    bidder = bidders[0]
    data = seal_bid(section, bidder, tmp_path, body=b"proposal " * 40_000)
    location = create_upload(bidder.client(), section, data)["Location"]
    token = _token(bidder)
    half = len(data) // 2
    status, headers, _body = _send_patch(token, location, data[:half], 0)
    assert (status, headers["upload-offset"]) == (204, str(half))
    status, headers, _body = _send_patch(token, location, data[half:], half)
    assert status == 204, _body
    bid = Bid.objects.get(pk=UUID(headers["ggzy-bid"]))
    assert bid.sm3 == sm3_hex(data) and bid.size == len(data)
    assert bid.receipts.count() == 1


def test_a_refusal_on_the_streaming_path_keeps_its_bilingual_json_body(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bidder = bidders[0]
    data = seal_bid(section, bidder, tmp_path)
    location = create_upload(bidder.client(), section, data)["Location"]
    status, headers, body = _send_patch(_token(bidder), location, data[:100], 5)
    assert status == 409 and headers["upload-offset"] == "0"
    assert b'"code":"offset_mismatch"' in body.replace(b" ", b"")
    assert "上传位置应为 0".encode() in body and b"The upload is at offset 0" in body


def test_the_streaming_path_authenticates_as_the_view_does(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    owner, other = bidders[0], bidders[1]
    data = seal_bid(section, owner, tmp_path)
    location = create_upload(owner.client(), section, data)["Location"]
    anonymous, _headers, _body = _send_patch(None, location, data, 0)
    assert anonymous == 401
    not_theirs, _headers, _body = _send_patch(_token(other), location, data, 0)
    assert not_theirs == 404  # another organisation's upload does not exist for it
    forged, _headers, _body = _send_patch("0" * 64, location, data, 0)
    assert forged == 401
    assert Upload.objects.get().offset == 0


def test_a_client_gone_mid_body_keeps_the_bytes_that_arrived_and_resumes_there(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bidder = bidders[0]
    data = seal_bid(section, bidder, tmp_path, body=b"proposal " * 40_000)
    location = create_upload(bidder.client(), section, data)["Location"]
    token = _token(bidder)
    _send_patch(token, location, data, 0, disconnect_after=5 * MESSAGE)
    upload = Upload.objects.get()
    assert upload.offset == 5 * MESSAGE and upload.parts == 1
    assert default_storage.open(upload.part_name(1)).read() == data[: 5 * MESSAGE]
    status, headers, _body = _send_patch(token, location, data[upload.offset :], upload.offset)
    assert status == 204 and "ggzy-bid" in headers
    assert Bid.objects.get().sm3 == sm3_hex(data)


def test_the_pipe_holds_at_most_its_depth_of_batches_while_nobody_reads() -> None:
    batch = asgi_upload.PIPE_BATCH
    total = batch * (asgi_upload.PIPE_DEPTH + 6)

    async def scenario() -> tuple[tuple[int, int], bytes]:
        messages = [
            {"type": "http.request", "body": b"x" * MESSAGE, "more_body": True}
            for _ in range(total // MESSAGE)
        ]
        messages[-1]["more_body"] = False
        consumed = 0

        async def receive() -> dict[str, Any]:
            nonlocal consumed
            consumed += 1
            return messages[consumed - 1]

        pipe = asgi_upload.BodyPipe(receive, asyncio.get_running_loop())
        pump = asyncio.create_task(pipe.pump())
        while pipe._batches.qsize() < asgi_upload.PIPE_DEPTH:
            await asyncio.sleep(0.01)  # the pump runs ahead as far as it may
        await asyncio.sleep(0.05)
        held = (pipe._batches.qsize(), consumed)
        read = await asyncio.to_thread(pipe.read, -1)
        await pump
        return held, read

    (waiting, consumed), read = asyncio.run(scenario())
    assert waiting == asgi_upload.PIPE_DEPTH
    # and it stopped receiving: one more batch gathered, waiting for room
    assert consumed == (asgi_upload.PIPE_DEPTH + 1) * batch // MESSAGE
    assert len(read) == total and read == b"x" * total


def test_the_pipe_reads_no_further_than_asked() -> None:
    async def scenario() -> list[bytes]:
        messages = iter(
            [
                {"type": "http.request", "body": base64.b16encode(b"ab"), "more_body": True},
                {"type": "http.request", "body": b"CD", "more_body": False},
            ]
        )

        async def receive() -> dict[str, Any]:
            return next(messages)

        pipe = asgi_upload.BodyPipe(receive, asyncio.get_running_loop())
        pump = asyncio.create_task(pipe.pump())
        pieces = [await asyncio.to_thread(pipe.read, 3) for _ in range(4)]
        await pump
        return pieces

    assert asyncio.run(scenario()) == [b"616", b"2CD", b"", b""]
