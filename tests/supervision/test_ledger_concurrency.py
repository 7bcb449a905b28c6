"""Concurrent appenders on PostgreSQL: the head lock is released before the commit's flush,
and still every committed change has its chained entry, through rollbacks and kills."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from supervision import ledger, ledger_postgres
from supervision.models import LedgerEntry, LedgerHead
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return str(cursor.fetchone()[0])


def _has_durability_hook() -> bool:
    return any(
        hook is ledger_postgres.wait_until_durable
        for _, hook, _ in ledger_postgres.on_commit_hooks(connection)
    )


@pytest.mark.django_db
def test_it_commits_an_appending_transaction_without_waiting_for_the_flush() -> None:
    with transaction.atomic():
        ledger.append("tests.thing.happened")
        ledger.append("tests.thing.happened")
        assert _setting("synchronous_commit") == "off"
        hooks = [hook for _, hook, _ in ledger_postgres.on_commit_hooks(connection)]
        assert hooks.count(ledger_postgres.wait_until_durable) == 1


@pytest.mark.django_db
def test_it_stores_exactly_the_entries_it_returns() -> None:
    with ledger.acting(address="2001:db8::7"):
        entry = ledger.append(
            "tests.money.moved", data={"amount": "12.50", "nested": {"片": [1, None]}}
        )
    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert not entry._state.adding
    assert ledger.record_of(stored) == ledger.record_of(entry)
    assert ledger.verify().ok


@pytest.mark.django_db
def test_it_stores_a_large_batch_in_several_statements_as_one_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ledger_postgres, "STORE_BATCH", 3)
    ledger.append("tests.thing.happened")
    batch = [ledger.Pending("tests.section.imported", data={"n": n}) for n in range(7)]
    entries = ledger.append_many(batch)
    assert [entry.sequence for entry in entries] == list(range(2, 9))
    assert list(LedgerEntry.objects.values_list("sequence", flat=True)) == list(range(1, 9))
    head = LedgerHead.objects.get()
    assert (head.sequence, head.entry_hash) == (8, entries[-1].entry_hash)
    verdict = ledger.verify()
    assert verdict.ok and verdict.entries == 8, verdict.reason


@pytest.mark.django_db
def test_a_full_read_of_the_chain_ends_only_once_what_it_read_is_durable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger.append("tests.thing.happened")
    calls: list[str] = []

    def recorded_wait() -> str:
        calls.append("durable")
        return ""

    monkeypatch.setattr(ledger_postgres, "wait_until_durable", recorded_wait)
    records = ledger.entry_records()
    assert next(records)["sequence"] == 1
    assert calls == []
    assert list(records) == []
    assert len(calls) == 1


@pytest.mark.django_db
def test_it_forgets_the_early_release_when_the_append_rolls_back() -> None:
    configured = _setting("synchronous_commit")
    with transaction.atomic():
        try:
            with transaction.atomic():
                ledger.append("tests.thing.happened")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        assert _setting("synchronous_commit") == configured
        assert not _has_durability_hook()


@pytest.mark.django_db(transaction=True)
def test_it_waits_for_the_flush_before_any_other_on_commit_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[tuple[str, str]] = []
    wait = ledger_postgres.wait_until_durable

    def recorded_wait() -> str:
        lsn = wait()
        events.append(("durable", lsn))
        return lsn

    def notify() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
            events.append(("notified", cursor.fetchone()[0]))

    monkeypatch.setattr(ledger_postgres, "wait_until_durable", recorded_wait)
    configured = _setting("synchronous_commit")
    with transaction.atomic():
        transaction.on_commit(notify)  # registered before the append, still runs after
        ledger.append("tests.thing.happened")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            before_commit = cursor.fetchone()[0]
    assert [name for name, _ in events] == ["durable", "notified"]
    (_, durable_at), (_, flushed_to) = events
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::pg_lsn > %s::pg_lsn, %s::pg_lsn >= %s::pg_lsn",
            [durable_at, before_commit, flushed_to, durable_at],
        )
        after_our_commit, flushed_past_it = cursor.fetchone()
    assert after_our_commit and flushed_past_it
    assert _setting("synchronous_commit") == configured  # only that transaction's


@pytest.fixture
def state_table() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE ledger_chaos_state (id bigserial PRIMARY KEY, worker text, index int)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE ledger_chaos_state")


class Workers:
    """Starts chaos workers; whatever is still running when the test ends is killed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.started: list[Any] = []

    def start(self, count: int, name: str, start_at: float, hold_at: int, *style: str) -> Any:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.supervision.ledger_chaos_worker",
                str(count),
                name,
                str(start_at),
                str(hold_at),
                *style,
            ],
            env={**os.environ, "DATABASE_URL": self.url, "DEBUG": "true"},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return process


@pytest.fixture
def workers(state_table: None) -> Iterator[Workers]:
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    started = Workers(url)
    yield started
    for process in started.started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _line(process: Any, prefix: str) -> int:
    """The number on the worker's next line that starts with ``prefix`` ("acked" lines, one
    per committed change, come in between)."""
    line = process.stdout.readline().strip()
    while line.startswith("acked") and prefix != "acked":
        line = process.stdout.readline().strip()
    assert line.startswith(prefix), f"worker said {line!r}, expected {prefix!r}"
    return int(line.split()[1])


@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_committed_change_chained_when_writers_are_killed_or_roll_back(
    workers: Workers,
) -> None:
    per_worker = 40
    start_at = time.time() + 4  # every process is connected before any appends
    # w0 is killed while it holds the head lock with a chained, uncommitted entry; w1..w5
    # roll back every fourth change after chaining it. (A server crash, which cuts every
    # session at once, is test_ledger_crash.py.)
    killed = workers.start(per_worker, "w0", start_at, per_worker // 2)
    steady = [workers.start(per_worker, f"w{n}", start_at, -1) for n in range(1, 6)]
    for process in [killed, *steady]:
        _line(process, "pid")
    abandoned = _line(killed, "holding")
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert [process.wait(timeout=300) for process in steady] == [0] * len(steady)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, worker, index FROM ledger_chaos_state")
        rows = {row: (worker, index) for row, worker, index in cursor.fetchall()}
    entries = list(LedgerEntry.objects.values_list("data__row", flat=True))
    assert sorted(entries) == sorted(rows), "a committed change without its entry, or vice versa"
    assert abandoned not in rows
    assert not any(index % 4 == 1 for _, index in rows.values())  # rolled back: no row
    steady_rows = [row for row, (worker, _) in rows.items() if worker != "w0"]
    assert len(steady_rows) == len(steady) * (per_worker - per_worker // 4)
    sequences = list(LedgerEntry.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(rows) + 1))
    verdict = ledger.verify()
    assert verdict.ok, verdict.reason
    assert verdict.entries == len(rows)
