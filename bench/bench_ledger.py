"""Ledger throughput on PostgreSQL: appends/s with 8 concurrent writer processes and the
rate of ``verify``, each against a baseline measured in the same run.

Baselines: the same 8 processes inserting the same rows into an unchained table with no
lock (what the hash chain and the head lock cost), and SM3 over the same canonical records
without any database (what verification costs beyond hashing).

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


def _run_writers(url: str, mode: str, writers: int, per_writer: int) -> float:
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
    for process in processes:
        out, _ = process.communicate(timeout=900)
        if process.returncode != 0:
            raise SystemExit(f"{mode} writer failed")
        finishes.append(float(out.strip()))
    return max(finishes) - started


def _worker(mode: str, count: int, name: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection, transaction

    from ggzy import clock
    from supervision import ledger

    data = {"section": 42, "bidder": "91320100MA1Y000114", "worker": name, "size": 1_048_576}
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    if mode == "chained":
        for index in range(count):
            ledger.append("bench.bid.received", data={**data, "index": index})
    else:
        for index in range(count):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_plain (recorded_at, action, data) VALUES (%s, %s, %s)",
                    [clock.now(), "bench.bid.received", json.dumps({**data, "index": index})],
                )
    print(time.time())


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
    plain = _run_writers(url, "plain", args.writers, args.per_writer)
    chained = _run_writers(url, "chained", args.writers, args.per_writer)

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
    assert verdict.ok and verdict.entries == total, verdict.reason
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
        "verify_entries_per_s": round(total / verify_seconds),
        "hash_only_per_s": round(total / hash_seconds),
        "verify_ratio": round((total / verify_seconds) / (total / hash_seconds), 2),
    }
    if args.json:
        print(json.dumps(results))
        return
    print(f"ledger on PostgreSQL, {args.writers} concurrent writer processes, {total} entries")
    print(f"  chained appends   {results['chained_appends_per_s']:>8}/s")
    print(f"  plain inserts     {results['plain_inserts_per_s']:>8}/s  (baseline, same run)")
    print(f"  ratio             {results['append_ratio']:>8}x")
    print(f"  verify            {results['verify_entries_per_s']:>8} entries/s")
    print(f"  SM3 of records    {results['hash_only_per_s']:>8}/s  (baseline, same run)")
    print(f"  ratio             {results['verify_ratio']:>8}x")


if __name__ == "__main__":
    main()
