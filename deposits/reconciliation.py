"""Reconciliation: proof that the books balance and agree with the bank (``check_books``).

(a) every book transaction balances (its entries sum to zero; at least two of them);
(b) the books' bank account moves exactly as the bank's statement says, line by line — a
    credit line ``R`` is the platform's bank line ``R`` (same amount), booked by an arrival
    transaction that moves the bank account by the sum of its lines; a payout (debit) line
    ``R`` is the transaction ``refund:<id>`` of the refund paid with bank reference ``R`` —
    and in total;
(c) no liability (a deposit, held money, a forfeited sum) is negative.

The bank's account may hold more than the books (an opening balance, the platform's own
money): movements are compared, never absolute balances. Lines booked in the last
``SETTLE_MARGIN`` that the books do not show yet are in flight (a callback on its way, a
payout being settled), not differences.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from deposits import alerts, bank_http
from deposits.bank import Bank, BankUnavailable, StatementLine
from deposits.models import (
    Alert,
    AlertKind,
    BankLine,
    BookAccount,
    BookAccountKind,
    BookEntry,
    BookTransaction,
    LineDirection,
    Refund,
    RefundStatus,
)
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision import ledger
from supervision.models import LedgerEntry

SETTLE_MARGIN = dt.timedelta(minutes=10)
LIABILITIES = (BookAccountKind.DEPOSIT, BookAccountKind.HELD, BookAccountKind.FORFEITED)
EVIDENCE_LIMIT = 100  # differences kept in the alert (the report prints them all)
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Difference:
    kind: str  # a stable name: missing_from_books, not_on_statement, unbalanced, …
    subject: str  # the bank reference, transaction key or account key at fault
    message: str  # bilingual: what differs, and what it means

    def as_data(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


@dataclass
class Report:
    as_of: dt.datetime
    transactions: int = 0
    liabilities: int = 0
    statement_lines: int = 0
    statement_net: Decimal = ZERO
    books_net: Decimal = ZERO
    in_flight: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "as_of": self.as_of,
            "transactions": self.transactions,
            "statement_lines": self.statement_lines,
            "statement_net": str(self.statement_net),
            "books_net": str(self.books_net),
            "differences": len(self.differences),
        }


def check(*, bank: Bank | None = None, as_of: dt.datetime | None = None) -> Report:
    """Compare; write nothing."""
    report = Report(as_of=as_of or clock.now() - SETTLE_MARGIN)
    _balanced(report)
    _liabilities(report)
    _against_the_bank(report, bank or bank_http.bank())
    return report


def check_and_alert(*, bank: Bank | None = None, as_of: dt.datetime | None = None) -> Report:
    """Compare, ledger the result, and raise (one a day) or resolve the BOOKS_DIFFER alert."""
    report = check(bank=bank, as_of=as_of)
    ledger.append("deposits.books.checked", data=report.summary())
    if report.ok:
        open_alerts = Alert.objects.filter(kind=AlertKind.BOOKS_DIFFER, resolved_at=None)
        for key in open_alerts.values_list("key", flat=True):
            alerts.resolve(key=key)
        return report
    day = clock.now().astimezone(BEIJING).date()
    first = report.differences[0]
    alerts.raise_alert(
        key=f"books_differ:{day.isoformat()}",
        kind=AlertKind.BOOKS_DIFFER,
        message=(
            f"账实不符：{len(report.differences)} 处差异，首处 {first.subject} / The books differ "
            f"from the bank in {len(report.differences)} place(s), first {first.subject}: "
            "run `manage.py check_books` for the report"
        ),
        evidence={
            **report.summary(),
            "as_of": report.as_of.isoformat(),
            "list": [d.as_data() for d in report.differences[:EVIDENCE_LIMIT]],
        },
    )
    return report


@dataclass(frozen=True)
class LastCheck:
    """What the staff page shows of the last check: when, and whether the books agreed —
    not the totals, which include deposits of sections still before their deadline."""

    at: dt.datetime
    ok: bool
    differences: int


def last_result() -> LastCheck | None:
    entry = (
        LedgerEntry.objects.filter(action="deposits.books.checked").order_by("-sequence").first()
    )
    if entry is None:
        return None
    return LastCheck(
        at=entry.recorded_at,
        ok=bool(entry.data.get("ok")),
        differences=int(entry.data.get("differences", 0)),
    )


def _balanced(report: Report) -> None:
    transactions = BookTransaction.objects.annotate(
        total=Sum("entries__amount"), count=Count("entries")
    )
    report.transactions = transactions.count()
    for key, total, count in transactions.filter(
        Q(total__isnull=True) | ~Q(total=0) | Q(count__lt=2)
    ).values_list("key", "total", "count"):
        report.differences.append(
            Difference(
                "unbalanced",
                key,
                f"交易 {key} 不平：{count} 笔分录合计 {total or ZERO} / Transaction {key} does not "
                f"balance: {count} entries sum to {total or ZERO}",
            )
        )


def _liabilities(report: Report) -> None:
    accounts = BookAccount.objects.filter(kind__in=LIABILITIES).annotate(
        total=Sum("entries__amount")
    )
    report.liabilities = accounts.count()
    for key, total in accounts.filter(total__gt=0).values_list("key", "total"):
        report.differences.append(
            Difference(
                "negative_liability",
                key,
                f"负债账户 {key} 为负（多付 {total}）/ Liability {key} is negative: {total} "
                "more was paid out of it than came in",
            )
        )


Recorded = dict[str, tuple[Decimal, str | None, dt.datetime]]  # reference → amount, booking, time


def _against_the_bank(report: Report, bank: Bank) -> None:
    try:
        lines = bank.statement(since=None)
    except bank_http.MalformedStatement as malformed:
        lines = malformed.lines
        for position, why in malformed.errors:
            report.differences.append(
                Difference("statement_unreadable", f"#{position}", f"银行流水行无法读取 / {why}")
            )
    except BankUnavailable as exc:
        report.differences.append(
            Difference(
                "statement_unavailable",
                "bank",
                f"无法取得银行流水，未能核对 / The bank's statement could not be read, so the "
                f"books were not compared with it: {exc}",
            )
        )
        return
    movements = _bank_movements()
    recorded: Recorded = {
        reference: (amount, key, booked_at)
        for reference, amount, key, booked_at in BankLine.objects.filter(
            direction=LineDirection.CREDIT
        ).values_list("reference", "amount", "booking__key", "booked_at")
    }
    stated = _compare_lines(report, lines, movements, recorded)
    _not_on_statement(report, lines, recorded)
    _compare_transactions(report, movements, stated, recorded)


def _bank_movements() -> dict[str, Decimal]:
    """Each book transaction's net movement of the bank account, by transaction key."""
    rows = (
        BookEntry.objects.filter(account__kind=BookAccountKind.BANK)
        .values("transaction__key")
        .annotate(total=Sum("amount"))
        .values_list("transaction__key", "total")
    )
    return {key: Decimal(total).quantize(CENT) for key, total in rows}


