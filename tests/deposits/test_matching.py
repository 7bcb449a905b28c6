"""Money arriving is booked once and matched to a deposit, or held — never dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from deposits import books, positions
from deposits.matching import record_line, record_lines
from deposits.models import Alert, AlertKind, BankLine, BookTransaction, LineOutcome
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.deposits.conftest import Payer, credit
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_a_deposit_from_the_basic_account_before_the_deadline_is_matched(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    line, new = record_line(credit(sub.number, "800000.00", payer=payer.account), source="callback")

    assert new and line.outcome == LineOutcome.MATCHED
    position = positions.of(section, payer.organisation)
    assert position.state == positions.State.PAID and position.paid == Decimal("800000.00")
    assert books.balance(books.bank_account()) == Decimal("800000.00")


def test_the_same_bank_reference_twice_is_booked_once(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)
    line = credit(sub.number, "800000.00", payer=payer.account, reference="DUP-1")

    record_line(line, source="callback")
    again, new = record_line(line, source="feed")

    assert not new and again.source == "callback"
    assert BankLine.objects.count() == 1
    assert BookTransaction.objects.filter(key="arrival:DUP-1").count() == 1
    assert books.balance(books.bank_account()) == Decimal("800000.00")


def test_a_reused_reference_with_another_amount_is_refused(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)
    record_line(credit(sub.number, "100.00", payer=payer.account, reference="R-1"), source="feed")

    with pytest.raises(DomainError, match="different amount"):
        record_line(
            credit(sub.number, "200.00", payer=payer.account, reference="R-1"), source="feed"
        )


def test_over_payment_counts_up_to_the_deposit_and_holds_the_rest(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    line, _ = record_line(credit(sub.number, "800500.00", payer=payer.account), source="feed")

    assert line.outcome == LineOutcome.MATCHED
    assert books.owed(books.held_account(line)) == Decimal("500.00")
    assert positions.of(section, payer.organisation).paid == Decimal("800000.00")


def test_two_part_payments_add_up(section: Section, payers: list[Payer]) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    record_line(credit(sub.number, "300000.00", payer=payer.account), source="feed")
    assert positions.of(section, payer.organisation).state == positions.State.PARTIAL
    record_line(credit(sub.number, "500000.00", payer=payer.account), source="feed")

    assert positions.of(section, payer.organisation).state == positions.State.PAID


def test_money_from_another_account_is_held_for_review(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    line, _ = record_line(credit(sub.number, "800000.00", payer="9999000011112222"), source="feed")

    assert line.outcome == LineOutcome.HELD_REVIEW
    assert positions.of(section, payer.organisation).state == positions.State.REVIEW
    assert books.owed(books.held_account(line)) == Decimal("800000.00")


def test_money_booked_at_the_deadline_is_late_and_held(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    line, _ = record_line(
        credit(sub.number, "800000.00", payer=payer.account, at=section.bid_deadline),
        source="feed",
    )

    assert line.outcome == LineOutcome.HELD_LATE
    assert positions.of(section, payer.organisation).state == positions.State.MISSING


def test_money_to_an_unknown_sub_account_is_held_unmatched(section: Section) -> None:
    line, _ = record_line(credit("8866000000000000", "1234.56", payer="6222"), source="csv")

    assert line.outcome == LineOutcome.HELD_UNMATCHED and line.section is None
    assert books.owed(books.held_account(line)) == Decimal("1234.56")


def test_one_payer_for_two_bidders_raises_a_sealed_collusion_alert(
    section: Section, payers: list[Payer]
) -> None:
    first, second = payers[0], payers[1]
    record_line(
        credit(first.sub_account(section).number, "800000.00", payer=first.account), source="feed"
    )
    record_line(
        credit(second.sub_account(section).number, "800000.00", payer=first.account), source="feed"
    )

    alert = Alert.objects.get(kind=AlertKind.SHARED_PAYER)
    assert set(alert.evidence["bidders"]) == {
        first.organisation.credit_code,
        second.organisation.credit_code,
    }
    entry = LedgerEntry.objects.get(action="deposits.alert.shared_payer")
    assert entry.embargo == section.embargo_scope


def test_every_arrival_is_ledgered_under_the_sections_embargo(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "1.00", payer=payer.account), source="feed"
    )

    entry = LedgerEntry.objects.get(action="deposits.money.received")
    assert entry.embargo == section.embargo_scope
    assert (entry.data["lines"], entry.data["counted"], entry.data["held"]) == (1, "1.00", "0.00")


def test_a_section_whose_deadline_passed_opens_no_sub_account(
    section: Section, payers: list[Payer]
) -> None:
    with (
        time_machine.travel(section.bid_deadline + dt.timedelta(seconds=1), tick=False),
        pytest.raises(DomainError, match="not taking deposits"),
    ):
        payers[0].sub_account(section)


def test_a_statement_batch_matches_like_single_lines_and_repeats_nothing(
    section: Section, payers: list[Payer]
) -> None:
    first, second, third = payers
    batch = [
        credit(first.sub_account(section).number, "500000.00", payer=first.account),
        credit(first.sub_account(section).number, "500000.00", payer=first.account),
        credit(second.sub_account(section).number, "800000.00", payer="1234567890123"),
        credit("8866999999999999", "10.00", payer=third.account),
    ]

    result = record_lines([*batch, batch[0]], source="csv")
    again = record_lines(batch, source="feed")

    assert (result.new, result.repeated) == (4, 1)
    assert result.outcomes == {"matched": 2, "held_review": 1, "held_unmatched": 1}
    assert (again.new, again.repeated, again.conflicts) == (0, 4, [])
    assert positions.of(section, first.organisation).paid == Decimal("800000.00")
    assert books.owed(books.held_account(result.lines[1])) == Decimal("200000.00")
    assert books.balance(books.bank_account()) == Decimal("1800010.00")
