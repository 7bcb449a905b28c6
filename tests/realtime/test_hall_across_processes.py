"""Two daphne processes on one Redis channel layer: clients on both receive the same events
in the same order, none missed, none twice; when one process dies its clients reconnect to
the other and resync from a snapshot."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from accounts import services as account_services
from realtime.models import HallStage
from tests import servers
from tests.conftest import requires_redis
from tests.realtime.conftest import Opening
from trading.models import Section

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires_redis,
]


class Client:
    """A hall client that keeps the stream as it saw it, and can move to another server."""

    def __init__(self, base: str, code: str) -> None:
        self.code = code
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self._connect(base)

    def _connect(self, base: str) -> None:
        url = base.replace("http", "ws") + f"/ws/halls/{self.code}/"
        self.socket: ClientConnection = connect(url, origin=Origin(base), open_timeout=10)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                message = json.loads(raw)
                with self.lock:
                    self.messages.append(message)
                if (
                    message.get("type") == "event"
                    and message["payload"].get("stage") == HallStage.CLOSED
                ):
                    self.done.set()
        except Exception:  # noqa: S110 - the server went away: reconnect() follows
            pass

    def reconnect(self, base: str) -> None:
        self.socket.close()
        self._connect(base)

    def stream(self) -> list[tuple[int, str, Any]]:
        """Events as (sequence, kind, stage/status), after checking the order rule: after
        each snapshot, events continue from its number, one by one."""
        seen: list[tuple[int, str, Any]] = []
        expected = None
        with self.lock:
            messages = list(self.messages)
        for message in messages:
            if message["type"] == "snapshot":
                assert expected is None or message["sequence"] >= expected - 1, (
                    "a snapshot went back in time"
                )
                expected = message["sequence"] + 1
            elif message["type"] == "event":
                assert message["sequence"] == expected, (
                    f"expected #{expected}, got #{message['sequence']}"
                )
                expected += 1
                payload = message["payload"]
                seen.append(
                    (
                        message["sequence"],
                        message["kind"],
                        payload.get("stage") or payload.get("status"),
                    )
                )
        return seen


def host_step(base: str, token: str, code: str) -> None:
    response = requests.post(
        f"{base}/api/halls/{code}/advance", headers={"Authorization": f"Token {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text


def test_clients_on_two_processes_see_one_ordered_stream_and_survive_a_dead_process(
    opening: Opening, tmp_path: Path
) -> None:
    _instance, token = account_services.token_issue(person=opening.host)
    code = opening.section.code
    # Windows of zero minutes: the servers keep the real clock, and the host may move on
    # at once only when no bidder is left any time (bidders keep their whole window).
    Section.objects.filter(pk=opening.section.pk).update(decryption_window_minutes=0)
    windows = {"HALL_CONFIRMATION_MINUTES": "0"}
    with (
        servers.daphne(tmp_path, **windows) as first,
        servers.daphne(tmp_path, **windows) as second,
    ):
        clients = [Client(first.url, code) for _ in range(3)] + [
            Client(second.url, code) for _ in range(3)
        ]
        host_step(first.url, token, code)  # bidder list
        host_step(second.url, token, code)  # decryption (the host may use either process)
        host_step(first.url, token, code)  # reading: every bid pending → revoked

        second.process.send_signal(signal.SIGKILL)
        second.process.wait()
        for client in clients[3:]:
            client.reconnect(first.url)

        host_step(first.url, token, code)  # confirmation
        host_step(first.url, token, code)  # objections
        host_step(first.url, token, code)  # closed: the record is signed
        for client in clients:
            assert client.done.wait(timeout=30), "a client never saw the hall close"
            client.socket.close()

    streams = [client.stream() for client in clients]
    survivors = streams[:3]
    assert survivors[0] == survivors[1] == survivors[2]
    stages = [stage for _seq, kind, stage in survivors[0] if kind == "stage"]
    assert stages == ["bidders", "decryption", "reading", "confirmation", "objections", "closed"]
    assert [status for _seq, kind, status in survivors[0] if kind == "bid_status"] == [
        "revoked"
    ] * 3
    # The moved clients resynced from a second snapshot; every event they saw is the same
    # event the survivors saw under that number, and they too saw the hall close.
    reference = set(survivors[0])
    for client, moved in zip(clients[3:], streams[3:], strict=True):
        assert [m["type"] for m in client.messages].count("snapshot") == 2
        assert set(moved) <= reference
        assert moved[-1] == survivors[0][-1]