def _compare_lines(
    report: Report, lines: list[StatementLine], movements: dict[str, Decimal], recorded: Recorded
) -> dict[str, Decimal]:
    """Each statement line against the line the platform recorded (or the refund that paid
    it); what the statement says each book transaction should move, by its key."""
    paid = dict(
        Refund.objects.filter(status=RefundStatus.PAID)
        .exclude(bank_reference="")
        .values_list("bank_reference", "pk")
    )
    for reference, times in Counter(line.reference for line in lines).items():
        if times > 1:
            report.differences.append(
                Difference(
                    "duplicate_reference",
                    reference,
                    f"银行流水号 {reference} 出现 {times} 次 / Reference {reference} is on the "
                    f"statement {times} times",
                )
            )
    stated: dict[str, Decimal] = {}
    for line in lines:
        signed = line.amount if line.direction == "credit" else -line.amount
        key, amount = None, line.amount
        if line.direction == "credit" and line.reference in recorded:
            amount, key, _booked = recorded[line.reference]
        elif line.direction == "debit" and line.reference in paid:
            key = f"refund:{paid[line.reference]}"
        if (key is None or key not in movements) and line.booked_at > report.as_of:
            report.in_flight += 1
            continue
        report.statement_lines += 1
        report.statement_net += signed
        if key is None or key not in movements:
            report.differences.append(_missing(line))
            continue
        stated[key] = stated.get(key, ZERO) + signed
        if amount != line.amount:
            report.differences.append(
                Difference(
                    "amount_differs",
                    line.reference,
                    f"流水 {line.reference} 银行记 {line.amount}，平台记 {amount} / Line "
                    f"{line.reference}: the bank says {line.amount}, the platform recorded "
                    f"{amount}",
                )
            )
    return stated


