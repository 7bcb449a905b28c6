"""The PostgreSQL path of ``ledger.append_many``: as little as possible under the head lock.

Appenders serialise on the ``LedgerHead`` row. What the lock covers decides throughput:

- the flush of the commit record is not covered. The appending transaction commits with
  ``synchronous_commit`` off, so COMMIT returns, and the row lock drops, once the commit
  record is in the write-ahead log; the first on-commit hook then waits for the flush
  (``wait_until_durable``), outside the lock, where many appenders share one fsync;
- two round trips are: one statement locks and reads the head (and sets the commit mode),
  one inserts the entries and moves the head. The hashing between them is microseconds.

Why the chain survives any crash: the WAL is replayed in order. Whoever locked the head
after this transaction did so after its commit record was in the WAL, so that appender's
own commit record comes later; a crash that loses this transaction loses every entry
chained to it too. Nobody is told "done" before the flush: the hook runs before the
caller's code after the ``atomic`` block, and before any other on-commit hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from supervision.models import LedgerEntry, LedgerHead

# Prefix of the logical WAL message that ``wait_until_durable`` writes: a replication
# consumer that decodes messages can skip it by name. It carries no data.
DURABILITY_MESSAGE_PREFIX = "ggzy.ledger.durable"

_LOCK_HEAD = (
    "SELECT sequence, entry_hash, set_config('synchronous_commit', 'off', true) "  # noqa: S608  # nosec B608 # table name from the model, no input
    f"FROM {LedgerHead._meta.db_table} WHERE id = 1 FOR UPDATE"
)
_ENTRY_FIELDS = LedgerEntry._meta.concrete_fields
_ENTRY_COLUMNS = ", ".join(str(field.column) for field in _ENTRY_FIELDS)
_ENTRY_ROW = "(" + ", ".join(["%s"] * len(_ENTRY_FIELDS)) + ")"
STORE_BATCH = 1000


def lock_head(connection: BaseDatabaseWrapper) -> tuple[int, str] | None:
    """Lock the head row and read (sequence, entry hash); ``None`` if there is no head row
    yet (the caller creates it). Arranges the early release of the lock for this
    transaction (``synchronous_commit`` off plus the durability hook)."""
    _arrange_durability_hook(connection)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_HEAD)
        row = cursor.fetchone()
        if row is None:
            cursor.execute("SET LOCAL synchronous_commit TO off")
            return None
    return int(row[0]), str(row[1])


def store(
    connection: BaseDatabaseWrapper, entries: Sequence[LedgerEntry], sequence: int, head: str
) -> None:
    """Insert the chained entries and move the head to the last of them: one statement
    for up to ``STORE_BATCH`` entries (a statement import may ledger thousands at once,
    and a statement takes at most 65,535 parameters)."""
    batches = [
        entries[start : start + STORE_BATCH] for start in range(0, len(entries), STORE_BATCH)
    ]
    with connection.cursor() as cursor:
        for batch in batches[:-1]:
            cursor.execute(_insert(len(batch)), _parameters(connection, batch))
        last = batches[-1]
        # A data-modifying WITH runs to completion whether or not the UPDATE reads it.
        insert_and_move_head = (
            f"WITH stored AS ({_insert(len(last))} RETURNING 1) "  # noqa: S608  # nosec B608 # placeholders only
            f"UPDATE {LedgerHead._meta.db_table} SET sequence = %s, entry_hash = %s WHERE id = 1"
        )
        cursor.execute(insert_and_move_head, [*_parameters(connection, last), sequence, head])
    for entry in entries:
        entry._state.adding = False
        entry._state.db = connection.alias


def _insert(rows: int) -> str:
    # Table and column names come from the models, never from input.
    values = ", ".join([_ENTRY_ROW] * rows)
    # Table and columns from the model, values as %s placeholders: no input reaches the text.
    sql = f"INSERT INTO {LedgerEntry._meta.db_table} ({_ENTRY_COLUMNS}) VALUES {values}"  # noqa: S608  # nosec B608
    return sql


def _parameters(connection: BaseDatabaseWrapper, entries: Sequence[LedgerEntry]) -> list[Any]:
    return [
        field.get_db_prep_save(getattr(entry, field.attname), connection)
        for entry in entries
        for field in _ENTRY_FIELDS
    ]


def on_commit_hooks(connection: BaseDatabaseWrapper) -> list[Any]:
    """The connection's pending on-commit hooks: (savepoint ids, callable, robust)."""
    # django-stubs still types the entries as pairs; Django 5 stores triples.
    return cast(list[Any], connection.run_on_commit)


def _arrange_durability_hook(connection: BaseDatabaseWrapper) -> None:
    hooks = on_commit_hooks(connection)
    if any(hook is wait_until_durable for _, hook, _ in hooks):
        return  # an earlier append in this transaction arranged it
    # First of the on-commit hooks, not last: a hook registered before the append (a
    # notification, a task) must not make the change known before it is durable. Tied
    # to the current savepoints as ``on_commit`` ties its hooks: if the savepoint rolls
    # back, the hook goes, and so does the SET LOCAL made inside it.
    hooks.insert(0, (set(connection.savepoint_ids), wait_until_durable, False))


def wait_until_durable() -> str:
    """Return once everything committed so far on this server is flushed (and replicated,
    as ``synchronous_commit`` asks), this connection's own last commit included.

    A transactional logical message is the smallest write that takes a transaction id, so
    its synchronous commit flushes the WAL up to itself, past the commit record of the
    transaction before it; appenders that wait at the same moment share one flush. Returns
    the message's WAL position (tests compare it with the flushed position).
    """
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_logical_emit_message(true, %s, ''::text)::text",
            [DURABILITY_MESSAGE_PREFIX],
        )
        row = cursor.fetchone()
    return str(row[0]) if row else ""
