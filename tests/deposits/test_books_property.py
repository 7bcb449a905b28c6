"""Random sequences of payments, duplicate callbacks, statement pulls, withdrawals, refunds
and bank faults, driven against the bank simulator (its own process, over HTTP): after every
step the books balance and agree with the bank; at the end, with the faults cleared and every
refund sent, ``check_books`` finds no difference at all."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from deposits import books, reconciliation, refunds, statement
from deposits.bank_http import HttpBank
from deposits.matching import record_line
from deposits.models import (
    BankLine,
    BookAccount,
    BookAccountKind,
    BookEntry,
    Refund,
    RefundReason,
    RefundStatus,
)
from ggzy import clock
from tests import servers
from tests.deposits.conftest import BANK_SECRET, OPENING_BALANCE, Payer
from trading.models import Section
from trading.signals import bid_withdrawn

pytestmark = pytest.mark.django_db

STRANGER = "6228480000000099"  # pays from an account no bidder registered
PAYMENTS = {"exact": "800000.00", "part": "300000.00", "over": "800500.50", "small": "0.01"}


class DepositsMachine(RuleBasedStateMachine):
    def __init__(self, section: Section, payers: list[Payer], bank: servers.BankSimulator):
        super().__init__()
        RUNS["examples"] += 1
        self.section, self.payers, self.bank = section, payers, bank
        self.client = HttpBank(url=bank.url, secret=BANK_SECRET, timeout=5)

    # --- what bidders and the bank do -------------------------------------------------------

    @rule(
        who=st.integers(0, 2),
        kind=st.sampled_from(sorted(PAYMENTS)),
        from_stranger=st.booleans(),
        mistype=st.booleans(),
    )
    def pay(self, who: int, kind: str, from_stranger: bool, mistype: bool) -> None:
        payer = self.payers[who]
        number = payer.sub_account(self.section).number
        if mistype:  # one wrong digit: the bank refuses it and moves nothing
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        answer = self.bank.transfer(
            from_account=STRANGER if from_stranger else payer.account,
            to_account=number,
            amount=PAYMENTS[kind],
        )
        assert answer.status_code == (422 if mistype else 201), answer.text

    @rule()
    def pull_the_statement(self) -> None:
        statement.pull()

    # Choices among what exists are drawn as plain numbers, whatever exists: the draws must
    # not depend on the database or the bank (hypothesis replays them).
    @rule(pick=st.integers(0, 1000))
    def a_callback_delivered_again(self, pick: int) -> None:
        lines = [line for line in self.client.statement() if line.direction == "credit"]
        if not lines:
            return
        line = lines[pick % len(lines)]
        recorded_before = BankLine.objects.filter(reference=line.reference).exists()
        _row, new = record_line(line, source="callback")
        assert new is not recorded_before

    # --- what the platform decides ----------------------------------------------------------

    @rule(who=st.integers(0, 2))
    def a_bidder_withdraws(self, who: int) -> None:
        organisation = self.payers[who].organisation
        bid_withdrawn.send(sender=Section, section=self.section, organisation=organisation)

    @rule(pick=st.integers(0, 1000))
    def held_money_is_returned(self, pick: int) -> None:
        held = list(BookAccount.objects.filter(kind=BookAccountKind.HELD).order_by("pk"))
        if held:
            refunds.owe(account=held[pick % len(held)], reason=RefundReason.HELD)

    @rule(fault=st.sampled_from(["none", "refuse", "timeout", "error"]))
    def the_bank_misbehaves(self, fault: str) -> None:
        if fault == "none":
            self.bank.faults(payout=None)
        elif fault == "timeout":
            # The payout is made; the answer comes after the platform stopped waiting.
            self.bank.faults(payout={"mode": "timeout", "seconds": 1.2, "times": 1})
        else:
            self.bank.faults(payout={"mode": fault, "times": 1})

    @rule()
    def refunds_are_sent(self) -> None:
        for refund_id in Refund.objects.exclude(status=RefundStatus.PAID).values_list(
            "pk", flat=True
        ):
            refunds.send(refund_id=refund_id)

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def every_transaction_balances_and_nothing_is_owed_below_zero(self) -> None:
        assert BookEntry.objects.aggregate(total=Sum("amount"))["total"] in (None, 0)
        unbalanced = (
            BookEntry.objects.values("transaction").annotate(total=Sum("amount")).exclude(total=0)
        )
        assert not unbalanced.exists()
        # What books.owed gives each account, read in one query for them all (an account
        # without entries owes nothing).
        liabilities = list(
            BookAccount.objects.exclude(kind__in=[BookAccountKind.BANK, BookAccountKind.INTEREST])
        )
        owed = books.owed_by_account(liabilities)
        below_zero = [account.key for account in liabilities if owed.get(account.pk, 0) < 0]
        assert below_zero == []

    @invariant()
    def the_books_agree_with_the_bank(self) -> None:
        """Every bank movement the books know is in them at the bank's amount; every payout
        at the bank belongs to a refund, booked once it is paid; the books' bank balance is
        the bank's movements that reached them."""
        lines = self.client.statement()
        credits = {line.reference: line.amount for line in lines if line.direction == "credit"}
        debits = {line.reference: line.amount for line in lines if line.direction == "debit"}
        recorded = dict(
            BankLine.objects.filter(direction="credit").values_list("reference", "amount")
        )
        assert set(recorded) <= set(credits)
        assert all(credits[ref] == amount for ref, amount in recorded.items())
        paid = {r.bank_reference: r.total for r in Refund.objects.filter(status=RefundStatus.PAID)}
        assert set(paid) <= set(debits)
        assert all(debits[ref] == amount for ref, amount in paid.items())
        in_flight = Refund.objects.filter(status=RefundStatus.SENDING).count()
        assert len(debits) - len(paid) <= in_flight  # a payout the platform has not heard of yet
        expected = sum(recorded.values(), Decimal(0)) - sum(paid.values(), Decimal(0))
        assert books.balance(books.bank_account()) == expected

    def teardown(self) -> None:
        """The faults pass; the sweep sends what is left; then not one difference."""
        RUNS["lines"] = BankLine.objects.count()
        RUNS["refunds"] = Refund.objects.count()
        self.bank.faults(payout=None)
        for _round in range(3):
            for refund_id in Refund.objects.exclude(status=RefundStatus.PAID).values_list(
                "pk", flat=True
            ):
                refunds.send(refund_id=refund_id)
        statement.pull()
        assert not Refund.objects.exclude(status=RefundStatus.PAID).exists()
        report = reconciliation.check(as_of=clock.now() + dt.timedelta(seconds=1))
        assert report.ok, reconciliation.render(report)
        opening = Decimal(OPENING_BALANCE)
        assert self.client.balance() - opening == books.balance(books.bank_account())


@pytest.mark.slow
def test_the_books_balance_and_agree_with_the_bank_whatever_happens(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator, settings: Any
) -> None:
    settings.BANK_TIMEOUT_SECONDS = 0.5  # the timeout fault answers after 1.2 s
    for payer in payers:
        bank.open_account(payer.account, payer.organisation.name, "100000000.00")
    bank.open_account(STRANGER, "某某咨询公司", "100000000.00")

    class OnThisSection(DepositsMachine):
        def __init__(self) -> None:
            super().__init__(bidding, payers, bank)

    run_state_machine_as_test(
        OnThisSection,
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=16,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # Every example ran against the bank (none skipped), and money moved both ways.
    print(f"state machine: {dict(RUNS)}")
    assert RUNS["examples"] >= EXAMPLES
    assert RUNS["lines"] > 0 and RUNS["refunds"] > 0


EXAMPLES = 50
RUNS: Counter[str] = Counter()
