"""Statement files on PostgreSQL: COPY the file into a staging table and match every line in
a few set-based statements — the same rules as ``matching.record_lines`` (decision 80).

The fast path takes only what it can take exactly: a file whose header names the eight
columns once each, one line per row, and rows that pass a check at least as strict as
``statement_format.parse_line``. A row that fails the check is parsed by ``parse_line`` for
its error message; if ``parse_line`` would accept a row the check refused (a digit from
another script, say), or COPY finds the file malformed, the import falls back to the exact
path (``statement.import_lines``) and nothing the fast path did is kept.

The whole file is one transaction under an EXCLUSIVE lock of the sub-accounts: callbacks
for deposits wait for it (their row locks conflict), so every deposit's running total is
read and written by one matcher at a time, as in ``record_lines``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.db import DataError, IntegrityError, connection, transaction

from deposits import books, matching
from deposits.collection import TAKING_DEPOSITS
from deposits.models import BookAccountKind, LineOutcome, LineSource
from deposits.statement_format import (
    FIELDS,
    LIMITS,
    MAX_CSV_ROWS,
    Imported,
    LineError,
    parse_line,
)
from ggzy import clock
from ggzy_core.gm.sm3 import SM3
from ggzy_core.times import BEIJING
from supervision import ledger
from trading.models import Section

CHUNK_BYTES = 1 << 20
ATTEMPTS = 3  # a reference recorded concurrently (a callback) fails the insert: run again
# What str.strip() removes (tests/deposits/test_statement_copy.py proves the list whole):
# a value with one of these at either end is left to parse_line, which strips it.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
KEYS = {
    "deposit_prefix": books.DEPOSIT,
    "held_prefix": books.HELD,
    "arrival_prefix": books.ARRIVAL,
}
BEIJING_HOURS = int(BEIJING.utcoffset(None).total_seconds() // 3600)


class _Fallback(Exception):
    """The file needs the exact path; everything done here is rolled back."""


@dataclass
class CopyResult(Imported):
    """What the import did, and the file's SM3 (taken on the way into COPY)."""

    digest: str = ""


def import_csv(path: Path) -> CopyResult | None:
    """Import a statement file on PostgreSQL; None when it needs the exact path."""
    if connection.vendor != "postgresql" or not _plain_header(path):
        return None
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _import(path)
        except _Fallback:
            return None
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _plain_header(path: Path) -> bool:
    with path.open("rb") as raw:
        first = raw.readline(4096)
    try:
        names = next(csv.reader([first.decode("utf-8-sig")]), [])
    except (UnicodeDecodeError, csv.Error):
        return False
    return sorted(names) == sorted(FIELDS)


def _import(path: Path) -> CopyResult:
    result = CopyResult()
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE deposits_subaccount IN EXCLUSIVE MODE")
        # Sorts and hashes of a whole statement in memory, for this transaction only.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(DROP)  # left by an earlier import in the same transaction
        rows = _copy(cursor, path, result)
        if rows > MAX_CSV_ROWS:
            raise _Fallback
        try:
            cursor.execute(VALID_ROWS, _valid())
        except DataError as exc:  # a date that passed the check but is no date
            raise _Fallback from exc
        # Statistics for the planner: without them it nests loops over 100,000 rows.
        cursor.execute("ANALYZE ggzy_valid")
        result.errors = _refused(cursor)
        cursor.execute(INSERT_DEPOSIT_ACCOUNTS, {"deposit": BookAccountKind.DEPOSIT, **KEYS})
        cursor.execute(
            JUDGE,
            {
                "taking": [str(status) for status in TAKING_DEPOSITS],
                "hours": BEIJING_HOURS,
                "deposit": BookAccountKind.DEPOSIT,
                **{outcome.name.lower(): outcome.value for outcome in LineOutcome},
            },
        )
        cursor.execute("ANALYZE ggzy_judged")
        bookings = _open_bookings(cursor)
        cursor.execute(INSERT_LINES, {"source": LineSource.CSV, "now": clock.now()})
        result.new = cursor.rowcount
        cursor.execute(INSERT_HELD_ACCOUNTS, {"held": BookAccountKind.HELD, **KEYS})
        cursor.execute(INSERT_ENTRIES, {"bank": books.bank_account().pk})
        _check_balanced(cursor, bookings)
        repeated, conflicts = _repeated(cursor)
        result.errors = sorted(result.errors + conflicts)
        result.known = repeated - len(conflicts)
        _ledger(cursor)
        cursor.execute(SHARED_PAYER_CANDIDATES)
        pairs = cursor.fetchall()
        cursor.execute(DROP)
    matching.signal_shared_payers(
        sorted({section for section, _payer in pairs}), sorted({payer for _s, payer in pairs})
    )
    return result


