"""The opening hall's stream under load: N clients in one hall across two daphne processes
(Redis channel layer), against a bare ``websockets`` broadcast server in the same run.

    python -m bench.bench_hall [--clients 1000] [--host-on http|sockets] [--port 57100] [--json]

Set-up, in this process: organisations with keys, a section with three small sealed bids
uploaded through the services, the deadline brought to now (the hall opens at sign-in), the
centre's staff admin as host with an API token. Then two daphne processes on one Redis
(``REDIS_URL``, default redis://127.0.0.1:6379/13; their Celery broker is kept in memory so
that no chronograph tick is left in Redis) and N websocket clients, half on each, all in
this process on one asyncio loop. The host's requests go to a third daphne process that holds
no websocket (``--host-on http``, the default: how production routes ``/api`` and pages apart
from ``/ws/``, docs/hall-protocol.md) or, as before, to the two socket processes in turn
(``--host-on sockets``). The host moves the hall on six times over HTTP (bidders →
decryption → reading → confirmation → objections → closed; entering the reading revokes the
three unopened bids: three ``bid_status`` events). Latency of an event at a client = the
moment its message is read from the socket − the moment just before the POST that caused it
was sent (one clock, one process); an event a client got twice counts once, when first
seen. Reach = the share of clients that got every event; "exactly once, in order" = the
share whose stream after the snapshot is every event, in order, each once (the protocol's
promise, docs/hall-protocol.md).

Baseline, same clients, same machine, same run: one ``websockets`` asyncio server process
that broadcasts a hall-like event to every connection when it gets ``GET /broadcast``;
six broadcasts. Ratios are ggzy / baseline latency: above 1 means ggzy is slower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from bench import setup

STAGES = ["bidders", "decryption", "reading", "confirmation", "objections", "closed"]
CONNECTING = 16  # handshakes in flight at once (daphne gives each 5 s to be accepted)
HANDSHAKE_ATTEMPTS = 30
Trigger = Callable[[str], tuple[float, float]]
HOST_ON = {"http": "a third, HTTP-only daphne", "sockets": "the socket processes"}
STEP_TIMEOUT = 30.0  # > the consumers' 5 s heartbeat, which catches up a lost broadcast


def raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < wanted:
        raise SystemExit(f"need {wanted} open files; the hard limit is {hard}")


# --- clients -------------------------------------------------------------------------------


@dataclass
class Client:
    """One websocket: its snapshot and every event as (receive time, message)."""

    socket: Any
    snapshot: dict[str, Any] | None = None
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # snapshot and stages, each counted once


class Crowd:
    """N clients on one loop; ``arrived[stage]`` is set when every client has its event."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.counts: dict[str, int] = {}
        self.arrived: dict[str, asyncio.Event] = {stage: asyncio.Event() for stage in STAGES}
        self.snapshots = asyncio.Event()
        self.readers: list[asyncio.Task[None]] = []

    async def connect(self, bases: list[str], path: str, n: int) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake
        from websockets.typing import Origin

        gate = asyncio.Semaphore(CONNECTING)

        async def one(base: str) -> Client:
            async with gate:
                for attempt in range(HANDSHAKE_ATTEMPTS):
                    try:
                        socket = await connect(
                            base.replace("http", "ws", 1) + path,
                            origin=Origin(base),
                            open_timeout=60,
                            ping_interval=None,
                            max_size=None,
                        )
                        break
                    except (InvalidHandshake, OSError):
                        # Daphne drops a handshake its application has not accepted within
                        # 5 s — on a loaded machine, with many in flight. A browser
                        # reconnects (static/js/hall.js); so does the bench. Not measured.
                        if attempt == HANDSHAKE_ATTEMPTS - 1:
                            raise
                        await asyncio.sleep(min(2.0, 0.5 * (attempt + 1)))
            return Client(socket)

        self.clients = list(await asyncio.gather(*(one(bases[i % 2]) for i in range(n))))
        self.readers = [asyncio.create_task(self._read(client)) for client in self.clients]
        await asyncio.wait_for(self.snapshots.wait(), timeout=120)

    async def _read(self, client: Client) -> None:
        async for raw in client.socket:
            now = time.perf_counter()
            message = json.loads(raw)
            if message["type"] == "snapshot":
                client.snapshot = message
                self._count(client, "snapshot", self.snapshots)
            elif message["type"] == "event":
                client.events.append((now, message))
                stage = message["payload"].get("stage") if message["kind"] == "stage" else None
                if stage in self.arrived:
                    self._count(client, stage, self.arrived[stage])

    def _count(self, client: Client, what: str, done: asyncio.Event) -> None:
        if what in client.seen:
            return
        client.seen.add(what)
        self.counts[what] = self.counts.get(what, 0) + 1
        if self.counts[what] == len(self.clients):
            done.set()

    async def run(self, trigger: Trigger) -> list[tuple[float, float]]:
        """Each step: trigger (in a thread, so the loop keeps reading), wait for every
        client to have the step's stage event; returns each trigger's (sent, answered)."""
        times = []
        for stage in STAGES:
            times.append(await asyncio.to_thread(trigger, stage))
            try:
                await asyncio.wait_for(self.arrived[stage].wait(), timeout=STEP_TIMEOUT)
            except TimeoutError:
                print(f"  ! not every client saw {stage} within {STEP_TIMEOUT:.0f} s")
            await asyncio.sleep(0.2)
        return times

    async def close(self) -> None:
        await asyncio.wait(
            [asyncio.create_task(client.socket.close()) for client in self.clients], timeout=30
        )
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


