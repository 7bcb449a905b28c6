"""Files written to storage inside a database transaction: kept if it commits, deleted if it
does not.

A storage write is not part of the transaction: a row rolled back while its file stays leaves
an orphan that nothing refers to and nobody deletes (issue 8). Django has no on-rollback
hook, so the block that writes files must be the one that knows whether it committed:
:func:`atomic` opens the transaction (``durable``: the outermost one, so no enclosing plain
``transaction.atomic()`` can roll back after it and keep the files), :func:`save` and
:func:`save_field` write through it. If the block does not commit, every file written in it
is deleted. Blocks nest: an inner block's files are deleted when its savepoint rolls back,
and otherwise handed to the enclosing block, which decides. See docs/decisions.md ("Files
and transactions").

Writing after commit instead was rejected: a crash between the commit and the write leaves a
committed row (a tender document with its SM3 in the ledger) whose file never existed — worse
than an orphan file.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

_Written = list[tuple[Storage, str]]
_current: contextvars.ContextVar[_Written | None] = contextvars.ContextVar(
    "ggzy_files_written", default=None
)


@contextmanager
def atomic() -> Iterator[None]:
    """``transaction.atomic()`` for a block that writes files (see the module docstring)."""
    parent = _current.get()
    written: _Written = []
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    token = _current.set(written)
    try:
        # Outermost: durable, so that "an exception left the block" means "not committed".
        # (Inside a test's own transaction Django allows it: the test rolls back everything.)
        with transaction.atomic(durable=parent is None):
            if parent is None:
                # The first commit callback: it runs before any that might raise, so a
                # failing callback after the commit does not delete committed files.
                transaction.on_commit(mark_committed)
            yield
    except BaseException:
        if not committed:
            _delete(written)
        raise
    finally:
        _current.reset(token)
    if parent is not None:
        parent.extend(written)


def save(storage: Storage, name: str, content: File) -> str:
    """``storage.save`` inside :func:`atomic`; returns the name the storage chose."""
    written = _written()
    stored = storage.save(name, content)
    written.append((storage, stored))
    return stored


def save_field(field_file: FieldFile, name: str, content: File) -> None:
    """``field_file.save(name, content, save=False)`` inside :func:`atomic`: the name goes
    through the field's ``upload_to``; the caller saves the row."""
    written = _written()
    field_file.save(name, content, save=False)
    written.append((field_file.storage, str(field_file.name)))


def _written() -> _Written:
    written = _current.get()
    if written is None:
        # A programming error, not a user's: say which call to use.
        raise RuntimeError("files.save outside files.atomic(): a rollback would orphan the file")
    return written


def _delete(written: _Written) -> None:
    for storage, name in reversed(written):
        try:
            storage.delete(name)
        except Exception:  # the rollback's own exception is the one to propagate
            logger.exception("could not delete %s after a rollback: an orphan file", name)
