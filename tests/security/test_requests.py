"""The matrix's caller undoes what a request writes, and costs no savepoint when it only
reads (tests/security/requests.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.security.requests import only_reads, undone

pytestmark = pytest.mark.django_db


def test_what_a_block_writes_is_undone_and_its_callbacks_dropped() -> None:
    ran: list[str] = []
    with undone():
        assert not Group.objects.filter(name="undone").exists()  # a read before the write
        Group.objects.create(name="undone")
        transaction.on_commit(lambda: ran.append("callback"))
    assert not Group.objects.filter(name="undone").exists()
    assert connection.run_on_commit == []


def test_a_block_that_only_reads_takes_no_savepoint() -> None:
    with CaptureQueriesContext(connection) as queries, undone():
        Group.objects.filter(name="undone").exists()
    assert [query["sql"].split()[0] for query in queries] == ["SELECT"]


def test_what_an_atomic_block_inside_writes_is_undone_too() -> None:
    with undone(), transaction.atomic():
        Group.objects.create(name="nested")
    assert not Group.objects.filter(name="nested").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_block_runs_in_one_rolled_back() -> None:
    with undone():
        Group.objects.create(name="undone")
    assert not Group.objects.filter(name="undone").exists()


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "id" FROM "bidding_bid" FOR UPDATE',
        "SELECT nextval('seq')",
        "SELECT set_config('synchronous_commit', 'off', true)",
        "SELECT pg_advisory_xact_lock(1)",
        'UPDATE "auth_group" SET "name" = %s',
        'WITH x AS (DELETE FROM "auth_group" RETURNING 1) SELECT 1',
        'SAVEPOINT "s1"',
    ],
)
def test_a_statement_that_may_change_something_is_not_a_read(sql: str) -> None:
    assert not only_reads(sql)


def test_a_plain_select_is_a_read() -> None:
    assert only_reads('  SELECT COUNT(*) AS "__count" FROM "auth_group" WHERE "id" IN (1, 2)')
