"""The platform's cost of the transparency log on PostgreSQL: one tick of the head producer
(``supervision.transparency.producer.publish_head``) on a ledger of ``--entries`` entries.

Measured in one run, on a database of its own:

- the catch-up: the first ticks over a ledger that had no tree (20,000 entries a tick);
- a steady tick: 1,000 entries appended since the last head (a busy minute);
- an idle tick: nothing new (most minutes: a head is signed at every tick all the same);
- the deadline batch: a section's 1,000 embargoed entries entering at once;

each against the baseline of the same run: ``ledger.checkpoint()``, the signed checkpoint
of the chain's head the platform already makes (a lock, a read and an SM2 signature).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ggzy python -m bench.bench_tree_heads
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "ggzy_bench_tree_heads"
BATCH = 1_000
ROUNDS = 7


def _database(base: str) -> str:
    admin = urlunsplit(urlsplit(base)._replace(path="/postgres"))
    for sql in (f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)
    return urlunsplit(urlsplit(base)._replace(path=f"/{BENCH_DB}"))


def _median_ms(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (the bench makes its own db)")
    url = _database(base)
    os.environ.update(DATABASE_URL=url, DEBUG="true")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from ggzy import clock
    from supervision import ledger
    from supervision.models import LedgerTreeState
    from supervision.transparency.producer import MAX_FRESH_PER_TICK, publish_head

    def append(count: int, embargo: str = "") -> None:
        for start in range(0, count, BATCH):
            ledger.append_many(
                [
                    ledger.Pending(
                        "bench.entry.written",
                        actor=ledger.SYSTEM,
                        target=("bench.object", str(start + n)),
                        data={"n": start + n, "note": "a realistic few dozen bytes of data"},
                        address="192.0.2.1",
                        embargo=embargo,
                    )
                    for n in range(min(BATCH, count - start))
                ]
            )

    started = time.perf_counter()
    append(args.entries)
    print(f"ledger of {args.entries:,} entries written in {time.perf_counter() - started:.1f} s")

    ticks, started = 0, time.perf_counter()
    while True:
        publish_head()
        ticks += 1
        if LedgerTreeState.objects.get(pk=1).cursor >= args.entries:
            break
    catch_up = time.perf_counter() - started
    checkpoint_ms = _median_ms(lambda: (ledger.append("bench.plain"), ledger.checkpoint()))

    def busy_tick() -> None:
        append(BATCH)
        started = time.perf_counter()
        publish_head()
        busy.append((time.perf_counter() - started) * 1000)

    busy: list[float] = []
    for _ in range(ROUNDS):
        busy_tick()
    busy_ms = statistics.median(busy)
    idle_ms = _median_ms(publish_head)

    scope = "bench.section:1"
    ledger.seal(scope, until=clock.now() + dt.timedelta(days=1))
    append(BATCH, embargo=scope)
    publish_head()  # sealed: the batch waits
    ledger.seal(scope, until=clock.now() - dt.timedelta(seconds=1))
    started = time.perf_counter()
    head = publish_head()
    batch_ms = (time.perf_counter() - started) * 1000

    print(f"catch-up: {ticks} ticks of ≤ {MAX_FRESH_PER_TICK:,} entries in {catch_up:.1f} s")
    print(f"  per entry                           {catch_up / args.entries * 1e6:8.1f} µs")
    print(f"baseline: ledger.checkpoint()         {checkpoint_ms:8.1f} ms  (incl. one append)")
    print(
        f"steady tick, {BATCH:,} new entries       {busy_ms:8.1f} ms  {busy_ms / checkpoint_ms:5.1f}x"
    )
    print(
        f"idle tick, nothing new                {idle_ms:8.1f} ms  {idle_ms / checkpoint_ms:5.1f}x"
    )
    print(
        f"deadline batch, {BATCH:,} embargoed       {batch_ms:8.1f} ms  {batch_ms / checkpoint_ms:5.1f}x"
    )
    print(f"final tree size {head.tree_size:,}")


if __name__ == "__main__":
    main()
