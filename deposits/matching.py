"""Money arriving: book each bank line once and match it to a deposit, or hold it.

A credit to a valid sub-account, booked before the section's deadline, from the bidder's
registered basic account [R26], counts towards the deposit up to the amount required; the
rest of it (over-payment) is held. Anything else is held whole — late money, money from
another account (for review), money to an unknown or closed sub-account — visible to staff
and refundable, never dropped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from deposits import alerts, books
from deposits.bank import StatementLine
from deposits.collection import TAKING_DEPOSITS
from deposits.models import (
    AlertKind,
    BankLine,
    BasicAccount,
    BookAccount,
    LineDirection,
    LineOutcome,
    LineSource,
    SubAccount,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.times import BEIJING
from supervision import ledger


def record_line(line: StatementLine, *, source: LineSource | str) -> tuple[BankLine, bool]:
    """Record a statement line; the second value is False when its reference was recorded
    before (a callback delivered twice, the feed repeating a callback)."""
    with transaction.atomic():
        sub = None
        if line.direction == LineDirection.CREDIT:
            # Lock the sub-account: arrivals for one deposit are matched one at a time.
            sub = (
                SubAccount.objects.select_for_update()
                .select_related("section", "bidder")
                .filter(number=line.account)
                .first()
            )
        existing = BankLine.objects.filter(reference=line.reference).first()
        if existing is not None:
            _same_or_refuse(existing, line)
            return existing, False
        recorded = (
            _credit(line, source, sub)
            if line.direction == LineDirection.CREDIT
            else _debit(line, source)
        )
    return recorded, True


def _credit(line: StatementLine, source: str, sub: SubAccount | None) -> BankLine:
    outcome: str = LineOutcome.HELD_UNMATCHED
    section, bidder = None, None
    if sub is not None:
        section, bidder = sub.section, sub.bidder
        outcome = _judge(line, sub)
    recorded = BankLine.objects.create(
        reference=line.reference,
        direction=LineDirection.CREDIT,
        account=line.account,
        counterparty_account=line.counterparty_account,
        counterparty_name=line.counterparty_name[:200],
        amount=line.amount,
        booked_at=line.booked_at,
        memo=line.memo[:200],
        source=source,
        received_at=clock.now(),
        outcome=outcome,
        section=section,
        bidder=bidder,
    )
    lines: list[tuple[BookAccount, Decimal]] = [(books.bank_account(), line.amount)]
    counted = Decimal(0)
    if outcome == LineOutcome.MATCHED and sub is not None:
        deposit = books.deposit_account(sub.section, sub.bidder)
        counted = min(line.amount, max(sub.section.bid_deposit - books.owed(deposit), Decimal(0)))
        if counted:
            lines.append((deposit, -counted))
    if line.amount - counted:
        lines.append((books.held_account(recorded), -(line.amount - counted)))
    books.post(
        key=f"line:{line.reference}",
        kind="arrival",
        lines=lines,
        value_date=_beijing_date(line),
        memo=f"{line.counterparty_name} {line.memo}",
    )
    ledger.append(
        "deposits.money.received",
        target=recorded,
        data={
            "reference": line.reference,
            "amount": line.amount,
            "counted": counted,
            "held": line.amount - counted,
            "outcome": outcome,
            "section": section.code if section else None,
            "bidder": bidder.credit_code if bidder else None,
            "booked_at": line.booked_at,
        },
        embargo=section.embargo_scope if section else "",
    )
    if sub is not None:
        _signal_a_shared_payer(recorded, sub)
    return recorded


def _judge(line: StatementLine, sub: SubAccount) -> str:
    section = sub.section
    if section.status not in TAKING_DEPOSITS and line.booked_at < section.bid_deadline:
        return LineOutcome.HELD_CLOSED
    if line.booked_at >= section.bid_deadline:
        return LineOutcome.HELD_LATE
    basic = BasicAccount.objects.filter(organisation=sub.bidder).first()
    if basic is None or basic.number != line.counterparty_account:
        return LineOutcome.HELD_REVIEW  # [R26]: cash deposits come from the basic account
    return LineOutcome.MATCHED


def _debit(line: StatementLine, source: str) -> BankLine:
    # Payouts are booked by the refund that made them (deposits.refunds.settle); the line is
    # kept for reconciliation (check_books pairs it with that refund).
    return BankLine.objects.create(
        reference=line.reference,
        direction=LineDirection.DEBIT,
        account=line.account,
        counterparty_account=line.counterparty_account,
        counterparty_name=line.counterparty_name[:200],
        amount=line.amount,
        booked_at=line.booked_at,
        memo=line.memo[:200],
        source=source,
        received_at=clock.now(),
        outcome=LineOutcome.PAYOUT,
    )


def _signal_a_shared_payer(recorded: BankLine, sub: SubAccount) -> None:
    """One payer account paying for two bidders in a section is deemed collusion [R40]."""
    others = sorted(
        set(
            BankLine.objects.filter(
                section=sub.section, counterparty_account=recorded.counterparty_account
            )
            .exclude(bidder=sub.bidder)
            .values_list("bidder__credit_code", flat=True)
        )
    )
    if not others:
        return
    alerts.raise_alert(
        key=f"shared_payer:{sub.section.pk}:{recorded.counterparty_account}",
        kind=AlertKind.SHARED_PAYER,
        section=sub.section,
        message=(
            f"标段 {sub.section.code} 中同一付款账户 {recorded.counterparty_account} 为多个投标人"
            f"缴纳保证金 [R40] / One payer account paid deposits for several bidders in "
            f"section {sub.section.code} [R40]"
        ),
        evidence={
            "section": sub.section.code,
            "payer_account": recorded.counterparty_account,
            "bidders": sorted({*others, sub.bidder.credit_code}),
            "lines": list(
                BankLine.objects.filter(
                    section=sub.section, counterparty_account=recorded.counterparty_account
                ).values_list("reference", flat=True)
            ),
        },
    )


def _same_or_refuse(existing: BankLine, line: StatementLine) -> None:
    if (
        existing.amount != line.amount
        or existing.direction != line.direction
        or existing.account != line.account
    ):
        raise DomainError(
            f"银行流水号 {line.reference} 已记录但金额或账户不同，请联系银行核实 / Bank reference "
            f"{line.reference} was recorded with a different amount or account: ask the bank",
            code="conflict",
        )


def _beijing_date(line: StatementLine) -> dt.date:
    return line.booked_at.astimezone(BEIJING).date()
