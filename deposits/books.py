"""Double-entry books in Decimal: post balanced transactions, read balances from entries.

Debits are positive, credits negative; every transaction sums to zero. A liability's
balance (what the platform owes) is therefore the negated sum of its entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import Organisation
from deposits.models import BankLine, BookAccount, BookAccountKind, BookEntry, BookTransaction
from ggzy import clock
from trading.models import Section

CENT = Decimal("0.01")


class UnbalancedError(ValueError):
    """A transaction whose entries do not sum to zero, or an amount that is not whole fen."""


# Keys name accounts and transactions; statement_copy builds the same keys in SQL from these.
DEPOSIT = "deposit:"  # deposit:<section id>:<bidder id>
HELD = "held:"  # held:<bank line id>
ARRIVAL = "arrival:"  # arrival:<reference of the first line it books>


def deposit_key(section_id: int | None, bidder_id: int | None) -> str:
    return f"{DEPOSIT}{section_id}:{bidder_id}"


def held_key(line_id: int) -> str:
    return f"{HELD}{line_id}"


def arrival_key(first_reference: str) -> str:
    """An arrival transaction is named by the first bank line it books."""
    return f"{ARRIVAL}{first_reference}"


def bank_account() -> BookAccount:
    return _account("bank", BookAccountKind.BANK)


def interest_account() -> BookAccount:
    return _account("interest", BookAccountKind.INTEREST)


def deposit_account(section: Section, bidder: Organisation) -> BookAccount:
    return _account(
        deposit_key(section.pk, bidder.pk),
        BookAccountKind.DEPOSIT,
        section=section,
        organisation=bidder,
    )


def held_account(line: BankLine) -> BookAccount:
    return _account(
        held_key(line.pk),
        BookAccountKind.HELD,
        section=line.section,
        organisation=line.bidder,
        line=line,
    )


def forfeited_account(section: Section) -> BookAccount:
    return _account(f"forfeited:{section.pk}", BookAccountKind.FORFEITED, section=section)


def _check(key: str, lines: Sequence[tuple[BookAccount, Decimal]]) -> None:
    amounts = [amount for _account, amount in lines if amount]
    if not amounts:
        raise UnbalancedError(f"transaction {key} moves no money")
    if any(amount != amount.quantize(CENT) for amount in amounts):
        raise UnbalancedError(f"transaction {key} has an amount that is not whole fen")
    if sum(amounts, Decimal("0")) != 0:
        raise UnbalancedError(f"transaction {key} does not balance: {amounts}")


def open_transactions(
    kind: str, opened: Sequence[tuple[str, dt.date, str]]
) -> list[BookTransaction]:
    """Create transactions (key, value date, memo) whose entries follow with ``enter`` in the
    same database transaction: arrivals, whose bank lines must name their booking before the
    held accounts those entries credit can exist. Every key must be new: the caller decided
    that under its locks; a key posted meanwhile fails the batch (IntegrityError)."""
    now = clock.now()
    return BookTransaction.objects.bulk_create(
        BookTransaction(key=key, kind=kind, memo=memo[:300], value_date=day, posted_at=now)
        for key, day, memo in opened
    )


def enter(entries: dict[BookTransaction, list[tuple[BookAccount, Decimal]]]) -> None:
    """The entries of transactions made by ``open_transactions``, each set balanced."""
    for posted, lines in entries.items():
        _check(posted.key, lines)
    BookEntry.objects.bulk_create(
        (
            BookEntry(transaction=posted, account=account, amount=amount)
            for posted, lines in entries.items()
            for account, amount in lines
            if amount
        ),
        batch_size=5000,
    )


def post(
    *,
    key: str,
    kind: str,
    lines: Sequence[tuple[BookAccount, Decimal]],
    value_date: dt.date,
    memo: str = "",
) -> BookTransaction | None:
    """Post one balanced transaction; None if ``key`` was posted before (idempotent)."""
    _check(key, lines)
    if BookTransaction.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            posted = BookTransaction.objects.create(
                key=key, kind=kind, memo=memo[:300], value_date=value_date, posted_at=clock.now()
            )
            BookEntry.objects.bulk_create(
                BookEntry(transaction=posted, account=account, amount=amount)
                for account, amount in lines
                if amount
            )
    except IntegrityError:
        # Posted by a concurrent caller between our check and our insert.
        if BookTransaction.objects.filter(key=key).exists():
            return None
        raise
    return posted


def accounts_for(keys: dict[str, dict[str, Any]]) -> dict[str, BookAccount]:
    """The accounts named by ``keys`` (key → kind and links), created where missing."""
    found = {a.key: a for a in BookAccount.objects.filter(key__in=list(keys))}
    missing = [BookAccount(key=key, **fields) for key, fields in keys.items() if key not in found]
    if missing:
        BookAccount.objects.bulk_create(missing, ignore_conflicts=True)
        found.update(
            (a.key, a) for a in BookAccount.objects.filter(key__in=[m.key for m in missing])
        )
    return found


def owed_by_account(accounts: list[BookAccount]) -> dict[int, Decimal]:
    rows = (
        BookEntry.objects.filter(account__in=accounts)
        .values("account")
        .annotate(total=Sum("amount"))
    )
    return {row["account"]: -Decimal(row["total"]) for row in rows}


def balance(account: BookAccount) -> Decimal:
    """The debit balance (asset/expense positive; a liability's is negative)."""
    total = BookEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0)


def owed(account: BookAccount) -> Decimal:
    """What the platform owes on a liability account."""
    return -balance(account)


def _account(
    key: str,
    kind: str,
    *,
    section: Section | None = None,
    organisation: Organisation | None = None,
    line: BankLine | None = None,
) -> BookAccount:
    account, _created = BookAccount.objects.get_or_create(
        key=key,
        defaults={"kind": kind, "section": section, "organisation": organisation, "line": line},
    )
    return account
