"""Where one bidder's deposit for one section stands, read from the books, the bank lines,
the guarantees and the refunds — never stored, so it cannot disagree with them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from deposits import guarantee_terms
from deposits.models import (
    BankLine,
    BookAccount,
    BookAccountKind,
    BookEntry,
    Forfeiture,
    Guarantee,
    LineOutcome,
    Refund,
    RefundStatus,
    SubAccount,
)
from trading.models import Section


class State:
    NOT_REQUIRED = "not_required"
    MISSING = "missing"
    PARTIAL = "partial"
    REVIEW = "review"
    PAID = "paid"
    GUARANTEED = "guaranteed"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    FORFEITED = "forfeited"


LABELS = {
    State.NOT_REQUIRED: _("No deposit required"),
    State.MISSING: _("Not paid"),
    State.PARTIAL: _("Partly paid"),
    State.REVIEW: _("Held for review: not from the basic account"),
    State.PAID: _("Paid"),
    State.GUARANTEED: _("Electronic guarantee"),
    State.REFUNDING: _("Being refunded"),
    State.REFUNDED: _("Refunded"),
    State.FORFEITED: _("Forfeited"),
}
# States in which the deposit requirement is met [R26].
COVERED = frozenset({State.NOT_REQUIRED, State.PAID, State.GUARANTEED})


@dataclass(frozen=True)
class Position:
    section_id: int
    bidder_id: int
    required: Decimal
    paid: Decimal  # counted towards the deposit and still held
    held: Decimal  # held beside it (over-paid, for review, late)
    state: str
    sub_account: str | None
    guarantee: str | None  # the covering guarantee's number
    refunded: Decimal = Decimal(0)
    refund_due_by: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(LABELS[self.state])

    @property
    def covered(self) -> bool:
        return self.state in COVERED


def of(section: Section, bidder: Organisation) -> Position:
    return positions(section, [bidder.pk])[bidder.pk]


def positions(section: Section, bidder_ids: list[int] | None = None) -> dict[int, Position]:
    """Each bidder's position in the section: of ``bidder_ids``, or of every organisation
    with a sub-account, money, guarantee or refund in it."""
    accounts = BookAccount.objects.filter(section=section)
    owed: dict[tuple[str, int | None], Decimal] = {}
    for row in (
        BookEntry.objects.filter(account__in=accounts)
        .values("account__kind", "account__organisation")
        .annotate(total=Sum("amount"))
    ):
        key = (row["account__kind"], row["account__organisation"])
        owed[key] = owed.get(key, Decimal(0)) - row["total"]
    subs = dict(SubAccount.objects.filter(section=section).values_list("bidder", "number"))
    guarantees = {
        bidder: number
        # guarantees.cover's rule, for every bidder at once (the newest one wins).
        for bidder, number in Guarantee.objects.filter(guarantee_terms.covering(section))
        .order_by("received_at", "pk")
        .values_list("bidder", "number")
    }
    review = set(
        BankLine.objects.filter(section=section, outcome=LineOutcome.HELD_REVIEW)
        .filter(held_account__isnull=False)
        .values_list("bidder", flat=True)
    )
    refunds: dict[int, list[Refund]] = {}
    for refund in Refund.objects.filter(section=section, account__kind=BookAccountKind.DEPOSIT):
        if refund.payee_id is not None:
            refunds.setdefault(refund.payee_id, []).append(refund)
    forfeited = set(Forfeiture.objects.filter(section=section).values_list("bidder", flat=True))
    ids = (
        bidder_ids
        if bidder_ids is not None
        else sorted(
            {*subs, *guarantees, *refunds, *(org for _kind, org in owed if org is not None)}
        )
    )
    result = {}
    for bidder_id in ids:
        paid = owed.get((BookAccountKind.DEPOSIT, bidder_id), Decimal(0))
        held = owed.get((BookAccountKind.HELD, bidder_id), Decimal(0))
        mine = refunds.get(bidder_id, [])
        state = _state(
            required=section.bid_deposit,
            paid=paid,
            guarantee=bidder_id in guarantees,
            review=bidder_id in review and held > 0,
            refunds=mine,
            forfeited=bidder_id in forfeited,
        )
        pending = [r for r in mine if r.status != RefundStatus.PAID]
        result[bidder_id] = Position(
            section_id=section.pk,
            bidder_id=bidder_id,
            required=section.bid_deposit,
            paid=paid,
            held=held,
            state=state,
            sub_account=subs.get(bidder_id),
            guarantee=guarantees.get(bidder_id),
            refunded=sum((r.total for r in mine if r.status == RefundStatus.PAID), Decimal(0)),
            refund_due_by=min((r.due_by for r in pending), default=None),
        )
    return result


def _state(
    *,
    required: Decimal,
    paid: Decimal,
    guarantee: bool,
    review: bool,
    refunds: list[Refund],
    forfeited: bool,
) -> str:
    if forfeited:
        return State.FORFEITED
    if any(refund.status != RefundStatus.PAID for refund in refunds):
        return State.REFUNDING
    if refunds and paid <= 0:
        return State.REFUNDED
    if required <= 0:
        return State.NOT_REQUIRED
    if paid >= required:
        return State.PAID
    if guarantee:
        return State.GUARANTEED
    if review:
        return State.REVIEW
    return State.PARTIAL if paid > 0 else State.MISSING
