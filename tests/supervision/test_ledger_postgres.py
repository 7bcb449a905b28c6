"""What only PostgreSQL can show: the trigger, and many processes appending at once."""

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pgtrigger
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from supervision import ledger
from supervision.models import LedgerEntry
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_an_entry() -> None:
    entry = ledger.append("tests.thing.happened")
    for statement in [
        "UPDATE supervision_ledgerentry SET action = 'tests.forged' WHERE sequence = %s",
        "DELETE FROM supervision_ledgerentry WHERE sequence = %s",
    ]:
        with (
            pytest.raises(DatabaseError, match="pgtrigger"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.sequence])
    assert LedgerEntry.objects.get(pk=entry.pk).action == "tests.thing.happened"


@pytest.mark.django_db
def test_tampering_that_bypasses_the_trigger_is_caught_by_verification(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(5):
        ledger.append("tests.money.moved", data={"amount": str(n)})
    ledger.checkpoint()
    with (
        pgtrigger.ignore("supervision.LedgerEntry:ledger_entry_append_only"),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            'UPDATE supervision_ledgerentry SET data = \'{"amount": "999"}\' WHERE sequence = 3'
        )
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger")
    assert caught.value.returncode == 1
    assert "#3" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_deleted_entry_is_named_as_missing(capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(4):
        ledger.append("tests.thing.happened", data={"n": n})
    with (
        pgtrigger.ignore("supervision.LedgerEntry:ledger_entry_append_only"),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM supervision_ledgerentry WHERE sequence = 2")
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "#2" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_keep_one_unbroken_chain() -> None:
    workers, per_worker = 8, 40
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    start_at = time.time() + 4  # every process is up before any appends
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.supervision.append_worker",
                str(per_worker),
                f"w{n}",
                str(start_at),
            ],
            env=env,
            cwd=ROOT,
        )
        for n in range(workers)
    ]
    assert [process.wait(timeout=240) for process in processes] == [0] * workers
    sequences = list(LedgerEntry.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, workers * per_worker + 1))
    verdict = ledger.verify()
    assert verdict.ok, verdict.reason
    assert verdict.entries == workers * per_worker
    # The writers really interleaved: the chain is not eight blocks one after another.
    order = list(LedgerEntry.objects.values_list("data__worker", flat=True))
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches > workers
