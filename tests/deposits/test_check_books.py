"""check_books: green when the books balance and agree with the bank's statement, red with
the difference named when they do not."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from deposits import books, reconciliation, refunds, statement, tasks
from deposits.matching import record_line
from deposits.models import (
    Alert,
    AlertKind,
    BookEntry,
    BookTransaction,
    RefundReason,
    RefundStatus,
)
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision.models import LedgerEntry
from tests import servers
from tests.deposits.conftest import Payer, credit
from tests.servers import free_port
from trading.models import Section

pytestmark = pytest.mark.django_db


def pay(bank: servers.BankSimulator, section: Section, payer: Payer, amount: str) -> str:
    """The bidder pays at its bank; the answer is the statement line's reference."""
    bank.open_account(payer.account, payer.organisation.name, amount)
    answer = bank.transfer(
        from_account=payer.account,
        to_account=payer.sub_account(section).number,
        amount=amount,
        memo="保证金",
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["reference"])


def kinds(report: reconciliation.Report) -> list[tuple[str, str]]:
    return [(d.kind, d.subject) for d in report.differences]


def test_books_that_agree_with_the_bank_are_green(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    for payer in payers[:2]:
        pay(bank, bidding, payer, "800000.00")
    statement.pull()
    deposit = books.deposit_account(bidding, payers[0].organisation)
    refund = refunds.owe(account=deposit, reason=RefundReason.WITHDRAWN)
    assert refund is not None
    assert refunds.send(refund_id=refund.pk).status == RefundStatus.PAID
    statement.pull()  # the payout's debit line

    report = reconciliation.check(as_of=clock.now())

    assert kinds(report) == []
    assert report.statement_lines == 3
    assert report.statement_net == report.books_net == Decimal("800000.00")


def test_a_statement_line_missing_from_the_books_is_named_and_alerted(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    pay(bank, bidding, payers[0], "800000.00")
    statement.pull()
    missing = pay(bank, bidding, payers[1], "800000.00")  # no callback, not pulled

    report = reconciliation.check_and_alert(as_of=clock.now())

    assert kinds(report) == [("missing_from_books", missing), ("totals_differ", "total")]
    assert missing in reconciliation.render(report)
    alert = Alert.objects.get(kind=AlertKind.BOOKS_DIFFER)
    assert alert.key == f"books_differ:{clock.now().astimezone(BEIJING).date()}"
    assert alert.evidence["list"][0]["subject"] == missing
    assert LedgerEntry.objects.filter(action="deposits.alert.books_differ").count() == 1
    checked = LedgerEntry.objects.get(action="deposits.books.checked")
    assert checked.data["ok"] is False and checked.data["differences"] == 2


def test_the_alert_is_resolved_once_the_books_agree_again(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    pay(bank, bidding, payers[0], "800000.00")
    reconciliation.check_and_alert(as_of=clock.now())
    assert Alert.objects.get(kind=AlertKind.BOOKS_DIFFER).resolved_at is None

    statement.pull()
    report = reconciliation.check_and_alert(as_of=clock.now())

    assert report.ok
    assert Alert.objects.get(kind=AlertKind.BOOKS_DIFFER).resolved_at is not None


def test_a_line_booked_within_the_settling_margin_is_in_flight_not_a_difference(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    pay(bank, bidding, payers[0], "800000.00")

    report = reconciliation.check(as_of=clock.now() - dt.timedelta(minutes=10))

    assert report.ok and report.in_flight == 1


def test_money_in_the_books_that_the_bank_never_moved_is_a_difference(
    section: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    invented = credit(payer.sub_account(section).number, "5.00", payer=payer.account)
    record_line(invented, source="csv")

    report = reconciliation.check(as_of=clock.now() + dt.timedelta(days=1), bank=FakeBank())

    assert kinds(report) == [
        ("not_on_statement", invented.reference),
        ("not_on_statement", f"arrival:{invented.reference}"),
        ("totals_differ", "total"),
    ]


def test_an_unbalanced_transaction_and_a_negative_liability_are_named(
    section: Section, payers: list[Payer]
) -> None:
    deposit = books.deposit_account(section, payers[0].organisation)
    lopsided = BookTransaction.objects.create(
        key="test:lopsided", kind="test", value_date=dt.date(2026, 5, 1), posted_at=clock.now()
    )
    BookEntry.objects.create(transaction=lopsided, account=deposit, amount=Decimal("-1.00"))
    books.post(
        key="test:overdrawn",
        kind="test",
        lines=[(deposit, Decimal("3.00")), (books.interest_account(), Decimal("-3.00"))],
        value_date=dt.date(2026, 5, 1),
    )

    report = reconciliation.check(as_of=clock.now(), bank=FakeBank())

    assert kinds(report) == [
        ("unbalanced", "test:lopsided"),
        ("negative_liability", deposit.key),
    ]


def test_a_bank_that_does_not_answer_is_reported_not_taken_for_agreement(
    settings: Any, db: None
) -> None:
    settings.BANK_URL = f"http://127.0.0.1:{free_port()}"
    settings.BANK_TIMEOUT_SECONDS = 1

    report = reconciliation.check(as_of=clock.now())

    assert kinds(report) == [("statement_unavailable", "bank")]


def test_the_command_prints_the_report_and_exits_1_on_a_difference(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    missing = pay(bank, bidding, payers[0], "800000.00")
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("check_books", "--margin", "0", stdout=out)

    assert failed.value.returncode == 1
    assert f"[missing_from_books] {missing}" in out.getvalue()

    statement.pull()
    out = io.StringIO()
    call_command("check_books", "--margin", "0", stdout=out)
    assert "agree with the bank" in out.getvalue()


def test_the_daily_task_runs_the_check(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    summary = tasks.check_books()

    assert summary["ok"] is True
    assert LedgerEntry.objects.filter(action="deposits.books.checked").count() == 1


class FakeBank:
    """A bank whose statement is empty (the books alone are under test)."""

    def statement(self, *, since: dt.datetime | None = None) -> list[Any]:
        return []

    def payout(self, **kwargs: Any) -> Any:
        raise AssertionError("no payout in a check")

    def payout_status(self, *, key: str) -> Any:
        return None
