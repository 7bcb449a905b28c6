"""Many sections opening in the same minute: N sections of B bids each, their deadlines in one
minute, a websocket client in every hall; per hall, the time from its deadline to the
``stage`` event (sign-in) arriving at the client, and the halls whose event never came.

    python -m bench.load_openings [--sections 50] [--bids 100] [--spread 60] [--port 57120]

Real processes on PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``, default
redis://127.0.0.1:6379/13): two daphne processes (the clients alternate between them), a
Celery worker and Celery beat. Nothing in this process opens a hall: the chronograph does,
through the ETA tick each section's deadline queues (``trading/chronograph.py``) and the beat
sweep behind it.

The cheapest honest set-up: one bid is sealed by its bidder and uploaded through the services;
every other bid is a copy of its rows (upload and bid, each bidder's own, received before the
deadline). At the deadline the chronograph counts the live bids and the hall numbers them and
enters sign-in — it reads the rows, never the sealed bytes, so copies cost it exactly what
real bids do. ``--spread`` spreads the deadlines evenly over that many seconds (60: "in the
same minute"; 0: every deadline at the same instant, the worst case).

Latency = the moment the client reads the event − the section's deadline (one clock: every
process runs on this machine). Lost = halls whose client has not seen the event
``--wait`` seconds after the last deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import setup

STAGE = "sign_in"  # the stage a hall enters at its deadline (docs/hall-protocol.md)


@dataclass
class Hall:
    """One section's hall as the bench watches it."""

    code: str
    section_id: int
    deadline: float = 0.0  # epoch seconds
    snapshot_sequence: int | None = None
    sequences: list[int] = field(default_factory=list)  # every event's number, as received
    arrived: float | None = None  # when the stage event was read


# --- set-up --------------------------------------------------------------------------------


def build(work: Path, *, sections: int, bids: int) -> list[Hall]:
    """``sections`` published sections taking bids, each with ``bids`` bids (one real, the
    rest copies of its rows, each from its own bidder); needs Django set up."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from bidding.models import Bid, Upload
    from ggzy import clock
    from trading import chronograph, documents
    from trading import services as trading
    from trading.models import Category, EvaluationMethod, OpeningKeyMode

    parties = setup.parties(bids)
    centre, regulator = parties.centre.person.organisation, parties.regulator.person.organisation
    assert centre is not None and regulator is not None
    tenderee = parties.tenderee.person
    project = trading.project_create(
        actor=tenderee,
        code=f"LOAD-{uuid.uuid4().hex[:8]}",
        name="load",
        centre=centre,
        regulator=regulator,
    )
    now = clock.now()
    halls = []
    for index in range(sections):
        section = trading.section_create(
            project=project,
            actor=tenderee,
            name=f"load {index + 1}",
            category=Category.GOODS,
            estimated_price=10**9,
            bid_deposit=0,
            documents_from=now,
            bid_deadline=now + dt.timedelta(days=21),
            evaluation_method=EvaluationMethod.LOWEST_PRICE,
            opening_key_mode=OpeningKeyMode.DEALT,
        )
        documents.document_issue(
            section=section, actor=tenderee, title="t", upload=SimpleUploadedFile("t.txt", b"t")
        )
        trading.section_publish(section=section, actor=tenderee)
        chronograph.apply_time_events(section.pk)
        section.refresh_from_db()
        halls.append(Hall(section.code, section.pk))
    first = type(section).objects.get(pk=halls[0].section_id)
    sealed = work / "bid.gbid"
    proposal = work / "proposal.txt"
    proposal.write_bytes(b"proposal")
    with sealed.open("wb") as out:
        setup.seal(first, parties.bidders[0], [proposal], out)
    with sealed.open("rb") as data:
        template = setup.upload(first, parties.bidders[0], data, sealed.stat().st_size)
    model_upload = template.upload
    uploads, copies = [], []
    for hall in halls:
        for number, bidder in enumerate(parties.bidders):
            if hall.section_id == first.pk and number == 0:
                continue  # the real one
            organisation = bidder.person.organisation
            assert organisation is not None
            upload = Upload(
                id=uuid.uuid4(),
                section_id=hall.section_id,
                organisation=organisation,
                person=bidder.person,
                idempotency_key=uuid.uuid4().hex,
                length=model_upload.length,
                offset=model_upload.offset,
                parts=model_upload.parts,
                state=model_upload.state,
                created_at=now,
                updated_at=now,
            )
            uploads.append(upload)
            copies.append(
                Bid(
                    section_id=hall.section_id,
                    organisation=organisation,
                    upload=upload,
                    size=template.size,
                    sm3=template.sm3,
                    received_at=clock.now(),
                    manifest=template.manifest,
                    key_fingerprint=template.key_fingerprint,
                    machine_fingerprint=uuid.uuid4().hex,
                    file_creation_id=str(uuid.uuid4()),
                )
            )
    with transaction.atomic():
        Upload.objects.bulk_create(uploads, batch_size=1000)
        Bid.objects.bulk_create(copies, batch_size=1000)
    return halls


def set_deadlines(halls: Sequence[Hall], *, first: float, spread: float) -> None:
    """Deadlines from ``first`` (epoch seconds) spread evenly over ``spread`` seconds; each
    section's chronograph queues its ETA tick for it."""
    from trading import chronograph
    from trading.models import Section

    step = spread / max(1, len(halls) - 1) if len(halls) > 1 else 0.0
    for index, hall in enumerate(halls):
        hall.deadline = first + index * step
        moment = dt.datetime.fromtimestamp(hall.deadline, tz=dt.UTC)
        Section.objects.filter(pk=hall.section_id).update(bid_deadline=moment)
        chronograph.apply_time_events(hall.section_id)  # nothing due yet: it reschedules


