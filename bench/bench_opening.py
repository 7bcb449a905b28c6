"""Opening many large bids: from the close of the key window to every bid decrypted (and
its chunks authenticated) by a real Celery worker, against ``openssl enc -d -sm4-ctr`` over
the same bytes with the same parallelism, in the same run.

    python -m bench.bench_opening [--bids 100] [--size-mb 20] [--json]

Set-up, in this process: organisations with keys, one bidder per bid; each bid is a file of
random bytes sealed by its own bidder (its key, the section's opening key) and uploaded
through the services in 16 MiB parts (no HTTP). The deadline is brought to now, the hall
opens, the host moves it to decryption, every bidder unwraps its content key with its own
key (the bidder's machine's work: not timed). A Celery worker (prefork, 2 processes, on
Redis: ``REDIS_URL``, default redis://127.0.0.1:6379/13) is started and waits. All keys are
submitted through ``realtime.decryption.submit_key`` inside one transaction, so no task
starts before the last key is in: t0 = that moment ("the window closes"); the tasks are
queued when it commits. The end is the last bid's ``decrypted_at``, written by the worker
(decrypt every SM4-GCM chunk and check its tag, unpack the tar, store the files, record
the status, a ledger entry and a hall event; the bidder's signature over the whole file was
checked at upload and is not checked again).

Baseline: the OpenSSL command line has no SM4-GCM, so ``openssl enc -d -sm4-ctr`` (CTR is
GCM without the authentication) decrypts each stored part of every bid, two processes at a
time, writing the output to a file. MB = 10^6 bytes; ratio = ggzy MB/s / openssl MB/s
(below 1: ggzy is slower).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import setup
from bench.bench_gm import openssl_version

MIB = 1 << 20
PARALLEL = 2


@contextmanager
def celery_worker(work: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Like tests/servers.py's worker, but prefork with PARALLEL processes; waits until it
    is ready to take tasks."""
    from tests import servers

    log_path = work / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery",
                "worker",
                "--pool=prefork",
                f"--concurrency={PARALLEL}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench-opening-{os.getpid()}@%h",
            ],
            cwd=setup.ROOT,
            env=servers.server_environment(work / "var"),  # the var dir this process uses
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b" ready." not in log_path.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield process
        finally:
            servers.stop(process)


def _setup(work: Path, bids: int, size_mb: int) -> tuple[Any, Any, list[Any], float]:
    """(section, host, [(bidder, bid, manifest)], seconds spent sealing and uploading)."""
    setup.django_setup()
    parties = setup.parties(bids)
    section = setup.section_for_bids(parties)
    payload, sealed = work / "proposal.bin", work / "bid.gbid"
    started = time.perf_counter()
    entries = []
    for bidder in parties.bidders:
        with payload.open("wb") as handle:
            for _ in range(size_mb):
                handle.write(os.urandom(MIB))
        with sealed.open("wb") as out:
            result = setup.seal(section, bidder, [payload], out)
        with sealed.open("rb") as data:
            bid = setup.upload(section, bidder, data, result.size)
        entries.append((bidder, bid, result.manifest))
    payload.unlink()
    sealed.unlink()
    return section, parties.centre.person, entries, time.perf_counter() - started


def open_all(section: Any, host: Any, entries: list[Any], work: Path) -> dict[str, Any]:
    from django.db import transaction

    from ggzy_core.gm import envelope
    from realtime import decryption, stages
    from realtime.models import BidOpening, HallStage, OpeningStatus

    current = setup.open_hall(section)
    current = stages.enter_next(hall=current, person=host)  # the bidder list
    current = stages.enter_next(hall=current, person=host)  # decryption
    assert current.stage == HallStage.DECRYPTION
    keys = [(bidder, bid, envelope.unwrap_content_key(m, bidder.key)) for bidder, bid, m in entries]
    setup.close_connections()  # nothing of ours open while the worker starts
    with celery_worker(work):
        with transaction.atomic():
            for bidder, bid, key in keys:
                opening = BidOpening.objects.get(hall=current, bid=bid)
                decryption.submit_key(opening=opening, person=bidder.person, content_key=key)
            closed = time.time()
        openings = BidOpening.objects.filter(hall=current)
        while openings.filter(status=OpeningStatus.DECRYPTING).exists():
            time.sleep(0.05)
            if time.time() - closed > 3600:
                raise RuntimeError("bids still decrypting after an hour")
        statuses = sorted(set(openings.values_list("status", flat=True)))
        if statuses != [OpeningStatus.DECRYPTED]:
            log = (work / "worker.log").read_text()[-3000:]
            raise RuntimeError(f"not every bid was decrypted: {statuses}; the worker says:\n{log}")
        last = max(o.decrypted_at.timestamp() for o in openings if o.decrypted_at is not None)
    return {"seconds": last - closed, "bytes": sum(bid.size for _b, bid, _m in entries)}


