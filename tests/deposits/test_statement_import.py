"""Statement import, CSV file and JSON feed: bad rows are reported by line number, good rows
are kept, and importing again adds nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command

from deposits import signatures, statement, tasks
from deposits.bank_http import HttpBank
from deposits.models import BankLine, BookTransaction, LineOutcome
from supervision.models import LedgerEntry
from tests import servers
from tests.deposits.conftest import BANK_SECRET, Payer
from tests.tools import nothing_changes
from trading.models import Section

HEADER = "reference,direction,account,counterparty_account,counterparty_name,amount,booked_at,memo"
pytestmark = pytest.mark.django_db


def write(tmp_path: Path, *rows: str, name: str = "statement.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(reference: str, account: str, amount: str, payer: str = "6222000011110001") -> str:
    return (
        f"{reference},credit,{account},{payer},江南建工,{amount},2026-05-01T09:30:00+08:00,保证金"
    )


def test_a_bad_row_is_reported_by_line_number_and_the_good_rows_are_kept(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    number = payers[0].sub_account(section).number
    path = write(
        tmp_path,
        row("CSV-1", number, "300000.00"),
        row("CSV-2", number, "3e5"),
        row("CSV-3", number, "500000.00"),
    )

    imported = statement.import_csv(path)

    assert (imported.new, imported.known) == (2, 0)
    [(line_number, why)] = imported.errors
    assert line_number == 3 and "amount" in why and "3e5" in why
    assert set(BankLine.objects.values_list("reference", flat=True)) == {"CSV-1", "CSV-3"}
    booking = BookTransaction.objects.get()  # one section, one day: one arrival transaction
    assert booking.key == "arrival:CSV-1" and booking.lines.count() == 2


def test_importing_the_same_file_again_adds_nothing(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    number = payers[0].sub_account(section).number
    path = write(tmp_path, row("CSV-1", number, "300000.00"), row("CSV-2", number, "500000.00"))
    statement.import_csv(path)

    with nothing_changes(BankLine, BookTransaction):
        again = statement.import_lines(
            statement.parse_csv(path.read_text().splitlines(keepends=True)), source="csv"
        )

    assert (again.new, again.known, again.errors) == (0, 2, [])
    assert statement.import_csv(path).known == 2


def test_a_reference_known_with_another_amount_is_a_row_error_and_changes_nothing(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    number = payers[0].sub_account(section).number
    statement.import_csv(write(tmp_path, row("CSV-1", number, "300000.00"), name="a.csv"))

    imported = statement.import_csv(
        write(tmp_path, row("CSV-1", number, "300001.00"), name="b.csv")
    )

    [(line_number, why)] = imported.errors
    assert line_number == 2 and "CSV-1" in why
    assert BankLine.objects.get().amount == Decimal("300000.00")


def test_a_file_without_all_the_columns_is_refused_at_its_header(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("reference,amount\nX-1,10.00\n")

    imported = statement.import_csv(path)

    assert imported.new == 0
    [(line_number, why)] = imported.errors
    assert line_number == 1 and "booked_at" in why


def test_a_row_with_a_time_without_offset_or_a_bad_direction_is_refused(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    number = payers[0].sub_account(section).number
    path = write(
        tmp_path,
        row("CSV-1", number, "1.00").replace("+08:00", ""),
        row("CSV-2", number, "1.00").replace(",credit,", ",refund,"),
        row("CSV-3", number, "1.00") + ",extra",
    )

    imported = statement.import_csv(path)

    assert [n for n, _why in imported.errors] == [2, 3, 4]
    assert "booked_at" in imported.errors[0][1]
    assert "direction" in imported.errors[1][1]
    assert "columns" in imported.errors[2][1]
    assert BankLine.objects.count() == 0


def test_the_command_reports_row_errors_with_line_numbers_and_exits_1(
    tmp_path: Path, section: Section, payers: list[Payer]
) -> None:
    number = payers[0].sub_account(section).number
    path = write(tmp_path, row("CSV-1", number, "300000.00"), row("CSV-2", "", "1.00"))
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_statement", str(path), stdout=out, stderr=err)

    assert refused.value.returncode == 1
    assert "line 3:" in err.getvalue() and "account" in err.getvalue()
    assert "2 line(s) read: 1 new, 0 already recorded, 1 refused" in out.getvalue()
    assert BankLine.objects.filter(reference="CSV-1").exists()
    assert LedgerEntry.objects.filter(action="deposits.statement.imported").count() == 1


def test_the_simulators_own_csv_imports_as_it_is(
    tmp_path: Path, bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "800000.00")
    number = payer.sub_account(bidding).number
    reference = bank.transfer(
        from_account=payer.account, to_account=number, amount="800000.00", memo="保证金"
    ).json()["reference"]
    headers = signatures.headers(method="GET", path="/statement.csv", body=b"", secret=BANK_SECRET)
    path = tmp_path / "from-the-bank.csv"
    path.write_bytes(requests.get(bank.url + "/statement.csv", headers=headers, timeout=5).content)

    out = io.StringIO()
    call_command("import_statement", str(path), stdout=out)

    line = BankLine.objects.get()
    assert (line.reference, line.outcome, line.source) == (reference, LineOutcome.MATCHED, "csv")
    assert "1 new" in out.getvalue()


def test_the_feed_pull_records_the_line_whose_callback_was_dropped(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "800000.00")
    bank.faults(callback={"mode": "drop"})
    number = payer.sub_account(bidding).number
    reference = bank.transfer(
        from_account=payer.account, to_account=number, amount="800000.00"
    ).json()["reference"]

    pulled = statement.pull()
    again = statement.pull()

    assert (pulled.new, again.new, again.known) == (1, 0, 1)
    line = BankLine.objects.get()
    assert (line.reference, line.source, line.outcome) == (reference, "feed", LineOutcome.MATCHED)


def test_the_feed_is_read_page_by_page(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "10.00")
    number = payer.sub_account(bidding).number
    for _ in range(5):
        bank.transfer(from_account=payer.account, to_account=number, amount="1.00")
    pages = PagedBank(url=bank.url, secret=BANK_SECRET, timeout=2, page_size=2)

    assert statement.pull(bank=pages).new == 5
    assert pages.requests == 3


class PagedBank(HttpBank):
    requests = 0

    def _json(self, *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return super()._json(*args, **kwargs)


def test_the_pull_task_skips_quietly_when_the_bank_does_not_answer(settings: Any) -> None:
    settings.BANK_URL = f"http://127.0.0.1:{servers.free_port()}"
    settings.BANK_TIMEOUT_SECONDS = 1

    with nothing_changes(BankLine, BookTransaction):
        result = tasks.pull_statement()

    assert "cannot reach the bank" in str(result["skipped"])


def test_the_command_pulls_the_feed_from_a_given_time(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "1.00")
    bank.transfer(
        from_account=payer.account, to_account=payer.sub_account(bidding).number, amount="1.00"
    )
    out = io.StringIO()

    call_command("import_statement", "--feed", "--since", "2020-01-01T00:00:00+08:00", stdout=out)

    assert "1 line(s) read: 1 new" in out.getvalue()
    assert BankLine.objects.get().source == "feed"
