"""Refunds: decided once with the right interest and due date, paid through the bank once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Person
from deposits import books, positions, refunds, statement
from deposits.models import InterestRate, Refund, RefundReason, RefundStatus
from supervision.models import LedgerEntry
from tests import servers
from tests.deposits.conftest import Payer
from trading import services as trading
from trading.models import Section
from trading.signals import bid_withdrawn

pytestmark = pytest.mark.django_db


def pay(bank: servers.BankSimulator, section: Section, payer: Payer, amount: str) -> None:
    bank.open_account(payer.account, payer.organisation.name, amount)
    answer = bank.transfer(
        from_account=payer.account, to_account=payer.sub_account(section).number, amount=amount
    )
    assert answer.status_code == 201, answer.text
    statement.pull()


def test_a_cancelled_tender_refunds_every_deposit_with_interest_and_held_money_as_it_came(
    bidding: Section,
    payers: list[Payer],
    bank: servers.BankSimulator,
    tenderee: Person,
) -> None:
    InterestRate.objects.create(effective_from=dt.date(2020, 1, 1), annual_rate=Decimal("0.0036"))
    first, second = payers[0], payers[1]
    pay(bank, bidding, first, "800000.00")
    pay(bank, bidding, second, "800100.00")  # 100 yuan over: held

    with time_machine.travel(dt.timedelta(days=10)):
        trading.section_cancel(section=bidding, actor=tenderee, reason="项目取消 [R31]")
        decided = {(r.payee_id, r.reason): r for r in Refund.objects.all()}

    deposit = decided[(first.organisation.pk, RefundReason.TERMINATED)]
    # 800,000 yuan for 10 days at 0.36 % a year, per 360 days [R31].
    assert (deposit.principal, deposit.interest) == (Decimal("800000.00"), Decimal("80.00"))
    held = decided[(second.organisation.pk, RefundReason.HELD)]
    assert (held.principal, held.interest) == (Decimal("100.00"), Decimal("0"))
    assert len(decided) == 3

    for refund in Refund.objects.all():
        refunds.send(refund_id=refund.pk)

    assert set(Refund.objects.values_list("status", flat=True)) == {RefundStatus.PAID}
    assert bank.balance_of(first.account) == "800080.00"
    assert positions.of(bidding, first.organisation).state == positions.State.REFUNDED


def test_deciding_a_refund_twice_decides_it_once(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    pay(bank, bidding, payer, "800000.00")

    for _ in range(2):
        bid_withdrawn.send(sender=Section, section=bidding, organisation=payer.organisation)

    [refund] = Refund.objects.all()
    assert refund.reason == RefundReason.WITHDRAWN and refund.interest == 0  # [R35]
    assert LedgerEntry.objects.filter(action="deposits.refund.decided").count() == 1
    assert LedgerEntry.objects.get(action="deposits.refund.decided").embargo == (
        bidding.embargo_scope
    )


def test_a_refund_falls_due_five_days_later_on_a_working_day(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    pay(bank, bidding, payer, "800000.00")

    # Decided on Tuesday 30 September 2025: day 5 is in the National Day holiday.
    with time_machine.travel(dt.datetime(2025, 9, 30, 4, 0, tzinfo=dt.UTC), tick=False):
        refund = refunds.owe(
            account=books.deposit_account(bidding, payer.organisation),
            reason=RefundReason.WITHDRAWN,
        )

    assert refund is not None and refund.due_by == dt.date(2025, 10, 9)


def test_a_refund_the_bank_refuses_goes_again_as_a_new_payout(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator
) -> None:
    payer = payers[0]
    pay(bank, bidding, payer, "800000.00")
    refund = refunds.owe(
        account=books.deposit_account(bidding, payer.organisation), reason=RefundReason.WITHDRAWN
    )
    assert refund is not None
    bank.faults(payout={"mode": "refuse", "reason": "户名不符", "times": 1})

    refused = refunds.send(refund_id=refund.pk)
    refused.refresh_from_db()
    assert refused.status == RefundStatus.DUE and "户名不符" in refused.last_error
    first_key = refused.attempts

    paid = refunds.send(refund_id=refund.pk)

    assert paid.status == RefundStatus.PAID and first_key == 1
    assert paid.payout_key.endswith("-2")  # a new payout: the refused one moved nothing
    assert bank.balance_of(payer.account) == "800000.00"