def openssl_baseline(entries: list[Any], work: Path) -> dict[str, Any]:
    """``openssl enc -d -sm4-ctr`` over every stored part, PARALLEL processes at a time."""
    from django.core.files.storage import default_storage

    jobs = []
    for _bidder, bid, _manifest in entries:
        upload = bid.upload
        for index in range(1, upload.parts + 1):
            jobs.append(Path(default_storage.path(upload.part_name(index))))
    key, iv = secrets.token_hex(16), secrets.token_hex(16)

    def decrypt(number_and_path: tuple[int, Path]) -> None:
        number, path = number_and_path
        out = work / f"openssl-{number}.out"
        subprocess.run(
            ["openssl", "enc", "-d", "-sm4-ctr", "-K", key, "-iv", iv, "-in", path, "-out", out],
            check=True,
        )
        out.unlink()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(decrypt, enumerate(jobs)))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "bytes": sum(path.stat().st_size for path in jobs),
        "runs": len(jobs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bids", type=int, default=100)
    parser.add_argument("--size-mb", type=int, default=20, help="MiB of random content per bid")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.bids < 3:
        raise SystemExit("a section opens with at least 3 bids [R44]")
    redis = setup.redis_url()
    setup.check_redis(redis)
    with setup.scratch("opening", redis=redis) as (work, database):
        section, host, entries, setup_seconds = _setup(work, args.bids, args.size_mb)
        ggzy = open_all(section, host, entries, work)
        baseline = openssl_baseline(entries, work)
        setup.close_connections()
    report(args, ggzy, baseline, setup_seconds, database)


def report(
    args: argparse.Namespace,
    ggzy: dict[str, Any],
    baseline: dict[str, Any],
    setup_seconds: float,
    database: str,
) -> None:
    assert ggzy["bytes"] == baseline["bytes"]
    mb = ggzy["bytes"] / 1e6
    results = {
        "bids": args.bids,
        "content_mib_per_bid": args.size_mb,
        "sealed_mb": round(mb, 1),
        "database": database,
        "worker": f"celery prefork, {PARALLEL} processes",
        "window_close_to_all_decrypted_s": round(ggzy["seconds"], 2),
        "ggzy_mb_s": round(mb / ggzy["seconds"], 1),
        "openssl_s": round(baseline["seconds"], 2),
        "openssl_mb_s": round(mb / baseline["seconds"], 1),
        "openssl_runs": baseline["runs"],
        "ratio_ggzy_over_openssl": round(baseline["seconds"] / ggzy["seconds"], 3),
        "setup_seal_and_upload_s": round(setup_seconds, 1),
        "openssl_cli": openssl_version().split(" (")[0],
    }
    if args.json:
        print(json.dumps(results))
        return
    print(
        f"opening {args.bids} bids of {args.size_mb} MiB content ({mb:.0f} MB sealed in all; "
        f"{database}, file storage, {results['worker']})"
    )
    print(
        f"  window close → all decrypted  {results['window_close_to_all_decrypted_s']:>8} s  "
        f"{results['ggzy_mb_s']:>7} MB/s"
    )
    print(
        f"  openssl enc -d -sm4-ctr       {results['openssl_s']:>8} s  "
        f"{results['openssl_mb_s']:>7} MB/s  (baseline, same run: {baseline['runs']} runs, "
        f"{PARALLEL} at a time; {results['openssl_cli']})"
    )
    print(
        f"  ratio (ggzy / openssl MB/s)   {results['ratio_ggzy_over_openssl']:>8}x  "
        "(below 1: ggzy is slower)"
    )
    print(f"  (sealing and uploading the bids took {setup_seconds:.0f} s, not measured)")


if __name__ == "__main__":
    main()
