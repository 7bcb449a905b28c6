"""Staff decisions on money: accept held money after review, return it, forfeit a deposit.
Each is refused with its reason unless the person may decide (deposits.access)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.models import Organisation, Person
from deposits import access, books, guarantee_claims, refunds
from deposits.models import (
    BankLine,
    BookAccount,
    Forfeiture,
    LineOutcome,
    Refund,
    RefundReason,
    RefundStatus,
)
from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger
from trading.models import Section

MIN_REASON = 10  # characters: a forfeiture is open to complaint, its reason must say why


def _require_staff(actor: Person, section: Section | None) -> None:
    allowed = access.decides_section(actor, section) if section else access.decides_money(actor)
    if not allowed:
        raise DomainError(
            "只有主持该标段的交易中心工作人员可在截止后作此决定 / Only the hosting centre's "
            "staff may decide this, after the bid deadline",
            code="forbidden",
        )


def held_accept(*, line: BankLine, actor: Person, reason: str) -> BankLine:
    """Count money held for review (not from the basic account) towards the deposit, after
    staff checked why [R26]; any excess over the deposit stays held."""
    _require_staff(actor, line.section)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise DomainError(
            f"请写明核实情况（至少{MIN_REASON}字）/ Say what was checked (at least "
            f"{MIN_REASON} characters)",
            code="invalid",
            field="reason",
        )
    with transaction.atomic():
        # Lock the line alone: PostgreSQL refuses FOR UPDATE on the nullable side of the
        # outer joins to its (optional) section and bidder.
        locked = (
            BankLine.objects.select_for_update(of=("self",))
            .select_related("section", "bidder")
            .get(pk=line.pk)
        )
        if locked.outcome != LineOutcome.HELD_REVIEW or locked.section is None:
            raise DomainError(
                "这笔款项不在待审核状态 / This money is not held for review", code="conflict"
            )
        section, bidder = locked.section, locked.bidder
        assert bidder is not None  # nosec B101 # a line with a section has its bidder
        held = books.held_account(locked)
        _refuse_if_refunding(held)
        deposit = books.deposit_account(section, bidder)
        moved = min(books.owed(held), max(section.bid_deposit - books.owed(deposit), Decimal(0)))
        if moved > 0:
            books.post(
                key=f"accept:{locked.reference}",
                kind="review_accepted",
                lines=[(held, moved), (deposit, -moved)],
                value_date=refunds.today(),
                memo=reason,
            )
        locked.outcome = LineOutcome.MATCHED
        locked.save(update_fields=["outcome"])
        ledger.append(
            "deposits.money.accepted_after_review",
            actor=actor,
            target=locked,
            data={"reference": locked.reference, "counted": moved, "reason": reason},
            embargo=section.embargo_scope,
        )
    return locked


def held_return(*, line: BankLine, actor: Person) -> Refund:
    """Return held money (late, unmatched, over-paid, refused after review) to its payer."""
    _require_staff(actor, line.section)
    refund = refunds.owe(account=books.held_account(line), reason=RefundReason.HELD, actor=actor)
    if refund is None:
        raise DomainError(
            "这笔款项已全部退还或正在退还 / Nothing of this money is left to return",
            code="conflict",
        )
    return refund


def forfeit(*, section: Section, bidder: Organisation, reason: str, actor: Person) -> Forfeiture:
    """Forfeit a deposit after the deadline — a bid revoked after it [R35], a winner refusing
    to sign [R74]: the cash deposit moves to the section's forfeited account, or, for a
    bidder whose deposit is a guarantee, the guarantee is claimed from its issuer. A staff
    decision with its reason, ledgered, open to complaint."""
    _require_staff(actor, section)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise DomainError(
            f"没收保证金须写明事实和依据（至少{MIN_REASON}字）/ A forfeiture needs its facts and "
            f"grounds (at least {MIN_REASON} characters)",
            code="invalid",
            field="reason",
        )
    with transaction.atomic():
        deposit = books.deposit_account(section, bidder)
        _refuse_if_refunding(deposit)
        if Forfeiture.objects.filter(section=section, bidder=bidder).exists():
            raise DomainError(
                "该保证金已被没收 / This deposit is already forfeited", code="conflict"
            )
        amount = books.owed(deposit)
        if amount <= 0:
            return _claim_the_guarantee(section, bidder, reason, actor)
        decided = _decided(section, bidder, amount, reason, actor)
        books.post(
            key=f"forfeit:{decided.pk}",
            kind="forfeiture",
            lines=[(deposit, amount), (books.forfeited_account(section), -amount)],
            value_date=refunds.today(),
            memo=reason,
        )
    return decided


def _claim_the_guarantee(
    section: Section, bidder: Organisation, reason: str, actor: Person
) -> Forfeiture:
    guarantee = guarantee_claims.claimable(section.pk, bidder.pk)
    if guarantee is None:
        raise DomainError(
            "该投标人在本标段既无现金保证金，也无可索赔的保函 / This bidder holds neither a cash "
            "deposit nor a guarantee that can be claimed in this section",
            code="conflict",
        )
    amount = min(section.bid_deposit, guarantee.amount)
    decided = _decided(section, bidder, amount, reason, actor, guarantee=guarantee.number)
    guarantee_claims.guarantee_claim(guarantee=guarantee, forfeiture=decided, actor=actor)
    return decided


def _decided(
    section: Section,
    bidder: Organisation,
    amount: Decimal,
    reason: str,
    actor: Person,
    **evidence: str,
) -> Forfeiture:
    """The forfeiture decision and its ledger entry, whichever form the deposit took."""
    decided = Forfeiture.objects.create(
        section=section,
        bidder=bidder,
        amount=amount,
        reason=reason,
        decided_at=clock.now(),
        decided_by=actor,
    )
    ledger.append(
        "deposits.deposit.forfeited",
        actor=actor,
        target=decided,
        data={
            "section": section.code,
            "bidder": bidder.credit_code,
            "amount": amount,
            **evidence,
            "reason": reason,
        },
    )
    return decided


def _refuse_if_refunding(account: BookAccount) -> None:
    BookAccount.objects.select_for_update().get(pk=account.pk)
    if Refund.objects.filter(account=account).exclude(status=RefundStatus.PAID).exists():
        raise DomainError(
            "这笔款项正在退还中，不能再作其他决定 / This money is being refunded; no other "
            "decision can be made on it",
            code="conflict",
        )
