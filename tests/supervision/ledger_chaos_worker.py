"""Run as a separate process by the crash test: changes state and ledgers it, some changes
rolled back after their entry was chained, one (optionally) held open under the head lock
until the test kills it.

    python -m tests.supervision.ledger_chaos_worker COUNT NAME START_AT HOLD_AT [query]
    python -m tests.supervision.ledger_chaos_worker verify

Prints ``pid <backend pid>`` once connected, and ``holding <row id>`` when it holds the
head lock at iteration HOLD_AT (-1: never), then waits to be killed: idle in transaction
(the server sees a killed client at once), or with ``query`` inside a long query (so that
the server can terminate the backend and the worker hears of it at once).
"""

import contextlib
import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from supervision import ledger  # noqa: E402
from supervision.models import LedgerEntry  # noqa: E402


class RolledBack(Exception):
    """Raised inside a change to undo it after its entry was chained."""


def change(worker: str, index: int, hold: bool, in_query: bool) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_chaos_state (worker, index) VALUES (%s, %s) RETURNING id",
            [worker, index],
        )
        (row,) = cursor.fetchone()
        ledger.append("tests.chaos.changed", data={"row": row, "worker": worker})
        if hold:
            print(f"holding {row}", flush=True)
            # The test kills this process or its backend long before the two minutes.
            if in_query:
                cursor.execute("SELECT pg_sleep(120)")
            else:
                time.sleep(120)
        if index % 4 == 1:
            raise RolledBack
    return int(row)


def verify() -> None:
    """Print, as JSON, the chain's verdict and the state rows and entries to compare."""
    verdict = ledger.verify()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ledger_chaos_state")
        rows = sorted(row for (row,) in cursor.fetchall())
    entries = LedgerEntry.objects.filter(action="tests.chaos.changed")
    entry_rows = sorted(entries.values_list("data__row", flat=True))
    report = {"ok": verdict.ok, "reason": verdict.reason, "entries": verdict.entries}
    print(json.dumps({**report, "rows": rows, "entry_rows": entry_rows}))


def main() -> None:
    if sys.argv[1:] == ["verify"]:
        verify()
        return
    count, worker, start_at, hold_at = (
        int(sys.argv[1]),
        sys.argv[2],
        float(sys.argv[3]),
        int(sys.argv[4]),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        print(f"pid {cursor.fetchone()[0]}", flush=True)
    in_query = sys.argv[5:] == ["query"]
    time.sleep(max(0.0, start_at - time.time()))
    for index in range(count):
        with contextlib.suppress(RolledBack):
            # Printed once the change is committed and durable: the crash test holds the
            # server to it.
            print(
                f"acked {change(worker, index, hold=index == hold_at, in_query=in_query)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