def _copy(cursor: Any, path: Path, result: CopyResult) -> int:
    """The file into the staging table, hashed on the way; its row count. A row spanning
    lines (a quoted line break) or a blank line would shift line numbers: exact path."""
    cursor.execute(STAGING)
    with path.open("rb") as raw:
        header = raw.readline()
        names = next(csv.reader([header.decode("utf-8-sig")]))
        hasher, newlines, last = SM3(header), header.count(b"\n"), b"\n"
        try:
            with cursor.copy(
                f"COPY ggzy_statement ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                while chunk := raw.read(CHUNK_BYTES):
                    hasher.update(chunk)
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
                    copy.write(chunk)
        except (DataError, psycopg.DataError) as exc:  # COPY's own errors are psycopg's
            raise _Fallback from exc
    result.digest = hasher.hexdigest()
    cursor.execute("SELECT count(*) FROM ggzy_statement")
    (rows,) = cursor.fetchone()
    lines = newlines + (last != b"\n")
    if rows != lines - 1:
        raise _Fallback
    return int(rows)


def _refused(cursor: Any) -> list[tuple[int, str]]:
    """The rows the strict check refused, each with parse_line's reason and its line."""
    cursor.execute(REFUSED)
    errors = []
    for n, *values in cursor.fetchall():
        try:
            parse_line({name: value or "" for name, value in zip(FIELDS, values, strict=True)})
        except LineError as exc:
            errors.append((n + 1, str(exc)))
            continue
        raise _Fallback  # parse_line takes what the check refused: the exact path decides
    return errors


def _open_bookings(cursor: Any) -> dict[str, int]:
    """One arrival transaction per section and Beijing day, as ``matching`` opens them."""
    cursor.execute(BOOKINGS, KEYS)
    cursor.execute("SELECT key, day, lines FROM ggzy_bookings")
    opened = books.open_transactions(
        "arrival",
        [(key, day, matching.arrivals_memo(count)) for key, day, count in cursor.fetchall()],
    )
    return {posted.key: posted.pk for posted in opened}


def _check_balanced(cursor: Any, bookings: dict[str, int]) -> None:
    """What ``books.enter`` checks: every arrival balances and moves money."""
    if not bookings:
        return
    cursor.execute(
        "SELECT transaction_id, sum(amount), count(*) FROM deposits_bookentry "
        "WHERE transaction_id = ANY(%s) GROUP BY transaction_id",
        [list(bookings.values())],
    )
    totals = {row[0]: row for row in cursor.fetchall()}
    for key, pk in bookings.items():
        _pk, total, count = totals.get(pk, (pk, None, 0))
        if total != 0 or count < 2:
            raise books.UnbalancedError(f"transaction {key} does not balance: {total}")


def _repeated(cursor: Any) -> tuple[int, list[tuple[int, str]]]:
    """Rows whose reference was recorded before or earlier in the file; the conflicts."""
    cursor.execute(REPEATED)
    rows = cursor.fetchall()
    conflicts = [
        (n + 1, matching.conflict_message(reference)) for n, reference, same in rows if not same
    ]
    return len(rows), conflicts


def _ledger(cursor: Any) -> None:
    """The entries ``matching`` writes for the same lines."""
    cursor.execute(LEDGER_LINES)
    rows = cursor.fetchall()
    sections = Section.objects.in_bulk({row[0] for row in rows if row[0] is not None})
    by_section: dict[Section | None, list[matching.Received]] = defaultdict(list)
    for section, *line in rows:
        by_section[sections[section] if section else None].append(matching.Received(*line))
    ledger.append_many(matching.received_entries(by_section))


def _valid() -> dict[str, Any]:
    return {
        "ws": PYTHON_WHITESPACE,
        "control": CONTROL,
        "moments": MOMENT_SHAPES,
        **{f"max_{name}": limit for name, limit in LIMITS.items()},
    }


def _text(column: str) -> str:
    """A text column parse_line would keep as it is: within its limit, nothing to strip, no
    control character."""
    value = f"coalesce(s.{column}, '')"
    return (
        f"char_length({value}) <= %(max_{column})s AND btrim({value}, %(ws)s) = {value} "
        f"AND {value} !~ %(control)s"
    )


CONTROL = "[\x01-\x1f]"
# booked_at with its digits as zeros: seconds, optional fraction, Z or an offset.
MOMENT_SHAPES = [
    f"0000-00-00T00:00:00{fraction}{zone}"
    for fraction in ["", *("." + "0" * digits for digits in range(1, 7))]
    for zone in ("Z", "+00:00", "-00:00")
]
# The strict check: a row passing it is one parse_line accepts, with equal values. Simple
# string functions and one-class patterns: bounded repetitions in a pattern and translate()
# with a long set cost more here than all the rest of the import.
VALID = " AND ".join(
    [
        "char_length(s.reference) BETWEEN 1 AND 64",
        "s.reference !~ '[^A-Za-z0-9_.:-]'",
        "s.direction IN ('credit', 'debit')",
        "(s.direction = 'debit' OR coalesce(s.account, '') <> '')",
        "coalesce(s.counterparty_account, '') <> ''",
        *(
            _text(column)
            for column in ("account", "counterparty_account", "counterparty_name", "memo")
        ),
        # amount: ASCII digits, at most one point with one or two after it, more than zero
        "translate(s.amount, '0123456789', '') IN ('', '.')",
        "translate(s.amount, '0.', '') <> ''",
        "left(s.amount, 1) <> '.'",
        "(strpos(s.amount, '.') = 0 AND char_length(s.amount) <= 16"
        " OR strpos(s.amount, '.') <= 17"
        " AND char_length(s.amount) - strpos(s.amount, '.') IN (1, 2))",
        # booked_at: ISO 8601 with seconds and a zone, every field in range
        "translate(s.booked_at, '0123456789', '0000000000') = ANY(%(moments)s)",
        "substr(s.booked_at, 6, 2) COLLATE \"C\" BETWEEN '01' AND '12'",
        "substr(s.booked_at, 9, 2) COLLATE \"C\" BETWEEN '01' AND '31'",
        "substr(s.booked_at, 12, 2) COLLATE \"C\" <= '23'",
        "substr(s.booked_at, 15, 2) COLLATE \"C\" <= '59'",
        "substr(s.booked_at, 18, 2) COLLATE \"C\" <= '59'",
        "(right(s.booked_at, 1) = 'Z' OR right(s.booked_at, 5) COLLATE \"C\" <= '23:59'"
        " AND right(s.booked_at, 2) COLLATE \"C\" <= '59')",
    ]
)

DROP = "DROP TABLE IF EXISTS ggzy_statement, ggzy_valid, ggzy_judged, ggzy_bookings"

STAGING = """
CREATE TEMPORARY TABLE ggzy_statement (
    n bigint GENERATED ALWAYS AS IDENTITY, reference text, direction text, account text,
    counterparty_account text, counterparty_name text, amount text, booked_at text, memo text
) ON COMMIT DROP
"""

# The rows that pass the check, typed, each knowing whether its reference is recorded.
_VALID_ROWS = """
CREATE TEMPORARY TABLE ggzy_valid ON COMMIT DROP AS
SELECT s.n, s.reference, s.direction, coalesce(s.account, '') AS account,
    s.counterparty_account, coalesce(s.counterparty_name, '') AS counterparty_name,
    s.amount::numeric(18, 2) AS amount, s.booked_at::timestamptz AS booked_at,
    coalesce(s.memo, '') AS memo,
    EXISTS (SELECT 1 FROM deposits_bankline b WHERE b.reference = s.reference) AS known
FROM ggzy_statement s
WHERE """
VALID_ROWS = _VALID_ROWS + VALID  # nosec B608 # constants only

_REFUSED = """ FROM ggzy_statement s
WHERE NOT EXISTS (SELECT 1 FROM ggzy_valid v WHERE v.n = s.n)
ORDER BY s.n
"""
STAGED = ", ".join(f"s.{name}" for name in FIELDS)
REFUSED = "SELECT s.n, " + STAGED + _REFUSED

# Deposit accounts for new lines to known sub-accounts, so that JUDGE reads what each holds.
INSERT_DEPOSIT_ACCOUNTS = """
INSERT INTO deposits_bookaccount (key, kind, section_id, organisation_id)
SELECT DISTINCT %(deposit_prefix)s || sub.section_id || ':' || sub.bidder_id, %(deposit)s,
       sub.section_id, sub.bidder_id
FROM ggzy_valid v JOIN deposits_subaccount sub ON sub.number = v.account
WHERE v.direction = 'credit' AND NOT v.known AND NOT EXISTS (
    SELECT 1 FROM deposits_bookaccount a
    WHERE a.section_id = sub.section_id AND a.organisation_id = sub.bidder_id
        AND a.kind = %(deposit)s
)
ON CONFLICT (key) DO NOTHING
"""

# The first row of each new reference, judged as matching._judge judges it, in booking
# order (booked_at, then reference in code-point order as Python sorts).
JUDGE = """
CREATE TEMPORARY TABLE ggzy_judged ON COMMIT DROP AS
WITH fresh AS (
    SELECT DISTINCT ON (v.reference) v.*
    FROM ggzy_valid v WHERE NOT v.known
    ORDER BY v.reference, v.n
), placed AS (
    SELECT f.*, sub.section_id, sub.bidder_id, a.id AS deposit_account_id,
        CASE
            WHEN f.direction = 'debit' THEN %(payout)s
            WHEN sub.id IS NULL THEN %(held_unmatched)s
            WHEN f.booked_at >= sec.bid_deadline THEN %(held_late)s
            WHEN NOT (sec.status = ANY(%(taking)s)) THEN %(held_closed)s
            WHEN basic.number IS DISTINCT FROM f.counterparty_account THEN %(held_review)s
            ELSE %(matched)s
        END AS outcome,
        sec.bid_deposit,
        coalesce((SELECT -sum(e.amount) FROM deposits_bookentry e WHERE e.account_id = a.id), 0)
            AS paid
    FROM fresh f
    LEFT JOIN deposits_subaccount sub ON f.direction = 'credit' AND sub.number = f.account
    LEFT JOIN trading_section sec ON sec.id = sub.section_id
    LEFT JOIN deposits_basicaccount basic ON basic.organisation_id = sub.bidder_id
    LEFT JOIN deposits_bookaccount a ON a.kind = %(deposit)s
        AND a.section_id = sub.section_id AND a.organisation_id = sub.bidder_id
)
SELECT p.n, p.reference, p.direction, p.account, p.counterparty_account,
    p.counterparty_name, p.amount, p.booked_at, p.memo, p.outcome, p.deposit_account_id,
    p.section_id AS placed_section_id, p.bidder_id AS placed_bidder_id,
    ((p.booked_at AT TIME ZONE 'UTC') + make_interval(hours => %(hours)s))::date AS day,
    CASE WHEN p.outcome = %(matched)s THEN
        least(p.amount, greatest(p.bid_deposit - p.paid - coalesce(sum(p.amount) OVER (
            PARTITION BY p.deposit_account_id, p.outcome = %(matched)s
            ORDER BY p.booked_at, p.reference COLLATE "C"
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0))
    ELSE 0 END AS counted
FROM placed p
"""

# One arrival per section (0: none) and day: its first line (naming it), the line count.
BOOKINGS = """
CREATE TEMPORARY TABLE ggzy_bookings ON COMMIT DROP AS
SELECT coalesce(placed_section_id, 0) AS section_key, day, count(*) AS lines,
    %(arrival_prefix)s
        || (array_agg(reference ORDER BY booked_at, reference COLLATE "C"))[1] AS key
FROM ggzy_judged WHERE direction = 'credit'
GROUP BY 1, day
"""

INSERT_LINES = """
INSERT INTO deposits_bankline (
    reference, direction, account, counterparty_account, counterparty_name, amount,
    booked_at, memo, source, received_at, outcome, section_id, bidder_id, counted, booking_id
)
SELECT j.reference, j.direction, j.account, j.counterparty_account, j.counterparty_name,
    j.amount, j.booked_at, j.memo, %(source)s, %(now)s, j.outcome, j.placed_section_id,
    j.placed_bidder_id, j.counted, t.id
FROM ggzy_judged j
LEFT JOIN ggzy_bookings f ON j.direction = 'credit'
    AND f.section_key = coalesce(j.placed_section_id, 0) AND f.day = j.day
LEFT JOIN deposits_booktransaction t ON t.key = f.key
ORDER BY j.booked_at, j.reference COLLATE "C"
"""

INSERT_HELD_ACCOUNTS = """
INSERT INTO deposits_bookaccount (key, kind, section_id, organisation_id, line_id)
SELECT %(held_prefix)s || b.id, %(held)s, b.section_id, b.bidder_id, b.id
FROM ggzy_judged j JOIN deposits_bankline b ON b.reference = j.reference
WHERE j.direction = 'credit' AND j.amount > j.counted
"""

# The bank debited each arrival's sum; deposits credited what counted, summed per account;
# each line's rest credited to its held account.
INSERT_ENTRIES = """
WITH lines AS (
    SELECT b.id, b.booking_id, b.amount, b.counted, j.deposit_account_id
    FROM ggzy_judged j JOIN deposits_bankline b ON b.reference = j.reference
    WHERE j.direction = 'credit'
)
INSERT INTO deposits_bookentry (transaction_id, account_id, amount)
SELECT booking_id, %(bank)s, sum(amount) FROM lines GROUP BY booking_id
UNION ALL
SELECT booking_id, deposit_account_id, -sum(counted) FROM lines WHERE counted > 0
GROUP BY booking_id, deposit_account_id
UNION ALL
SELECT l.booking_id, a.id, -(l.amount - l.counted)
FROM lines l JOIN deposits_bookaccount a ON a.line_id = l.id
WHERE l.amount > l.counted
"""

# Later rows of a reference: recorded before this file, or earlier in it.
REPEATED = """
SELECT v.n, v.reference,
    b.amount = v.amount AND b.direction = v.direction AND b.account = v.account
FROM ggzy_valid v JOIN deposits_bankline b ON b.reference = v.reference
WHERE v.known
UNION ALL
SELECT v.n, v.reference,
    j.amount = v.amount AND j.direction = v.direction AND j.account = v.account
FROM ggzy_valid v JOIN ggzy_judged j ON j.reference = v.reference
WHERE NOT v.known AND v.n <> j.n
ORDER BY 1
"""

LEDGER_LINES = """
SELECT j.placed_section_id, j.reference, j.direction, j.amount, j.counted, j.outcome,
    coalesce(o.credit_code, ''),
    to_char(j.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
FROM ggzy_judged j LEFT JOIN accounts_organisation o ON o.id = j.placed_bidder_id
ORDER BY j.booked_at, j.reference COLLATE "C"
"""

SHARED_PAYER_CANDIDATES = """
SELECT DISTINCT placed_section_id, counterparty_account FROM ggzy_judged
WHERE placed_section_id IS NOT NULL
"""

__all__ = ["CopyResult", "import_csv"]