def analyse(crowd: Crowd, starts: list[float]) -> dict[str, Any]:
    """Latency of every (client, event), each event's time to its last client, reach."""
    clients = crowd.clients
    stage_sequence: dict[int, int] = {}  # step → sequence of its stage event
    every: set[int] = set()
    for client in clients:
        for _t, message in client.events:
            every.add(message["sequence"])
            stage = message["payload"].get("stage") if message["kind"] == "stage" else None
            if stage in STAGES:
                stage_sequence[STAGES.index(stage)] = message["sequence"]
    expected = sorted(every)

    def step_of(sequence: int) -> int:
        return min(step for step, last in stage_sequence.items() if sequence <= last)

    latencies: list[float] = []
    per_event: dict[int, list[float]] = {sequence: [] for sequence in expected}
    reached = exact = 0
    for client in clients:
        got = [message["sequence"] for _t, message in client.events]
        reached += set(got) >= set(expected)
        assert client.snapshot is not None
        exact += got == expected and expected[0] == client.snapshot["sequence"] + 1
        first: dict[int, float] = {}
        for t, message in client.events:
            first.setdefault(message["sequence"], t)
        for sequence, t in first.items():  # a repeated event counts once, when first seen
            latency = t - starts[step_of(sequence)]
            latencies.append(latency)
            per_event[sequence].append(latency)
    latencies.sort()
    last_client = [max(values) for values in per_event.values() if values]
    return {
        "events": len(expected),
        "p50_ms": round(_quantile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(_quantile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "last_client_median_ms": round(median(last_client) * 1000, 1),
        "reach": reached / len(clients),
        "exactly_once_in_order": exact / len(clients),
        "deliveries": sum(len(client.events) for client in clients),
        "expected_deliveries": len(expected) * len(clients),
        "per_stage_last_client_ms": {
            STAGES[step]: round(max(per_event[sequence]) * 1000, 1)
            for step, sequence in sorted(stage_sequence.items())
        },
    }


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def measure(bases: list[str], path: str, n: int, trigger: Trigger) -> dict[str, Any]:
    crowd = Crowd()
    await crowd.connect(bases, path, n)
    try:
        times = await crowd.run(trigger)
        await asyncio.sleep(0.5)  # stragglers
    finally:
        await crowd.close()
    results = analyse(crowd, [sent for sent, _answered in times])
    results["answered_median_ms"] = round(median(b - a for a, b in times) * 1000, 1)
    return results


# --- the baseline server -------------------------------------------------------------------


async def baseline_server(port: int) -> None:
    """Every connection gets a snapshot, then whatever ``GET /broadcast?stage=…`` sends."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve
    from websockets.http11 import Request, Response

    connections: set[ServerConnection] = set()
    sequence = 0

    async def handler(connection: ServerConnection) -> None:
        connections.add(connection)
        try:
            await connection.send(json.dumps({"type": "snapshot", "sequence": sequence}))
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        nonlocal sequence
        if not request.path.startswith("/broadcast"):
            return None
        sequence += 1
        stage = parse_qs(urlsplit(request.path).query)["stage"][0]
        event = {
            "type": "event",
            "sequence": sequence,
            "kind": "stage",
            "payload": {"stage": stage, "deadline": None},
            "at": int(time.time() * 1000),
        }
        broadcast(connections, json.dumps(event))
        return connection.respond(HTTPStatus.OK, "sent\n")

    async with serve(
        handler, "127.0.0.1", port, process_request=process_request, ping_interval=None
    ) as server:
        print("ready", flush=True)
        await server.serve_forever()


@contextmanager
def baseline(port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_hall", "--baseline-server", str(port)],
        cwd=setup.ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the baseline server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def http_trigger(
    session: requests.Session, method: str, url_for: Callable[[int, str], str]
) -> Trigger:
    """A step's trigger: one HTTP request; returns the times just before it was sent and
    when its answer was read."""
    steps = iter(range(len(STAGES)))

    def trigger(stage: str) -> tuple[float, float]:
        url = url_for(next(steps), stage)
        started = time.perf_counter()
        response = session.request(method, url, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return started, time.perf_counter()

    return trigger


def forget_group(url: str, group: str, *, wait: float) -> None:
    """Give the consumers time to leave the hall's group (daphne stopped in the middle of
    their disconnects leaves members in Redis for a day), then drop whatever is left."""
    import redis

    key = f"asgi:group:{group}"  # channels_redis's default prefix
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + wait
    while client.zcard(key) and time.monotonic() < deadline:
        time.sleep(0.2)
    client.delete(key)


# --- set-up and main -----------------------------------------------------------------------


def _setup(work: Path) -> tuple[str, str, str]:
    """A section with three small sealed bids, the hall at sign-in; (code, host token,
    the hall's channel-layer group)."""
    setup.django_setup()
    from accounts import services as accounts
    from realtime.events import group_name

    parties = setup.parties(3)
    section = setup.section_for_bids(parties)
    proposal = work / "proposal.pdf"
    proposal.write_bytes(b"technical and commercial proposal " * 1000)
    for index, bidder in enumerate(parties.bidders):
        sealed = work / "bid.gbid"
        with sealed.open("wb") as out:
            setup.seal(section, bidder, [proposal], out, {"price": f"4{index}850000.00"})
        with sealed.open("rb") as data:
            setup.upload(section, bidder, data, sealed.stat().st_size)
    hall = setup.open_hall(section)
    # Zero-minute windows: the host moves through decryption and confirmation at once
    # (with a window open and bidders yet to act, the hall refuses to move on early).
    type(section).objects.filter(pk=section.pk).update(decryption_window_minutes=0)
    _token, raw = accounts.token_issue(person=parties.centre.person)
    setup.close_connections()
    return section.code, raw, group_name(hall.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--host-on",
        choices=["http", "sockets"],
        default="http",
        help="where the host's requests go: a daphne with no websocket, or the socket processes",
    )
    parser.add_argument(
        "--port", type=int, default=57100, help="first of the four ports this bench listens on"
    )
    parser.add_argument("--logs", type=Path, help="keep the daphne logs in this directory")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        raise_file_limit(args.clients + 256)
        asyncio.run(baseline_server(args.baseline_server))
        return
    raise_file_limit(args.clients + 256)
    redis = setup.redis_url()
    setup.check_redis(redis)
    with setup.scratch("hall") as (work, database), ExitStack() as stack:
        code, token, group = _setup(work)
        from bench import processes

        session = stack.enter_context(requests.Session())
        # Every server listens before any client connects: the clients' own ports come
        # from the ephemeral range, which may hold a port of ours.
        base = stack.enter_context(baseline(args.port))
        # Celery's env override: the chronograph ticks daphne queues stay in its memory.
        extra = {
            "REDIS_URL": redis,
            "CELERY_BROKER_URL": "memory://",
            "HALL_CONFIRMATION_MINUTES": "0",
        }
        first = stack.enter_context(
            processes.daphne(work / "var", args.port + 1, logs=args.logs, **extra)
        )
        second = stack.enter_context(
            processes.daphne(work / "var", args.port + 2, logs=args.logs, **extra)
        )
        bases = [first.url, second.url]
        if args.host_on == "http":
            http = stack.enter_context(
                processes.daphne(work / "var", args.port + 3, logs=args.logs, **extra)
            )
            hosts = [http.url]
        else:
            hosts = bases  # the host uses both socket processes in turn
        broadcast = http_trigger(
            session, "GET", lambda _n, stage: f"{base}/broadcast?stage={stage}"
        )
        bare = asyncio.run(measure([base, base], "/", args.clients, broadcast))
        session.headers["Authorization"] = f"Token {token}"
        advance = http_trigger(
            session,
            "POST",
            lambda step, _stage: f"{hosts[step % len(hosts)]}/api/halls/{code}/advance",
        )
        forget_group(redis, group, wait=0)  # left over from an interrupted run
        ggzy = asyncio.run(measure(bases, f"/ws/halls/{code}/", args.clients, advance))
        forget_group(redis, group, wait=15)
    report(args, ggzy, bare, database)


def report(args: argparse.Namespace, ggzy: dict[str, Any], bare: dict[str, Any], db: str) -> None:
    ratios = {
        name: round(ggzy[name] / bare[name], 2) if bare[name] else None
        for name in ("p50_ms", "p99_ms", "last_client_median_ms", "answered_median_ms")
    }
    results = {
        "clients": args.clients,
        "host_on": args.host_on,
        "database": db,
        "ggzy": ggzy,
        "baseline": bare,
    }
    results["ratio_ggzy_over_baseline"] = ratios
    if args.json:
        print(json.dumps(results))
        return
    print(
        f"{args.clients} clients in one hall across 2 daphne processes (Redis channel layer, "
        f"{db}); the host's requests on {HOST_ON[args.host_on]}; "
        "latency = receipt at the client − just before the host's POST"
    )
    print(f"{'':28} {'ggzy':>10} {'bare websockets':>16} {'ratio':>7}")
    for name, label in (
        ("p50_ms", "p50 (client, event)"),
        ("p99_ms", "p99 (client, event)"),
        ("last_client_median_ms", "to last client, median"),
        ("answered_median_ms", "trigger answered, median"),
    ):
        print(f"  {label:26} {ggzy[name]:>8} ms {bare[name]:>13} ms {ratios[name]:>6}x")
    print(f"  {'max':26} {ggzy['max_ms']:>8} ms {bare['max_ms']:>13} ms")
    print(f"  {'events per client':26} {ggzy['events']:>11} {bare['events']:>16}")
    for name, label in (
        ("reach", "reach (got every event)"),
        ("exactly_once_in_order", "exactly once, in order"),
    ):
        print(f"  {label:26} {ggzy[name]:>11.3f} {bare[name]:>16.3f}")
    print(
        f"  {'deliveries / expected':26} {ggzy['deliveries']:>5}/{ggzy['expected_deliveries']:<5} "
        f"{bare['deliveries']:>10}/{bare['expected_deliveries']}"
    )
    stages = ", ".join(f"{k} {v}" for k, v in ggzy["per_stage_last_client_ms"].items())
    print(f"  ggzy, to the last client per stage (ms): {stages}")
    print("  ratio = ggzy / bare websockets latency: above 1 means ggzy is slower")


if __name__ == "__main__":
    main()
