"""Money arriving: book each bank line once and match it to a deposit, or hold it.

A credit to a valid sub-account, booked before the section's deadline, from the bidder's
registered basic account [R26], counts towards the deposit up to the amount required; the
rest of it (over-payment) is held. Anything else is held whole — late money, money from
another account (for review), money to an unknown or closed sub-account — visible to staff
and refundable, never dropped.

One implementation for one line (a bank callback), the JSON feed and statement files in
batches: ``record_line`` is ``record_lines`` of one line. On PostgreSQL a statement file
takes ``statement_copy``, the same rules in SQL; a hypothesis test keeps the two equal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Count

from deposits import alerts, books
from deposits.bank import StatementLine
from deposits.collection import TAKING_DEPOSITS
from deposits.models import (
    AlertKind,
    BankLine,
    BasicAccount,
    BookAccount,
    BookAccountKind,
    BookTransaction,
    LineDirection,
    LineOutcome,
    LineSource,
    SubAccount,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import SM3
from ggzy_core.times import BEIJING
from supervision import ledger
from trading.models import Section

CHUNK = 5000  # rows per IN (…) lookup: well under PostgreSQL's 65,535 parameters
ATTEMPTS = 3  # a reference recorded concurrently fails the batch's insert: look again


@dataclass
class Recorded:
    """What became of a batch: each input line's row (new or found), and refusals."""

    lines: list[BankLine] = field(default_factory=list)
    new: int = 0
    repeated: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    conflicts: list[tuple[int, str]] = field(default_factory=list)  # (index in the batch, why)


def record_line(line: StatementLine, *, source: LineSource | str) -> tuple[BankLine, bool]:
    """Record one statement line; the second value is False when its reference was recorded
    before (a callback delivered twice, the feed repeating a callback)."""
    result = record_lines([line], source=source)
    if result.conflicts:
        raise DomainError(result.conflicts[0][1], code="conflict")
    return result.lines[0], result.new == 1


def record_lines(lines: Sequence[StatementLine], *, source: LineSource | str) -> Recorded:
    """Record a batch of statement lines, each reference once, in one transaction."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _record(lines, str(source))
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _record(lines: Sequence[StatementLine], source: str) -> Recorded:
    result = Recorded()
    numbers = sorted({line.account for line in lines if line.direction == LineDirection.CREDIT})
    subs: dict[str, SubAccount] = {}
    for chunk in _chunks(numbers):
        # Locked, in a fixed order: a callback and an import for one deposit match in turn.
        for sub in (
            SubAccount.objects.select_for_update()
            .select_related("section", "bidder")
            .filter(number__in=chunk)
            .order_by("pk")
        ):
            subs[sub.number] = sub
    references = list(dict.fromkeys(line.reference for line in lines))
    known: dict[str, BankLine] = {}
    for chunk in _chunks(references):
        known.update((b.reference, b) for b in BankLine.objects.filter(reference__in=chunk))

    fresh, seen = [], set(known)
    for line in lines:
        if line.reference not in seen:  # the first of a reference in the batch is recorded
            seen.add(line.reference)
            fresh.append(line)
    rows = _match(fresh, subs, source)
    bookings = _open_bookings(rows)
    created = BankLine.objects.bulk_create(rows)
    _enter(created, bookings)
    known.update((row.reference, row) for row in created)
    new = {row.reference for row in created}
    for index, line in enumerate(lines):
        row = known[line.reference]
        if line.reference in new:
            new.discard(line.reference)
            result.new += 1
            result.outcomes[row.outcome] += 1
        else:
            result.repeated += 1
            if (row.amount, row.direction, row.account) != (
                line.amount,
                line.direction,
                line.account,
            ):
                result.conflicts.append((index, conflict_message(line.reference)))
        result.lines.append(row)
    _ledger(created)
    signal_shared_payers(
        sorted({row.section_id for row in created if row.section_id}),
        sorted({row.counterparty_account for row in created if row.section_id}),
    )
    return result


def _match(fresh: list[StatementLine], subs: dict[str, SubAccount], source: str) -> list[BankLine]:
    """Each new line's row, with the part of it counted towards a deposit, in booking order."""
    bidders = {sub.bidder_id for sub in subs.values()}
    basic = dict(
        BasicAccount.objects.filter(organisation__in=bidders).values_list("organisation", "number")
    )
    deposits = books.accounts_for(
        {
            _deposit_key(sub): {
                "kind": BookAccountKind.DEPOSIT,
                "section": sub.section,
                "organisation": sub.bidder,
            }
            for sub in subs.values()
        }
    )
    paid = books.owed_by_account(list(deposits.values()))
    running = {key: paid.get(account.pk, Decimal(0)) for key, account in deposits.items()}
    now = clock.now()
    rows = []
    for line in sorted(fresh, key=lambda item: (item.booked_at, item.reference)):
        sub = subs.get(line.account) if line.direction == LineDirection.CREDIT else None
        outcome, counted = _judge(line, sub, basic, running)
        rows.append(
            BankLine(
                reference=line.reference,
                direction=line.direction,
                account=line.account,
                counterparty_account=line.counterparty_account,
                counterparty_name=line.counterparty_name[:200],
                amount=line.amount,
                booked_at=line.booked_at,
                memo=line.memo[:200],
                source=source,
                received_at=now,
                outcome=outcome,
                section=sub.section if sub else None,
                bidder=sub.bidder if sub else None,
                counted=counted,
            )
        )
    return rows


