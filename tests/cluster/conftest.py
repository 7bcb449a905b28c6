"""The cluster tests: run only by ``make cluster-test`` (scripts/cluster.py test), which starts
a private PostgreSQL, Redis and S3 endpoint and sets ``GGZY_CLUSTER_TESTS=1``.

``make test`` does not collect this directory: it kills and restarts servers, takes minutes,
and CI's suite is at its time budget (docs/cluster.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine

from accounts import services as account_services
from ggzy import signing
from ggzy_core import record
from realtime import record_content
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus
from tests import servers
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.cluster import harness
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.realtime.test_hall_across_processes import Client, host_step
from tests.security.world import centre_staff_group
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

ENABLED = os.environ.get("GGZY_CLUSTER_TESTS") == "1"
if not ENABLED:
    collect_ignore_glob = ["test_*.py"]


@dataclass(frozen=True)
class Infrastructure:
    """Handles on the PostgreSQL, Redis and S3 processes ``scripts/cluster.py test`` started:
    the tests kill and restart them through their pid files."""

    var: Path
    postgres: harness.Postgres
    redis: harness.Redis
    s3: harness.S3
    taken_ports: set[int] = field(default_factory=set)

    def daphne(self, name: str, var: Path, env: Mapping[str, str]) -> harness.Component:
        """A daphne started on a free port of the cluster's range."""
        return harness.start_daphne(name, var, env, 55810, 55879, self.taken_ports)


@pytest.fixture(autouse=True)
def _centre_staff_group(transactional_db: None) -> None:
    """Every test here is transactional: the flush after one removes the group the data
    migration made, which the next test's centre staff need."""
    centre_staff_group()


@pytest.fixture(scope="session")
def _cluster() -> Infrastructure:
    var = Path(os.environ["GGZY_CLUSTER_VAR"])
    return Infrastructure(
        var=var,
        postgres=harness.Postgres(var, int(os.environ["GGZY_CLUSTER_POSTGRES_PORT"])),
        redis=harness.Redis(var, int(os.environ["GGZY_CLUSTER_REDIS_PORT"])),
        s3=harness.S3(var, int(os.environ["GGZY_CLUSTER_S3_PORT"])),
    )


@pytest.fixture
def infrastructure(_cluster: Infrastructure) -> Infrastructure:
    """The cluster's servers, each running: a test that failed half-way through a restart
    does not leave the next one without a database."""
    for component in (_cluster.postgres, _cluster.redis, _cluster.s3):
        if not component.alive():
            component.start()
    return _cluster


class FailoverClient(Client):
    """A hall client as a browser tab behind a load balancer would be: when its server goes
    away it connects to the next one, and the new snapshot resyncs it."""

    def __init__(self, bases: Sequence[str], code: str) -> None:
        self.bases = list(bases)
        self.connections = 0
        self.leaving = False
        super().__init__(self.bases[0], code)

    def _connect(self, base: str) -> None:
        self.connections += 1
        super()._connect(base)

    def _read(self) -> None:
        super()._read()
        if self.leaving:
            return
        for attempt in range(100):
            base = self.bases[(self.connections + attempt) % len(self.bases)]
            with contextlib.suppress(OSError, TimeoutError):
                self._connect(base)
                return
            time.sleep(0.2)

    def leave(self) -> None:
        self.leaving = True
        self.socket.close()

    def saw_the_record(self) -> bool:
        with self.lock:
            return any(
                m.get("type") == "event" and m.get("kind") == "record" for m in self.messages
            )

    def snapshots(self) -> int:
        with self.lock:
            return sum(1 for m in self.messages if m["type"] == "snapshot")