# --- the clients ---------------------------------------------------------------------------


class Watch:
    """A client in every hall (alternating between the servers), from its snapshot until it
    has seen the hall's stage event or ``until`` (epoch seconds, set with the deadlines)."""

    def __init__(self, halls: Sequence[Hall], bases: Sequence[str]) -> None:
        self.halls, self.bases = halls, bases
        self.until = float("inf")
        self.snapshots = 0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(
            *(self._one(hall, self.bases[i % len(self.bases)]) for i, hall in enumerate(self.halls))
        )

    async def _one(self, hall: Hall, base: str) -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Origin

        async with connect(
            base.replace("http", "ws", 1) + f"/ws/halls/{hall.code}/",
            origin=Origin(base),
            open_timeout=60,
            ping_interval=None,
            max_size=None,
        ) as socket:
            while (left := self.until - time.time()) > 0:
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=min(left, 3600))
                except TimeoutError:
                    continue  # ``until`` may have been set meanwhile: look again
                now = time.time()
                message = json.loads(raw)
                if message["type"] == "snapshot":
                    hall.snapshot_sequence = message["sequence"]
                    self.snapshots += 1
                    if self.snapshots == len(self.halls):
                        self.ready.set()
                elif message["type"] == "event":
                    hall.sequences.append(message["sequence"])
                    if message["kind"] == "stage" and message["payload"].get("stage") == STAGE:
                        hall.arrived = now
                        return


async def run(
    halls: Sequence[Hall], bases: Sequence[str], *, lead: float, spread: float, wait: float
) -> None:
    """Connect every client, then set the deadlines (the first ``lead`` seconds on) and
    watch until every hall's event came or ``wait`` seconds after the last deadline."""
    watch = Watch(halls, bases)
    watching = asyncio.create_task(watch.run())
    ready = asyncio.create_task(watch.ready.wait())
    await asyncio.wait([watching, ready], timeout=300, return_when=asyncio.FIRST_COMPLETED)
    if not watch.ready.is_set():
        ready.cancel()
        watching.cancel()
        await asyncio.gather(watching, ready, return_exceptions=True)
        raise RuntimeError(f"only {watch.snapshots} of {len(halls)} clients got a snapshot")
    first = time.time() + lead
    await asyncio.to_thread(_set_deadlines_and_close, halls, first, spread)
    watch.until = first + spread + wait
    await watching


