"""The set-based statement import (PostgreSQL) does exactly what the line-by-line import does,
and hands the file to it whenever it cannot be sure to."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deposits import statement, statement_copy
from deposits.matching import record_line
from deposits.models import Alert, BankLine, BookAccount, BookEntry, BookTransaction, LineOutcome
from supervision.models import LedgerEntry
from tests.conftest import requires_postgres
from tests.deposits.conftest import Payer, credit
from trading.models import Section

pytestmark = [pytest.mark.django_db, requires_postgres]
HEADER = "reference,direction,account,counterparty_account,counterparty_name,amount,booked_at,memo"

# One statement row: who pays (0-2, 3 = an account the platform never opened), how much,
# from the basic account or not, before or after the deadline, money in or out, and whether
# it repeats the row before it (the same, or with another amount) or is malformed.
rows = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["800000.00", "300000.00", "500000.00", "0.01", "900000.00"]),
        st.booleans(),
        st.sampled_from(["early", "early", "late"]),
        st.sampled_from(["credit", "credit", "credit", "debit"]),
        st.sampled_from(["", "", "", "", "same", "other", "bad amount", "bad time"]),
    ),
    min_size=1,
    max_size=30,
)


def statement_file(tmp_path: Path, section: Section, payers: list[Payer], specs: list[Any]) -> Path:
    lines, previous = [HEADER], None
    for n, (who, amount, from_basic, when, direction, twist) in enumerate(specs):
        moment = section.bid_deadline + dt.timedelta(minutes=-90 + n if when == "early" else n)
        fields = [
            f"R-{n}",
            direction,
            payers[who].sub_account(section).number if who < 3 else "8866000000000018",
            payers[who % 3].account if from_basic else "6228480000000000",
            "付款人",
            amount,
            moment.isoformat(),
            "保证金",
        ]
        if twist == "same" and previous:
            fields = list(previous)
        elif twist == "other" and previous:
            fields = [*previous[:5], "1.23", *previous[6:]]  # its reference, another amount
        elif twist == "bad amount":
            fields[5] = "1e5"
        elif twist == "bad time":
            fields[6] = moment.replace(tzinfo=None).isoformat()
        lines.append(",".join(fields))
        previous = fields
    path = tmp_path / "statement.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot() -> dict[str, Any]:
    """Everything an import leaves, named by references and keys rather than row ids."""
    lines = {line.pk: line for line in BankLine.objects.select_related("booking")}

    def key(account: BookAccount) -> str:
        return f"held:{lines[account.line_id].reference}" if account.line_id else account.key

    return {
        "lines": sorted(
            (
                line.reference,
                line.direction,
                line.account,
                line.counterparty_account,
                line.counterparty_name,
                line.amount,
                line.booked_at,
                line.memo,
                line.outcome,
                line.section_id,
                line.bidder_id,
                line.counted,
                line.booking.key if line.booking else None,
            )
            for line in lines.values()
        ),
        "transactions": sorted(
            BookTransaction.objects.values_list("key", "kind", "value_date", "memo")
        ),
        "entries": sorted(
            (entry.transaction.key, key(entry.account), entry.amount)
            for entry in BookEntry.objects.select_related("transaction", "account")
        ),
        "balances": sorted(
            (key(account), account.total)
            for account in BookAccount.objects.annotate(total=Sum("entries__amount"))
            if account.total
        ),
        "ledger": [
            # An alert's id is drawn from a sequence that a rolled-back run advanced too.
            (
                entry.action,
                entry.target_type,
                "" if entry.target_type == "deposits.alert" else entry.target_id,
                entry.embargo,
                entry.data,
            )
            for entry in LedgerEntry.objects.filter(action__startswith="deposits.").order_by(
                "sequence"
            )
            if entry.action != "deposits.sub_account.opened"
        ],
        "alerts": sorted(Alert.objects.values_list("key", "kind", "evidence")),
    }


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def both_ways(path: Path) -> tuple[Any, Any]:
    """Import the file set-based, then (after rolling that back) line by line."""
    with rolled_back():
        assert statement_copy.import_csv(path) is not None, "the file took the exact path"
    with rolled_back():
        fast = statement.import_csv(path)
        fast_world = snapshot()
    with rolled_back(), mock.patch.object(statement_copy, "import_csv", return_value=None):
        exact = statement.import_csv(path)
        exact_world = snapshot()
    return (fast, fast_world), (exact, exact_world)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=rows)
def test_the_set_based_import_leaves_exactly_what_the_line_by_line_import_leaves(
    tmp_path: Path, section: Section, payers: list[Payer], specs: list[Any]
) -> None:
    path = statement_file(tmp_path, section, payers, specs)
    # A reference the platform already knows (a callback), once with another amount.
    record_line(
        credit(
            payers[0].sub_account(section).number, "0.01", payer=payers[0].account, reference="R-0"
        ),
        source="callback",
    )

    (fast, fast_world), (exact, exact_world) = both_ways(path)

    assert (fast.new, fast.known, fast.errors) == (exact.new, exact.known, exact.errors)
    assert fast_world == exact_world


def test_a_deposit_paid_in_parts_counts_each_part_up_to_the_deposit_and_holds_the_rest(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    specs = [(0, "300000.00", True, "early", "credit", "")] * 4
    path = statement_file(tmp_path, section, payers, specs)

    (fast, world), (_exact, exact_world) = both_ways(path)

    counted = [line[11] for line in world["lines"]]
    assert fast.new == 4 and world == exact_world
    assert counted == [Decimal("300000.00"), Decimal("300000.00"), Decimal("200000.00"), 0]


def raw_file(tmp_path: Path, section: Section, payer: Payer, *rows: str) -> Path:
    """Rows written as given, ``{to}``, ``{payer}`` and ``{when}`` filled in (an hour before
    the deadline)."""
    values = {
        "to": payer.sub_account(section).number,
        "payer": payer.account,
        "when": (section.bid_deadline - dt.timedelta(hours=1)).isoformat(),
    }
    path = tmp_path / "raw.csv"
    path.write_text("".join([HEADER + "\n", *(r.format(**values) + "\n" for r in rows)]))
    return path


def import_both_ways(path: Path) -> tuple[statement_copy.CopyResult | None, statement.Imported]:
    """What the fast path makes of the file (rolled back), and what the import does."""
    with rolled_back():
        fast = statement_copy.import_csv(path)
    return fast, statement.import_csv(path)


def test_a_value_only_python_reads_sends_the_file_the_exact_way(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    path = raw_file(
        tmp_path, section, payers[0], "W-1,credit,{to},{payer},江南建工,８００００.00,{when},保证金"
    )

    fallback, imported = import_both_ways(path)

    assert fallback is None
    assert (imported.new, imported.errors) == (1, [])
    assert BankLine.objects.get().amount == Decimal("80000.00")


def test_a_row_spanning_two_lines_keeps_every_error_on_its_own_line_number(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    path = raw_file(
        tmp_path,
        section,
        payers[0],
        'M-1,credit,{to},{payer},江南建工,1.00,{when},"two\nlines"',
        "M-2,credit,{to},{payer},江南建工,3e5,{when},保证金",
    )

    fallback, imported = import_both_ways(path)

    assert fallback is None
    # The memo's line break is refused too (a control character): on the line it ends on.
    [(first, memo), (second, amount)] = imported.errors
    assert (first, second) == (3, 4) and "memo" in memo and "3e5" in amount


def test_a_malformed_file_changes_nothing_and_is_reported_the_exact_way(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    path = raw_file(
        tmp_path,
        section,
        payers[0],
        "S-1,credit,{to},{payer},江南建工,1.00,{when},保证金",
        "S-2,credit,{to}",
    )

    fallback, imported = import_both_ways(path)

    assert fallback is None
    assert imported.new == 1 and [n for n, _why in imported.errors] == [3]
    assert BankLine.objects.get().reference == "S-1"


def test_the_whitespace_the_check_refuses_is_all_that_python_strips() -> None:
    stripped = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())

    assert stripped == statement_copy.PYTHON_WHITESPACE


def test_importing_twice_in_one_transaction_records_each_line_once(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    path = statement_file(
        tmp_path, section, payers, [(1, "800000.00", True, "early", "credit", "")]
    )

    first = statement_copy.import_csv(path)
    again = statement_copy.import_csv(path)

    assert first is not None and again is not None
    assert (first.new, again.new, again.known) == (1, 0, 1)
    assert BankLine.objects.get().outcome == LineOutcome.MATCHED


@pytest.mark.django_db(transaction=True)
def test_a_callback_for_a_deposit_waits_while_a_statement_is_being_imported(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    number = payer.sub_account(section).number
    locked, recorded = threading.Event(), threading.Event()
    release = threading.Event()

    def import_in_flight() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("LOCK TABLE deposits_subaccount IN EXCLUSIVE MODE")  # as _import
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def callback() -> None:
        try:
            record_line(credit(number, "1.00", payer=payer.account), source="callback")
            recorded.set()
        finally:
            connections.close_all()

    importer = threading.Thread(target=import_in_flight)
    importer.start()
    assert locked.wait(10)
    caller = threading.Thread(target=callback)
    caller.start()

    waited = not recorded.wait(1)
    release.set()
    importer.join(10)
    caller.join(10)

    assert waited, "the callback matched while the import held the sub-accounts"
    assert recorded.is_set() and BankLine.objects.count() == 1