def _judge(
    line: StatementLine,
    sub: SubAccount | None,
    basic: dict[int, str],
    running: dict[str, Decimal],
) -> tuple[str, Decimal]:
    if line.direction == LineDirection.DEBIT:
        # Payouts are booked by the refund that made them (refunds.settle); the line is kept
        # for reconciliation (check_books pairs them).
        return LineOutcome.PAYOUT, Decimal(0)
    if sub is None:
        return LineOutcome.HELD_UNMATCHED, Decimal(0)
    section = sub.section
    if line.booked_at >= section.bid_deadline:
        return LineOutcome.HELD_LATE, Decimal(0)
    if section.status not in TAKING_DEPOSITS:
        return LineOutcome.HELD_CLOSED, Decimal(0)
    if basic.get(sub.bidder_id) != line.counterparty_account:
        return LineOutcome.HELD_REVIEW, Decimal(0)  # [R26]: from the basic account only
    key = _deposit_key(sub)
    counted = min(line.amount, max(section.bid_deposit - running[key], Decimal(0)))
    running[key] += counted
    return LineOutcome.MATCHED, counted


def _open_bookings(rows: list[BankLine]) -> dict[BookTransaction, list[BankLine]]:
    """One arrival transaction per section (or none) and Beijing day of booking — interest
    runs from the day money arrived — named by its first line; each credit row names it."""
    groups: dict[tuple[int | None, dt.date], list[BankLine]] = defaultdict(list)
    for row in rows:
        if row.direction == LineDirection.CREDIT:
            groups[(row.section_id, row.booked_at.astimezone(BEIJING).date())].append(row)
    opened = books.open_transactions(
        "arrival",
        [
            (books.arrival_key(lines[0].reference), day, arrivals_memo(len(lines)))
            for (_section, day), lines in groups.items()
        ],
    )
    for posted, lines in zip(opened, groups.values(), strict=True):
        for row in lines:
            row.booking = posted
    return dict(zip(opened, groups.values(), strict=True))


def arrivals_memo(count: int) -> str:
    return f"{count} 笔到账 / {count} arrival(s)"


def _enter(created: list[BankLine], bookings: dict[BookTransaction, list[BankLine]]) -> None:
    """The bank account is debited each booking's sum; each deposit is credited what counted
    towards it, each line's rest its own held account."""
    held = books.accounts_for(
        {
            books.held_key(row.pk): {
                "kind": BookAccountKind.HELD,
                "section": row.section,
                "organisation": row.bidder,
                "line": row,
            }
            for row in created
            if row.direction == LineDirection.CREDIT and row.amount - row.counted
        }
    )
    deposits = books.accounts_for(
        {
            books.deposit_key(row.section_id, row.bidder_id): {
                "kind": BookAccountKind.DEPOSIT,
                "section": row.section,
                "organisation": row.bidder,
            }
            for row in created
            if row.counted
        }
    )
    bank = books.bank_account()
    entries: dict[BookTransaction, list[tuple[BookAccount, Decimal]]] = {}
    for posted, lines in bookings.items():
        counted: dict[str, Decimal] = defaultdict(Decimal)
        rest: list[tuple[BookAccount, Decimal]] = []
        for row in lines:
            if row.counted:
                counted[books.deposit_key(row.section_id, row.bidder_id)] += row.counted
            if row.amount - row.counted:
                rest.append((held[books.held_key(row.pk)], -(row.amount - row.counted)))
        entries[posted] = [
            (bank, sum((row.amount for row in lines), Decimal(0))),
            *((deposits[key], -amount) for key, amount in counted.items()),
            *rest,
        ]
    books.enter(entries)


