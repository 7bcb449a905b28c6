"""Statement import: the bank's statement, as a CSV file or its JSON feed, recorded through
``matching.record_lines`` in batches — the safety net under the callbacks. On PostgreSQL a
CSV file takes the set-based path (``statement_copy``: the same rules, the whole file in one
transaction) when it can, and this one when it cannot.

A refused line is reported with its line number and never stops the others; a line already
recorded (by a callback, an earlier import) is counted as known and changes nothing, so
importing the same file twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path

from deposits import bank_http, matching, statement_copy
from deposits.bank import Bank, StatementLine
from deposits.models import LineSource
from deposits.statement_format import Imported, LineError, parse_csv, parse_json
from ggzy import clock
from ggzy.errors import DomainError, not_utf8
from ggzy_core.gm.sm3 import sm3_stream
from supervision import ledger

__all__ = ["Imported", "import_csv", "import_lines", "parse_csv", "parse_json", "pull"]

log = logging.getLogger(__name__)
# The feed pull asks for this much history each time: callbacks missed during an outage
# this long are caught by the next pull; longer ones by `check_books` (it compares the whole
# statement) and `import_statement --feed --since`.
PULL_LOOKBACK = dt.timedelta(days=2)
MAX_CSV_BYTES = 128 * 1024 * 1024
BATCH = 2000  # lines recorded in one transaction (matching.record_lines)


def import_lines(
    rows: Iterable[tuple[int, StatementLine | LineError]], *, source: LineSource | str
) -> Imported:
    """Record the good rows in batches (one transaction each); report the others."""
    imported = Imported()
    batch: list[tuple[int, StatementLine]] = []
    for number, row in rows:
        if isinstance(row, LineError):
            imported.errors.append((number, str(row)))
            continue
        batch.append((number, row))
        if len(batch) >= BATCH:
            _record(batch, source, imported)
            batch = []
    if batch:
        _record(batch, source, imported)
    imported.errors.sort()
    return imported


def _record(
    batch: list[tuple[int, StatementLine]], source: LineSource | str, into: Imported
) -> None:
    recorded = matching.record_lines([line for _number, line in batch], source=source)
    into.new += recorded.new
    # Known with another amount or account: the bank must explain; nothing changed.
    into.errors.extend((batch[index][0], why) for index, why in recorded.conflicts)
    into.known += recorded.repeated - len(recorded.conflicts)


def import_csv(path: Path) -> Imported:
    """Import a statement file (UTF-8, optionally with a BOM; docs/bank-interface.md)."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DomainError(
            f"文件超过 {MAX_CSV_BYTES // 2**20} MiB，请按日期分批导出 / The file is over "
            f"{MAX_CSV_BYTES // 2**20} MiB: export it from the bank in shorter date ranges",
            code="too_large",
            field="file",
        )
    copied = statement_copy.import_csv(path)
    imported: Imported
    if copied is not None:
        imported, digest = copied, copied.digest
    else:
        with path.open("rb") as raw:
            digest = sm3_stream(raw).hex()
        imported = _import_exactly(path)
    ledger.append(
        "deposits.statement.imported",
        data={"source": "csv", "file": path.name, "sm3": digest, **imported.as_data()},
    )
    return imported


def _import_exactly(path: Path) -> Imported:
    """Line by line in Python: any database, any well-formed file."""
    try:
        with path.open(encoding="utf-8", newline="") as rows:
            return import_lines(parse_csv(rows), source=LineSource.CSV)
    except UnicodeDecodeError as exc:
        raise not_utf8(exc) from exc


def pull(*, since: dt.datetime | None = None, bank: Bank | None = None) -> Imported:
    """Read the bank's JSON feed from ``since`` (default: the last ``PULL_LOOKBACK``) and
    record every line; ``BankUnavailable`` when the bank does not answer."""
    since = since or clock.now() - PULL_LOOKBACK
    try:
        lines = (bank or bank_http.bank()).statement(since=since)
        refused: list[tuple[int, str]] = []
    except bank_http.MalformedStatement as malformed:
        lines, refused = malformed.lines, malformed.errors
        for position, why in refused:
            log.error("statement feed line %d refused: %s", position, why)
    imported = import_lines(enumerate(lines, start=1), source=LineSource.FEED)
    imported.errors = refused + imported.errors
    if imported.new or imported.errors:
        # A quiet pull (nothing new) leaves no trace; one that found something does.
        ledger.append(
            "deposits.statement.pulled",
            data={"source": "feed", "since": since, **imported.as_data()},
        )
    return imported
