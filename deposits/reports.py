"""What became of each bank line — counted towards a deposit, still held, returned — read
from the books and the refunds in a few queries per thousand lines, for the pages and the
reconciliation report (deposits.exports). Nothing here decides who may see a line: callers
pass lines already filtered by deposits.access."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from deposits.models import (
    BankLine,
    BookAccount,
    BookAccountKind,
    BookEntry,
    LineDirection,
    LineOutcome,
    Refund,
)

CHUNK = 1000  # lines per round of queries: memory stays flat however long the statement
OVER_PAID = _("Held: more than the deposit required")


@dataclass(frozen=True)
class LineRow:
    line: BankLine
    counted: Decimal  # counted towards the deposit, on arrival or after review
    held: Decimal  # held now: neither counted nor yet paid back
    refund: Refund | None  # the refund returning its held money, or the one this payout paid

    @property
    def credit(self) -> Decimal:
        return self.line.amount if self.line.direction == LineDirection.CREDIT else Decimal(0)

    @property
    def debit(self) -> Decimal:
        return self.line.amount if self.line.direction == LineDirection.DEBIT else Decimal(0)

    @property
    def why(self) -> str:
        """Why the line's money is held (or its outcome when nothing is)."""
        if self.held > 0 and self.line.outcome == LineOutcome.MATCHED:
            return str(OVER_PAID)
        return str(self.line.get_outcome_display())


@dataclass
class Totals:
    credit: Decimal = Decimal(0)
    debit: Decimal = Decimal(0)
    counted: Decimal = Decimal(0)
    held: Decimal = Decimal(0)
    lines: int = 0

    def add(self, row: LineRow) -> None:
        self.credit += row.credit
        self.debit += row.debit
        self.counted += row.counted
        self.held += row.held
        self.lines += 1


def line_rows(lines: QuerySet[BankLine]) -> Iterator[LineRow]:
    """Each line with what became of it, in the queryset's order."""
    iterator = lines.select_related("section", "bidder").iterator(chunk_size=CHUNK)
    while batch := list(islice(iterator, CHUNK)):
        yield from _annotate(batch)


def held_lines(lines: QuerySet[BankLine], *, limit: int) -> list[LineRow]:
    """The lines (of ``lines``) whose money is still held in part or whole, oldest first."""
    holding = (
        BookAccount.objects.filter(kind=BookAccountKind.HELD, line__in=lines)
        .annotate(total=Sum("entries__amount"))
        .filter(total__lt=0)
        .values_list("line_id", flat=True)
    )
    chosen = BankLine.objects.filter(pk__in=holding).order_by("booked_at", "pk")[:limit]
    return list(_annotate(list(chosen.select_related("section", "bidder"))))


def _annotate(batch: Iterable[BankLine]) -> Iterator[LineRow]:
    batch = list(batch)
    references = [line.reference for line in batch]
    ids = [line.pk for line in batch]
    # Counted on arrival (the line says) and later on review (an ``accept:`` transaction).
    counted = {line.reference: line.counted for line in batch}
    for row in (
        BookEntry.objects.filter(
            account__kind=BookAccountKind.DEPOSIT,
            amount__lt=0,
            transaction__key__in=[f"accept:{ref}" for ref in references],
        )
        .values("transaction__key")
        .annotate(total=Sum("amount"))
    ):
        reference = row["transaction__key"].split(":", 1)[1]
        counted[reference] -= row["total"]
    held = {
        row["account__line_id"]: -row["total"]
        for row in BookEntry.objects.filter(account__line_id__in=ids)
        .values("account__line_id")
        .annotate(total=Sum("amount"))
    }
    returning: dict[int, Refund] = {}  # credit line id → the refund of its held money
    for refund in (
        Refund.objects.filter(account__line_id__in=ids)
        .select_related("account")
        .order_by("decided_at")
    ):
        if refund.account.line_id is not None:
            returning[refund.account.line_id] = refund  # the latest decided wins
    paid_by = {  # payout line reference → the refund it paid
        refund.bank_reference: refund
        for refund in Refund.objects.filter(bank_reference__in=references)
    }
    for line in batch:
        yield LineRow(
            line=line,
            counted=counted.get(line.reference, Decimal(0)),
            held=held.get(line.pk, Decimal(0)),
            refund=returning.get(line.pk)
            if line.direction == LineDirection.CREDIT
            else paid_by.get(line.reference),
        )
