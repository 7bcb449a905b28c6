"""Many concurrent resumable uploads ending around a deadline: none lost, none accepted late,
and how much memory each server process needs.

    DATABASE_URL=postgres://… REDIS_URL=redis://…/N python -m bench.load_uploads \
        [--uploads 200] [--size-mb 50] [--lead 300] [--window 60] [--chunk-mb 1] [--quick]

Two daphne processes on PostgreSQL and Redis (a fresh ``ggzy_bench_upload_load`` database
next to ``DATABASE_URL``) take ``--uploads`` sealed bids of ``--size-mb`` each, one per
bidder, all in one section whose deadline is ``--lead`` seconds after the uploads start.
All clients start together; each speaks tus with plain HTTP requests (``Authorization:
Token``): it creates its upload, then sends ``--chunk-mb`` PATCHes paced so that its last
byte goes out at a planned moment in the ``--window`` seconds before the deadline, or up to
a fifth of that window after it (one upload in six is planned late). Uploads the machine
cannot carry in time simply end later than planned. One client in five has a connection cut in the middle of a
PATCH (half the body sent, then the socket closed) and resumes with ``HEAD`` on the other
process. A sampler reads each server's resident set from /proc every 0.1 s.

Judged afterwards from the clients' records and the database:

* **lost**: a client whose final PATCH was answered before the deadline without a bid, a
  client told ``Ggzy-Bid`` whose bid or signed receipt is missing, or an upload whose every
  byte is stored but that is neither a bid nor refused;
* **late accepted**: a bid whose ``received_at`` is at or after the deadline, or whose final
  PATCH the client only started at or after it (same machine, same clock).

An upload that was still sending when the deadline passed is refused (``late``, or ``expired``
on ``HEAD``): that is the rule [E27, L28], not a loss.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import setup

ROOT = Path(__file__).resolve().parent.parent
FIRST_PORT = int(os.environ.get("LOAD_UPLOADS_PORT", "57010"))
TUS = {"Tus-Resumable": "1.0.0"}
RSS_SAMPLE_SECONDS = 0.1
# Loading Django takes a few seconds alone, over a minute on a machine shared by many runs.
STARTUP_SECONDS = 240


@dataclass(frozen=True)
class Plan:
    uploads: int = 200
    size_bytes: int = 50 * 1000 * 1000
    lead_seconds: float = 60.0  # from the start of the uploads to the deadline
    window_seconds: float = 60.0  # the planned ends spread over this window before it
    chunk_bytes: int = 1 << 20
    processes: int = 2
    cut_every: int = 5  # every n-th upload has a connection cut mid-PATCH
    first_port: int = FIRST_PORT
    seed: int = 14

    @classmethod
    def quick(cls, **changes: Any) -> Plan:
        """20 uploads of 2 MB, 0.5 MiB PATCHes, the deadline 20 s ahead."""
        return cls(
            **{
                "uploads": 20,
                "size_bytes": 2 * 1000 * 1000,
                "lead_seconds": 20.0,
                "window_seconds": 15.0,
                "chunk_bytes": 512 << 10,
                **changes,
            }
        )


@dataclass
class Client:
    """One upload as its client saw it. Times are ``time.time()`` (the servers' clock)."""

    index: int
    server: str
    planned_end: float
    token: str = field(repr=False)
    bid_file: str = ""
    location: str = ""
    outcome: str = "unfinished"  # accepted, refused:<code>, error:<what>
    bid_id: str = ""
    final_patch_started: float | None = None
    final_answered: float | None = None
    cuts: int = 0
    switched_servers: int = 0
    retries: int = 0  # connections refused or reset, answered again
    server_errors: int = 0  # 5xx answers: the client retried (tus: resume from HEAD)


@dataclass
class Verdict:
    plan: dict[str, Any]
    deadline: float
    outcomes: dict[str, int]
    answered_before_deadline: int
    final_patch_after_deadline: int
    lost: list[str]
    late_accepted: list[str]
    peak_rss_mb: list[float]
    cuts: int
    server_errors: int
    seconds: float


class RssSampler(threading.Thread):
    """The peak resident set of each process, sampled from /proc."""

    def __init__(self, pids: Sequence[int]) -> None:
        super().__init__(daemon=True)
        self.pids = list(pids)
        self.peak_kib = [0] * len(self.pids)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for number, pid in enumerate(self.pids):
                self.peak_kib[number] = max(self.peak_kib[number], _rss_kib(pid))
            self._stop_event.wait(RSS_SAMPLE_SECONDS)

    def stop(self) -> list[float]:
        self._stop_event.set()
        self.join()
        # VmHWM catches a peak between two samples.
        return [
            round(max(peak, _status_kib(pid, "VmHWM:")) / 1024, 1)
            for pid, peak in zip(self.pids, self.peak_kib, strict=True)
        ]


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except FileNotFoundError:
        pass  # the process has ended: its last sample stands
    return 0


def _rss_kib(pid: int) -> int:
    return _status_kib(pid, "VmRSS:")


@contextmanager
def daphne_processes(plan: Plan, env: dict[str, str], logs: Path) -> Iterator[list[Any]]:
    """``plan.processes`` daphne processes on consecutive ports; yields the Popen objects."""
    from tests import servers

    ports = [plan.first_port + number for number in range(plan.processes)]
    with servers.daphnes(logs, ports, env=env, timeout=STARTUP_SECONDS) as running:
        yield [server.process for server in running]


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _cut_patch(url: str, token: str, offset: int, chunk: bytes) -> None:
    """Send a PATCH's headers and half its body, then close the connection."""
    rest = url.removeprefix("http://")
    host_port, _, path = rest.partition("/")
    host, _, port = host_port.partition(":")
    head = (
        f"PATCH /{path} HTTP/1.1\r\nHost: {host_port}\r\nAuthorization: Token {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(chunk)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode() + chunk[: len(chunk) // 2])


class Uploader:
    """One client's tus loop, paced to end at ``client.planned_end``."""

    def __init__(self, client: Client, plan: Plan, section_code: str, servers: list[str]) -> None:
        self.client = client
        self.plan = plan
        self.section_code = section_code
        self.servers = servers
        self.http = requests.Session()
        self.http.headers.update({**TUS, "Authorization": f"Token {client.token}"})

    def _url(self, path: str) -> str:
        return self.client.server + path

    def run(self) -> Client:
        try:
            self._run()
        except Exception as exc:  # recorded, judged: a load test must finish
            self.client.outcome = f"error:{type(exc).__name__}: {exc}"[:300]
        finally:
            self.http.close()
        return self.client

    def _run(self) -> None:
        client = self.client
        with open(client.bid_file, "rb") as source:
            self._upload(source, os.path.getsize(client.bid_file))

    def _upload(self, source: Any, length: int) -> None:
        client = self.client
        started = time.time()
        created = self._request(
            "POST",
            "/api/bids/uploads",
            headers={
                "Upload-Length": str(length),
                "Upload-Metadata": f"section {_b64(self.section_code)},"
                f"idempotency_key {_b64(f'load-{client.index:04d}-{started:.0f}')}",
            },
        )
        if created.status_code not in (200, 201):
            client.outcome = f"refused:{_code(created)}"
            return
        client.location = created.headers["Location"]
        chunks = -(-length // self.plan.chunk_bytes)
        cut_at = chunks // 2 if client.index % self.plan.cut_every == 0 else -1
        while True:
            head = self._request("HEAD")
            if head.status_code in (404, 410):
                client.outcome = f"refused:{head.headers.get('Ggzy-Refused', head.status_code)}"
                return
            if "Ggzy-Bid" in head.headers:
                client.outcome, client.bid_id = "accepted", head.headers["Ggzy-Bid"]
                return
            if "Ggzy-Refused" in head.headers:
                client.outcome = f"refused:{head.headers['Ggzy-Refused']}"
                return
            offset = int(head.headers["Upload-Offset"])
            source.seek(offset)
            chunk = source.read(self.plan.chunk_bytes)
            index = offset // self.plan.chunk_bytes
            # Pace: chunk k of K goes out at k/K of the way to the planned end.
            due = started + (client.planned_end - started) * (index + 1) / chunks
            time.sleep(max(0.0, due - time.time()))
            if index == cut_at and client.cuts == 0:
                _cut_patch(self._url(client.location), client.token, offset, chunk)
                client.cuts += 1
                self._switch_server()
                continue
            final = offset + len(chunk) == length
            if final:
                client.final_patch_started = time.time()
            response = self._request(
                "PATCH",
                data=chunk,
                headers={
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            if final and response.status_code < 500:  # a 5xx stored nothing: not an answer
                client.final_answered = time.time()
            if response.status_code == 409 and _code(response) == "offset_mismatch":
                continue
            if response.status_code >= 500:
                time.sleep(0.5)
                continue  # resume from where HEAD says the server is
            if response.status_code == 204:
                if "Ggzy-Bid" in response.headers:
                    client.outcome, client.bid_id = "accepted", response.headers["Ggzy-Bid"]
                    return
                continue
            client.outcome = f"refused:{_code(response)}"
            return

    def _switch_server(self) -> None:
        """Resume on another process: its running hash must be rebuilt from storage."""
        others = [server for server in self.servers if server != self.client.server]
        if others:
            self.client.server = others[0]
            self.client.switched_servers += 1

    def _request(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        """One request, retried on a lost connection or a 5xx: a PATCH is only retried
        through ``HEAD`` (its offset may have moved), so a failed PATCH returns its answer."""
        for _attempt in range(20):
            try:
                response = self.http.request(
                    method, self._url(path or self.client.location), timeout=300, **kwargs
                )
            except requests.ConnectionError:
                self.client.retries += 1
                time.sleep(0.5)
                continue
            if response.status_code < 500:
                return response
            self.client.server_errors += 1
            if method == "PATCH":
                return response
            time.sleep(0.5)
        raise RuntimeError(f"{method} failed 20 times")


def _code(response: requests.Response) -> str:
    try:
        return str(response.json().get("code", response.status_code))
    except ValueError:
        return str(response.status_code)


def prepare(plan: Plan, work: Path) -> tuple[Any, list[Client]]:
    """Bidders, tokens and sealed bids (Django must be set up); returns (section, clients)
    whose planned ends are still relative to the deadline (seconds, negative = before)."""
    from accounts import services as accounts

    parties = setup.parties(plan.uploads)
    section = setup.section_for_bids(parties)
    chooser = random.Random(plan.seed)  # nosec B311 # a reproducible plan, not a secret
    clients = []
    for index, bidder in enumerate(parties.bidders):
        payload = work / f"payload-{index:04d}.bin"
        with payload.open("wb") as handle:
            handle.write(os.urandom(plan.size_bytes))
        bid_file = work / f"bid-{index:04d}.gbid"
        with bid_file.open("wb") as out:
            setup.seal(section, bidder, [payload], out)
        payload.unlink()
        _token, raw = accounts.token_issue(person=bidder.person)
        offset = chooser.uniform(-1.0, 0.2) * plan.window_seconds
        clients.append(Client(index, "", offset, raw, str(bid_file)))
    return section, clients


def run(plan: Plan, work: Path, server_env: dict[str, str]) -> Verdict:
    """Prepare, start the servers, set the deadline ``plan.lead_seconds`` ahead, upload,
    judge. Django must be set up on the database the servers use."""
    from trading.models import Section

    section, clients = prepare(plan, work)
    setup.close_connections()
    urls = [f"http://127.0.0.1:{plan.first_port + n}" for n in range(plan.processes)]
    # Under ASGI every request runs in a thread of its own, each with its own connection:
    # kept for CONN_MAX_AGE they would pile up past PostgreSQL's max_connections with a few
    # hundred concurrent clients (Django: "disable persistent connections" under ASGI).
    server_env = {**server_env, "CONN_MAX_AGE": "0"}
    with daphne_processes(plan, server_env, work) as processes:
        sampler = RssSampler([process.pid for process in processes])
        sampler.start()
        began = time.time()
        deadline = began + plan.lead_seconds
        Section.objects.filter(pk=section.pk).update(bid_deadline=_aware(deadline))
        setup.close_connections()
        for client in clients:
            client.planned_end += deadline
            client.server = urls[client.index % len(urls)]
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            done = list(pool.map(lambda c: Uploader(c, plan, section.code, urls).run(), clients))
        seconds = time.time() - began
        peaks = sampler.stop()
    return judge(plan, section.pk, deadline, done, peaks, seconds)


def _aware(timestamp: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


def judge(
    plan: Plan,
    section_id: int,
    deadline: float,
    clients: list[Client],
    peaks: list[float],
    seconds: float,
) -> Verdict:
    from bidding.models import Bid, ReceiptKind, Upload, UploadState
    from bidding.services import receipt_document
    from ggzy import signing
    from ggzy_core.receipts import verify_receipt

    deadline_at = _aware(deadline)
    platform_key = signing.platform_public_key()
    bids = {
        str(bid.pk): bid
        for bid in Bid.objects.filter(section_id=section_id).prefetch_related("receipts")
    }

    def has_valid_receipt(bid_id: str) -> bool:
        bid = bids.get(bid_id)
        if bid is None:
            return False
        received = [r for r in bid.receipts.all() if r.kind == ReceiptKind.RECEIVED]
        return bool(received) and verify_receipt(receipt_document(received[0]), platform_key)

    lost: list[str] = []
    late: list[str] = []
    for client in clients:
        name = f"upload {client.index}"
        if client.outcome == "accepted" and not has_valid_receipt(client.bid_id):
            lost.append(f"{name}: told {client.bid_id}, no bid with a valid receipt")
        answered_in_time = client.final_answered is not None and client.final_answered < deadline
        if answered_in_time and client.outcome != "accepted":
            lost.append(f"{name}: answered before the deadline with {client.outcome}")
        started_late = (
            client.final_patch_started is not None and client.final_patch_started >= deadline
        )
        if client.outcome == "accepted" and started_late:
            late.append(f"{name}: its final PATCH started after the deadline, yet accepted")
    for bid_id, bid in bids.items():
        if bid.received_at >= deadline_at:
            late.append(f"bid {bid_id}: received_at {bid.received_at.isoformat()}")
    for upload in Upload.objects.filter(section_id=section_id, state=UploadState.OPEN):
        if upload.offset == upload.length:
            lost.append(f"upload {upload.pk}: every byte stored, neither a bid nor refused")
    outcomes = Counter(client.outcome.partition(" ")[0][:60] for client in clients)
    return Verdict(
        plan=asdict(plan),
        deadline=deadline,
        outcomes=dict(outcomes),
        answered_before_deadline=sum(
            1 for c in clients if c.final_answered is not None and c.final_answered < deadline
        ),
        final_patch_after_deadline=sum(
            1
            for c in clients
            if c.final_patch_started is not None and c.final_patch_started >= deadline
        ),
        lost=lost,
        late_accepted=late,
        peak_rss_mb=peaks,
        cuts=sum(client.cuts for client in clients),
        server_errors=sum(client.server_errors for client in clients),
        seconds=round(seconds, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=50)
    parser.add_argument("--lead", type=float, default=300, help="seconds to the deadline")
    parser.add_argument("--window", type=float, default=60, help="the planned ends: seconds")
    parser.add_argument("--chunk-mb", type=float, default=1)
    parser.add_argument("--quick", action="store_true", help="20 uploads of 2 MB, 20 s")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--logs", type=Path, help="copy the servers' logs here")
    args = parser.parse_args()
    redis = os.environ.get("REDIS_URL")
    if not redis or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the load runs on them")
    plan = (
        Plan.quick()
        if args.quick
        else Plan(
            uploads=args.uploads,
            size_bytes=int(args.size_mb * 1e6),
            lead_seconds=args.lead,
            window_seconds=args.window,
            chunk_bytes=int(args.chunk_mb * (1 << 20)),
        )
    )
    with setup.scratch("upload_load", redis=redis) as (work, database):
        setup.django_setup()
        from django.conf import settings

        env = {
            **os.environ,
            "PLATFORM_SIGNING_KEY_FILE": str(settings.PLATFORM_SIGNING_KEY_FILE),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        try:
            verdict = run(plan, work, env)
        finally:
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log in work.glob("daphne-*.log"):
                    shutil.copy(log, args.logs / log.name)
    if args.json:
        print(json.dumps(asdict(verdict)))
        return
    print(
        f"{plan.uploads} uploads of {plan.size_bytes / 1e6:g} MB, {plan.chunk_bytes >> 10} KiB "
        f"PATCHes, on {plan.processes} daphne processes ({database}, Redis), deadline "
        f"{plan.lead_seconds:g} s ahead, planned ends in its last {plan.window_seconds:g} s; "
        f"took {verdict.seconds} s"
    )
    print(f"  outcomes                      {verdict.outcomes}")
    print(f"  final answer before deadline  {verdict.answered_before_deadline}")
    print(f"  final PATCH after deadline    {verdict.final_patch_after_deadline}")
    print(f"  connections cut and resumed   {verdict.cuts}")
    print(f"  5xx answers, retried          {verdict.server_errors}")
    print(f"  lost                          {len(verdict.lost)} {verdict.lost[:5]}")
    print(
        f"  late accepted                 {len(verdict.late_accepted)} {verdict.late_accepted[:5]}"
    )
    print(f"  peak RSS per process (MB)     {verdict.peak_rss_mb}")


if __name__ == "__main__":
    main()