def _missing(line: StatementLine) -> Difference:
    what = (
        f"入账 {line.amount} 至 {line.account}"
        if line.direction == "credit"
        else f"付款 {line.amount} 至 {line.counterparty_account}"
    )
    how = (
        f"credit of {line.amount} to {line.account}"
        if line.direction == "credit"
        else f"payout of {line.amount} to {line.counterparty_account}"
    )
    when = line.booked_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return Difference(
        "missing_from_books",
        line.reference,
        f"银行流水 {line.reference}（{what}，{when}）未入账簿 / Statement line {line.reference} "
        f"({how}, booked {when} Beijing time) is not in the books: import the statement "
        "(`import_statement`) or settle the refund",
    )


def _not_on_statement(report: Report, lines: list[StatementLine], recorded: Recorded) -> None:
    """Money the platform recorded as arrived that the bank does not list."""
    on_statement = {line.reference for line in lines if line.direction == "credit"}
    for reference, (amount, _key, booked_at) in sorted(recorded.items()):
        if reference in on_statement or booked_at > report.as_of:
            continue
        report.differences.append(
            Difference(
                "not_on_statement",
                reference,
                f"平台记录的到账 {reference}（{amount}）不在银行流水上 / The platform recorded "
                f"{reference} ({amount} arrived) but the bank's statement does not list it",
            )
        )


def _compare_transactions(
    report: Report, movements: dict[str, Decimal], stated: dict[str, Decimal], recorded: Recorded
) -> None:
    """Each book transaction moves the bank account by what its lines on the statement say."""
    latest: dict[str, dt.datetime] = {}
    for _amount, key, booked_at in recorded.values():
        if key is not None and (key not in latest or booked_at > latest[key]):
            latest[key] = booked_at
    refunds = _moments(
        Refund.objects.filter(
            pk__in=[key.removeprefix("refund:") for key in movements if key.startswith("refund:")]
        ).values_list("pk", "paid_at"),
        "refund:",
    )
    moments = {**latest, **refunds}
    for key, amount in sorted(movements.items()):
        if key in stated:
            report.books_net += amount
            if amount != stated[key]:
                report.differences.append(
                    Difference(
                        "amount_differs",
                        key,
                        f"账簿交易 {key} 使银行账户变动 {amount}，其流水合计 {stated[key]} / Book "
                        f"transaction {key} moves the bank account by {amount}; its lines on "
                        f"the statement sum to {stated[key]}",
                    )
                )
            continue
        moment = moments.get(key)
        if moment is not None and moment > report.as_of:
            continue  # recorded just now: the bank's statement may not list it yet
        report.books_net += amount
        report.differences.append(
            Difference(
                "not_on_statement",
                key,
                f"账簿交易 {key}（银行账户变动 {amount}）不在银行流水上 / Book transaction {key} "
                f"moves the bank account by {amount} but no statement line matches it",
            )
        )
    if report.books_net != report.statement_net and all(
        d.kind != "statement_unreadable" for d in report.differences
    ):
        report.differences.append(
            Difference(
                "totals_differ",
                "total",
                f"合计不符：银行 {report.statement_net}，账簿 {report.books_net} / In total the "
                f"bank moved {report.statement_net}, the books {report.books_net}",
            )
        )


def _moments(rows: Iterable[tuple[Any, dt.datetime | None]], prefix: str) -> dict[str, dt.datetime]:
    return {f"{prefix}{ident}": moment for ident, moment in rows if moment}


def render(report: Report) -> str:
    """The report a person reads (the command prints it)."""
    when = report.as_of.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"账簿核对 / Books check, lines booked up to {when} Beijing time",
        f"(a) {report.transactions} book transactions checked for balance",
        f"(b) {report.statement_lines} statement lines: the bank moved "
        f"{_yuan(report.statement_net)}, the books {_yuan(report.books_net)}"
        + (f" ({report.in_flight} line(s) in flight, not compared)" if report.in_flight else ""),
        f"(c) {report.liabilities} liability accounts checked for a negative balance",
    ]
    if report.ok:
        lines.append("结果：一致 / Result: the books balance and agree with the bank")
    else:
        lines.append(
            f"结果：{len(report.differences)} 处差异 / Result: {len(report.differences)} difference(s)"
        )
        lines += [f"  [{d.kind}] {d.subject}: {d.message}" for d in report.differences]
    return "\n".join(lines) + "\n"


def _yuan(amount: Decimal) -> str:
    return format(amount.quantize(CENT), ",f")
