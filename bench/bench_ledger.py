"""Ledger throughput on PostgreSQL: appends/s with 8 concurrent writer processes and the
rate of ``verify``, each against a baseline measured in the same run.

Baselines: the same 8 processes inserting the same rows into an unchained table with no
lock (what the hash chain and the head lock cost), and SM3 over the same canonical records
without any database (what verification costs beyond hashing). For comparison the same
writers also append as the ledger did before issue 14 ("held": the head lock held through a
synchronous COMMIT, entries and head written by the ORM in two statements).

Each chained writer also times the statements of its appends (``execute_wrapper``): the
head lock (waiting for it included), the insert under it, the durability wait after
COMMIT; the rest is Python, COMMIT and scheduling. The means per append are printed as
"where the time goes".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ggzy python -m bench.bench_ledger
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "ggzy_bench_ledger"


def _bench_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _psql(base: str, sql: str) -> None:
    admin = urlunsplit(urlsplit(base)._replace(path="/postgres"))
    subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


PHASES = {
    "lock": "SELECT sequence, entry_hash",
    "store": "WITH stored AS",
    "durable": "SELECT pg_logical_emit_message",
}


def _run_writers(
    url: str, mode: str, writers: int, per_writer: int
) -> tuple[float, dict[str, float]]:
    """Start the writers, wait until every one has set Django up, then let them all go."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bench_ledger", "--worker", mode, str(per_writer), str(n)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    started = time.time()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    finishes = []
    phases: dict[str, float] = {}
    for process in processes:
        out, _ = process.communicate(timeout=900)
        if process.returncode != 0:
            raise SystemExit(f"{mode} writer failed")
        finish, spent = out.strip().splitlines()
        finishes.append(float(finish))
        for name, seconds in json.loads(spent).items():
            phases[name] = phases.get(name, 0.0) + seconds
    return max(finishes) - started, phases


def _worker(mode: str, count: int, name: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection, transaction

    from ggzy import clock
    from supervision import ledger

    data = {"section": 42, "bidder": "91320100MA1Y000114", "worker": name, "size": 1_048_576}
    connection.ensure_connection()
    spent = dict.fromkeys([*PHASES, "total"], 0.0)

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            for phase, prefix in PHASES.items():
                if sql.startswith(prefix):
                    spent[phase] += time.perf_counter() - started

    print("ready", flush=True)
    sys.stdin.readline()
    if mode == "held":
        for index in range(count):
            _append_holding_the_lock_through_commit({**data, "index": index})
    elif mode == "chained":
        with connection.execute_wrapper(timed):
            for index in range(count):
                started = time.perf_counter()
                ledger.append("bench.bid.received", data={**data, "index": index})
                spent["total"] += time.perf_counter() - started
    else:
        for index in range(count):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_plain (recorded_at, action, data) VALUES (%s, %s, %s)",
                    [clock.now(), "bench.bid.received", json.dumps({**data, "index": index})],
                )
    print(time.time())
    print(json.dumps(spent))


def _append_holding_the_lock_through_commit(data: dict[str, Any]) -> None:
    """``ledger.append`` as it was before issue 14, for the "held" comparison."""
    from django.db import transaction

    from ggzy import clock
    from ggzy_core import ledger_chain as chain
    from supervision import ledger
    from supervision.models import LedgerEntry, LedgerHead

    record = ledger._prepare(ledger.Pending("bench.bid.received", data=data), ledger.Context())
    with transaction.atomic():
        head = ledger._locked_head()
        record.update(
            sequence=head.sequence + 1,
            recorded_at=ledger._iso(clock.now()),
            previous_hash=head.entry_hash,
        )
        record["entry_hash"] = chain.entry_hash(record)
        LedgerEntry.objects.bulk_create([LedgerEntry(**ledger._columns(record))])
        LedgerHead.objects.filter(pk=head.pk).update(
            sequence=record["sequence"], entry_hash=record["entry_hash"]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, count, name = args.worker
        _worker(mode, int(count), name)
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (the bench makes its own db)")
    url = _bench_url(base)
    _psql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _psql(base, f"CREATE DATABASE {BENCH_DB}")
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [
            "psql",
            url,
            "-qc",
            "CREATE TABLE bench_plain (id bigserial primary key, "
            "recorded_at timestamptz, action varchar(100), data jsonb)",
        ],
        check=True,
    )
    total = args.writers * args.per_writer
    plain, _ = _run_writers(url, "plain", args.writers, args.per_writer)
    held, _ = _run_writers(url, "held", args.writers, args.per_writer)
    chained, phases = _run_writers(url, "chained", args.writers, args.per_writer)

    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from ggzy_core import ledger_chain as chain
    from ggzy_core.canonical import canonical
    from ggzy_core.gm.sm3 import sm3
    from supervision import ledger

    started = time.perf_counter()
    verdict = ledger.verify()
    verify_seconds = time.perf_counter() - started
    verified = 2 * total  # the "held" appends, then the chained ones, in one chain
    assert verdict.ok and verdict.entries == verified, verdict.reason
    records = list(ledger.entry_records())
    started = time.perf_counter()
    for record in records:
        sm3(canonical({name: record[name] for name in chain.ENTRY_FIELDS}))
    hash_seconds = time.perf_counter() - started
    from django.db import connections

    connections.close_all()
    _psql(base, f"DROP DATABASE IF EXISTS {BENCH_DB}")

    results: dict[str, Any] = {
        "writers": args.writers,
        "entries": total,
        "chained_appends_per_s": round(total / chained),
        "plain_inserts_per_s": round(total / plain),
        "append_ratio": round(plain and (total / chained) / (total / plain), 2),
        "held_appends_per_s": round(total / held),
        "held_ratio": round((total / held) / (total / plain), 2),
        "verify_entries_per_s": round(verified / verify_seconds),
        "hash_only_per_s": round(verified / hash_seconds),
        "verify_ratio": round(hash_seconds / verify_seconds, 2),
        "ms_per_append": {
            name: round(1000 * seconds / total, 3) for name, seconds in phases.items()
        },
    }
    if args.json:
        print(json.dumps(results))
        return
    print(f"ledger on PostgreSQL, {args.writers} concurrent writer processes, {total} entries")
    print(f"  chained appends   {results['chained_appends_per_s']:>8}/s")
    print(f"  plain inserts     {results['plain_inserts_per_s']:>8}/s  (baseline, same run)")
    print(f"  ratio             {results['append_ratio']:>8}x")
    print("  held through COMMIT (before issue 14), same run:")
    print(f"    appends         {results['held_appends_per_s']:>8}/s")
    print(f"    ratio to plain  {results['held_ratio']:>8}x")
    print(f"  verify            {results['verify_entries_per_s']:>8} entries/s")
    print(f"  SM3 of records    {results['hash_only_per_s']:>8}/s  (baseline, same run)")
    print(f"  ratio             {results['verify_ratio']:>8}x")
    spent = results["ms_per_append"]
    rest = spent["total"] - spent["lock"] - spent["store"] - spent["durable"]
    print("where an append's time goes (mean ms per append, per writer)")
    print(f"  head lock: waiting + reading    {spent['lock']:>8.3f}")
    print(f"  insert + head move, under lock  {spent['store']:>8.3f}")
    print(f"  durability wait, after COMMIT   {spent['durable']:>8.3f}")
    print(f"  Python, COMMIT, scheduling      {rest:>8.3f}")
    print(f"  total                           {spent['total']:>8.3f}")


if __name__ == "__main__":
    main()