def _set_deadlines_and_close(halls: Sequence[Hall], first: float, spread: float) -> None:
    from django.db import connections

    try:
        set_deadlines(halls, first=first, spread=spread)
    finally:
        connections.close_all()  # this thread's connection: nothing of ours stays open


def in_order(hall: Hall) -> bool:
    """The protocol's promise: after the snapshot, events numbered one by one."""
    if hall.snapshot_sequence is None:
        return False
    start = hall.snapshot_sequence + 1
    return hall.sequences == list(range(start, start + len(hall.sequences)))


def results(halls: Sequence[Hall]) -> dict[str, Any]:
    """Per hall: deadline → event at the client; lost, out of order, opened in the database."""
    from realtime.models import Hall as HallRow

    latencies = sorted(h.arrived - h.deadline for h in halls if h.arrived is not None)
    stages = dict(
        HallRow.objects.filter(section_id__in=[h.section_id for h in halls]).values_list(
            "section_id", "stage"
        )
    )

    def quantile(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)

    return {
        "halls": len(halls),
        "received": len(latencies),
        "lost": sum(h.arrived is None for h in halls),
        "in_order": sum(in_order(h) for h in halls),
        "opened": sum(stage == STAGE for stage in stages.values()),
        "p50_s": quantile(0.50),
        "p99_s": quantile(0.99),
        "max_s": round(latencies[-1], 3) if latencies else None,
        "within_2_s": sum(latency <= 2.0 for latency in latencies),
    }


# --- the processes and main ----------------------------------------------------------------


@contextmanager
def cluster(var: Path, port: int, *, logs: Path | None, **extra: str) -> Iterator[list[str]]:
    """Two daphne processes, a Celery worker and beat; yields the daphnes' base URLs."""
    from bench import processes

    with ExitStack() as stack:
        bases = [
            stack.enter_context(processes.daphne(var, port + n, logs=logs, **extra)).url
            for n in range(2)
        ]
        stack.enter_context(
            processes.celery(var, "worker", "--loglevel=INFO", logs=logs, ready=" ready.", **extra)
        )
        stack.enter_context(processes.celery(var, "beat", "--loglevel=INFO", logs=logs, **extra))
        yield bases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", type=int, default=50)
    parser.add_argument("--bids", type=int, default=100)
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--lead", type=float, default=15.0, help="seconds to the first deadline")
    parser.add_argument("--wait", type=float, default=60.0, help="after the last deadline")
    parser.add_argument("--port", type=int, default=57120)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    redis = setup.redis_url()
    setup.check_redis(redis)
    with setup.scratch("openings", redis=redis) as (work, database):
        if not database:
            raise SystemExit("set DATABASE_URL to a PostgreSQL server: SQLite is not the point")
        setup.django_setup()
        started = time.perf_counter()
        halls = build(work, sections=args.sections, bids=args.bids)
        built = time.perf_counter() - started
        setup.close_connections()
        with cluster(work / "var", args.port, logs=args.logs) as bases:
            asyncio.run(run(halls, bases, lead=args.lead, spread=args.spread, wait=args.wait))
        outcome = {
            "sections": args.sections,
            "bids_per_section": args.bids,
            "spread_s": args.spread,
            "database": database,
            "setup_s": round(built, 1),
            **results(halls),
        }
    if args.json:
        print(json.dumps(outcome))
        return
    print(
        f"{args.sections} sections × {args.bids} bids, deadlines over {args.spread:g} s "
        f"({database}, 2 daphne, Celery worker + beat); deadline → stage event at the client"
    )
    print(
        f"  p50 {outcome['p50_s']} s, p99 {outcome['p99_s']} s, max {outcome['max_s']} s; "
        f"within 2 s: {outcome['within_2_s']}/{outcome['halls']}; lost: {outcome['lost']}; "
        f"in order: {outcome['in_order']}/{outcome['halls']}; opened: {outcome['opened']}"
    )


if __name__ == "__main__":
    main()