def _ledger(created: list[BankLine]) -> None:
    by_section: dict[Section | None, list[Received]] = defaultdict(list)
    for row in created:
        by_section[row.section].append(
            Received(
                row.reference,
                row.direction,
                row.amount,
                row.counted,
                row.outcome,
                row.bidder.credit_code if row.bidder else "",
                utc_iso(row.booked_at),
            )
        )
    ledger.append_many(received_entries(by_section))


LINES_FORMAT = "ggzy-bank-lines/1"


class Received(NamedTuple):
    """What the ledger commits to of a recorded line (both import paths, docs/deposits.md)."""

    reference: str
    direction: str
    amount: Decimal
    counted: Decimal
    outcome: str
    bidder: str  # credit code, or "" for a line naming no bidder
    booked_at: str  # UTC, ISO 8601 with microseconds (``utc_iso``)

    def text(self) -> str:
        return (
            f"{self.reference}\t{self.direction}\t{self.amount:.2f}\t{self.counted:.2f}\t"
            f"{self.outcome}\t{self.bidder}\t{self.booked_at}\n"
        )


def utc_iso(moment: dt.datetime) -> str:
    """statement_copy.UTC_ISO writes the same in SQL."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def received_entries(by_section: dict[Section | None, list[Received]]) -> list[ledger.Pending]:
    """One entry per section (sealed until its deadline), one for money naming none: the
    lines' references and totals, and the SM3 of their text (``Received.text``, in booking
    order), so that each recorded line is fixed in the chain without a copy of it."""
    pending = []
    for section, lines in by_section.items():
        credits = [line for line in lines if line.direction == LineDirection.CREDIT]
        counted = sum((line.counted for line in credits), Decimal(0))
        credited = sum((line.amount for line in credits), Decimal(0))
        paid_out = sum((line.amount for line in lines), Decimal(0)) - credited
        digest = SM3()
        for line in lines:
            digest.update(line.text().encode())
        pending.append(
            ledger.Pending(
                "deposits.money.received",
                target=("trading.section", section.pk) if section else None,
                data={
                    "section": section.code if section else None,
                    "format": LINES_FORMAT,
                    "lines": len(lines),
                    # Space-separated (a reference has no space): one string, not
                    # thousands, to encode and chain.
                    "references": " ".join(line.reference for line in lines),
                    "credited": f"{credited:.2f}",
                    "counted": f"{counted:.2f}",
                    "held": f"{credited - counted:.2f}",
                    "paid_out": f"{paid_out:.2f}",
                    "sm3": digest.hexdigest(),
                },
                embargo=section.embargo_scope if section else "",
            )
        )
    return pending


def signal_shared_payers(sections: list[int], payers: list[str]) -> None:
    """One payer account paying for two bidders in a section is deemed collusion [R40]:
    checked over the sections and payers of the lines just recorded."""
    if not sections:
        return
    suspicious: set[tuple[int, str]] = set()
    for chunk in _chunks(payers):
        suspicious.update(
            (row["section"], row["counterparty_account"])
            for row in BankLine.objects.filter(section__in=sections, counterparty_account__in=chunk)
            .values("section", "counterparty_account")
            .annotate(bidders=Count("bidder", distinct=True))
            .filter(bidders__gt=1)
        )
    for section_id, payer in sorted(suspicious):
        lines = BankLine.objects.filter(section_id=section_id, counterparty_account=payer)
        section = Section.objects.get(pk=section_id)
        alerts.raise_alert(
            key=f"shared_payer:{section.pk}:{payer}",
            kind=AlertKind.SHARED_PAYER,
            section=section,
            message=(
                f"标段 {section.code} 中同一付款账户 {payer} 为多个投标人缴纳保证金 [R40] / One "
                f"payer account paid deposits for several bidders in section {section.code} "
                f"[R40]"
            ),
            evidence={
                "section": section.code,
                "payer_account": payer,
                "bidders": sorted(set(lines.values_list("bidder__credit_code", flat=True))),
                "lines": sorted(lines.values_list("reference", flat=True)),
            },
        )


def conflict_message(reference: str) -> str:
    """A reference known with another amount, direction or account: nothing changes."""
    return (
        f"银行流水号 {reference} 已记录但金额或账户不同，请联系银行核实 / Bank reference "
        f"{reference} was recorded with a different amount or account: ask the bank"
    )


def _deposit_key(sub: SubAccount) -> str:
    return books.deposit_key(sub.section_id, sub.bidder_id)