@dataclass
class HallOnTheCluster:
    """A hall watched by clients spread over two daphne processes, driven over HTTP."""

    opening: Opening
    daphnes: list[harness.Component]
    worker: harness.Component
    clients: list[FailoverClient]
    host_token: str
    bidder_tokens: list[str]

    @property
    def code(self) -> str:
        return self.opening.section.code

    def url(self, server: int) -> str:
        return harness.url_of(self.daphnes[server])

    def advance(self, *, via: int) -> None:
        host_step(self.url(via), self.host_token, self.code)

    def advance_to_the_close(self, *, via: int) -> None:
        """Reading, confirmation, objections, closed: the host moves on, and where a window
        ran out (the confirmation window is zero here) the chronograph may move first."""
        for _step in range(6):
            stage = Hall.objects.values_list("stage", flat=True).get(pk=self.opening.hall.pk)
            if stage == HallStage.CLOSED:
                return
            response = requests.post(
                f"{self.url(via)}/api/halls/{self.code}/advance",
                headers={"Authorization": f"Token {self.host_token}"},
                timeout=30,
            )
            moved = Hall.objects.values_list("stage", flat=True).get(pk=self.opening.hall.pk)
            assert response.status_code == 200 or moved != stage, response.text
        raise AssertionError(f"the hall did not close: {stage}")

    def give_key(self, bidder: int, *, via: int) -> None:
        bid = self.opening.bids[bidder]
        response = requests.post(
            f"{self.url(via)}/api/halls/{self.code}/bids/{bid.pk}/key",
            json={"content_key": self.opening.content_key(bidder).hex()},
            headers={"Authorization": f"Token {self.bidder_tokens[bidder]}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def wait_decrypted(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while (
            BidOpening.objects.filter(
                hall=self.opening.hall, status=OpeningStatus.DECRYPTED
            ).count()
            < count
        ):
            assert time.monotonic() < deadline, f"not {count} bids decrypted: {self.worker_log()}"
            time.sleep(0.2)

    def worker_log(self) -> str:
        return self.worker.tail_of_log()

    def wait_for_the_record(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for client in self.clients:
            while not client.saw_the_record():
                assert time.monotonic() < deadline, "a client never saw the signed record"
                time.sleep(0.1)
        for client in self.clients:
            client.leave()


def open_the_hall(hall: HallOnTheCluster, fault: Callable[[], None], *, fault_via: int = 1) -> None:
    """The whole opening: bidders, decryption (each bid's key through a different server),
    the fault while bid 1 is decrypting, the reading, confirmation, objections, the close,
    and the signed record announced to every client."""
    hall.advance(via=0)  # the bidder list
    hall.advance(via=1)  # decryption (the host may use either process)
    hall.give_key(0, via=0)
    hall.wait_decrypted(1)
    hall.give_key(1, via=fault_via)
    fault()
    hall.give_key(2, via=0)
    hall.wait_decrypted(3)
    hall.advance_to_the_close(via=0)
    hall.wait_for_the_record()


@contextlib.contextmanager
def hall_on_the_cluster(
    state: Opening, infrastructure: Infrastructure, tmp_path: Path
) -> Iterator[HallOnTheCluster]:
    """Two daphne processes and a worker on the test database; three clients on each."""
    _instance, host_token = account_services.token_issue(person=state.host)
    tokens = [account_services.token_issue(person=b.person)[1] for b in state.bidders]
    # The servers keep the real clock: the confirmation window (no bidder answers here)
    # closes at once, and the host moves on when every bid is decrypted.
    env = servers.server_environment(tmp_path, HALL_CONFIRMATION_MINUTES="0")
    worker = harness.celery("worker", tmp_path, env, "worker", "--pool=solo")
    with harness.running(worker), contextlib.ExitStack() as stack:
        daphnes = [infrastructure.daphne(f"daphne-{n}", tmp_path, env) for n in range(2)]
        for component in daphnes:
            stack.callback(component.stop)
        first, second = (harness.url_of(d) for d in daphnes)
        clients = [FailoverClient([first, second], state.section.code) for _ in range(3)]
        clients += [FailoverClient([second, first], state.section.code) for _ in range(3)]
        try:
            yield HallOnTheCluster(state, daphnes, worker, clients, host_token, tokens)
        finally:
            for client in clients:
                client.leaving = True
                client.socket.close()


def stored_events(hall: Hall) -> list[tuple[int, str, Any]]:
    return [
        (e.sequence, e.kind, e.payload.get("stage") or e.payload.get("status"))
        for e in hall.events.order_by("sequence")
    ]


def check_the_record(hall: Hall, published_by: str) -> dict[str, Any]:
    """The signed record is exactly what the stored hall says — rebuilt here from the
    database at its own generation time, byte for byte — its signature verifies, and the
    server publishes those bytes. Returns the record's data."""
    hall.refresh_from_db()
    assert hall.record_json is not None and hall.record_signature is not None
    stored = bytes(hall.record_json)
    data: dict[str, Any] = json.loads(stored)
    generated_at = dt.datetime.fromisoformat(data["generated_at"])
    with time_machine.travel(generated_at, tick=False):
        rebuilt = record.record_json(record_content.build(hall))
    assert rebuilt == stored
    assert record.verify_record(stored, hall.record_signature, signing.platform_public_key())
    served = requests.get(
        f"{published_by}/api/halls/{hall.section.code}/record?format=json", timeout=30
    )
    assert served.status_code == 200 and served.content == stored
    return data


def assert_every_client_has_the_whole_stream(hall: HallOnTheCluster) -> list[Any]:
    """Each client: snapshots and then events one by one with no gap and no repeat (the
    order rule, checked by ``Client.stream``), ending with the last stored event; a client
    that never lost its connection holds every stored event."""
    stored = stored_events(hall.opening.hall)
    streams = [client.stream() for client in hall.clients]
    for client, stream in zip(hall.clients, streams, strict=True):
        assert set(stream) <= set(stored)
        assert stream[-1] == stored[-1]
        if client.snapshots() == 1:
            assert stream == stored[stored.index(stream[0]) :]
    return streams


EXPECTED_STAGES = ["bidders", "decryption", "reading", "confirmation", "objections", "closed"]


def assert_the_opening_is_as_without_a_fault(hall: Hall) -> None:
    """The stored stream is the one a fault-free opening stores: every stage once, in order,
    each bid accepted and decrypted once, and the record announced once."""
    events = stored_events(hall)
    assert [stage for _n, kind, stage in events if kind == "stage"][-6:] == EXPECTED_STAGES
    statuses = [status for _n, kind, status in events if kind == "bid_status"]
    assert sorted(statuses) == ["decrypted"] * 3 + ["decrypting"] * 3
    assert [kind for _n, kind, _s in events].count("record") == 1
    assert [n for n, _k, _s in events] == list(range(events[0][0], events[0][0] + len(events)))
