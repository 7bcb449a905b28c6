"""Money going back: refunds decided, sent to the bank once, and booked when paid.

A refund is decided in one transaction (what is owed, the interest, the day it falls due)
and sent after commit. Sending marks it SENDING and calls the bank with the refund's payout
key; settling books it and marks it PAID. A crash between the bank's answer and the commit
leaves it SENDING: the sweep sends it again with the same key, the bank answers with the
payout it already made, and it is booked once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum

from deposits import alerts, bank_http, books, calendar, interest
from deposits.bank import Bank, BankUnavailable, Payout
from deposits.models import (
    AlertKind,
    BankLine,
    BasicAccount,
    BookAccount,
    BookAccountKind,
    BookEntry,
    Refund,
    RefundReason,
    RefundStatus,
)
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision import ledger
from trading.models import Section

# Refunds that earn the current-deposit rate for the days held [R57, R31].
WITH_INTEREST = frozenset({RefundReason.CONTRACT, RefundReason.TERMINATED})
# A refund SENDING this long without an answer is asked about again (same payout key).
RESEND_AFTER = dt.timedelta(minutes=2)


def today() -> dt.date:
    return clock.now().astimezone(BEIJING).date()


def owe(*, account: BookAccount, reason: str, actor: object = None) -> Refund | None:
    """Decide a refund of whatever ``account`` still owes and no refund covers yet; None if
    nothing is left (deciding twice decides once)."""
    with transaction.atomic():
        locked = BookAccount.objects.select_for_update().get(pk=account.pk)
        pending = Refund.objects.filter(account=locked).exclude(status=RefundStatus.PAID)
        covered = pending.aggregate(total=Sum("principal"))["total"] or Decimal(0)
        principal = books.owed(locked) - covered
        if principal <= 0:
            return None
        decided = today()
        earned = Decimal(0)
        if reason in WITH_INTEREST and locked.kind == BookAccountKind.DEPOSIT:
            earned = interest.interest(_holdings(locked, principal), until=decided)
        to_account, to_name = _payee_account(locked)
        refund = Refund.objects.create(
            reason=reason,
            account=locked,
            section=locked.section,
            payee=locked.organisation,
            to_account=to_account,
            to_name=to_name,
            principal=principal,
            interest=earned,
            decided_at=clock.now(),
            due_by=calendar.period_end(decided, settings.REFUND_DAYS),
        )
        ledger.append(
            "deposits.refund.decided",
            actor=actor,
            target=refund,
            data={
                "reason": reason,
                "account": locked.key,
                "principal": principal,
                "interest": earned,
                "due_by": refund.due_by,
            },
            embargo=locked.section.embargo_scope if locked.section else "",
        )
        transaction.on_commit(lambda: _queue_send(refund))
    return refund


def owe_section(*, section: Section, reason: str, actor: object = None) -> list[Refund]:
    """Refund every deposit and every held sum of the section (contract, termination)."""
    accounts = BookAccount.objects.filter(
        section=section, kind__in=[BookAccountKind.DEPOSIT, BookAccountKind.HELD]
    ).order_by("pk")
    decided = []
    for account in accounts:
        why = reason if account.kind == BookAccountKind.DEPOSIT else RefundReason.HELD
        refund = owe(account=account, reason=why, actor=actor)
        if refund is not None:
            decided.append(refund)
    return decided


def send(*, refund_id: uuid.UUID | str, bank: Bank | None = None) -> Refund:
    """Ask the bank to pay the refund (once per payout key, however often called)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == RefundStatus.PAID:
            return refund
        refund.status = RefundStatus.SENDING
        refund.attempts += 1
        refund.payout_key = refund.payout_key or f"{refund.pk}-{refund.attempts}"
        refund.sent_at = clock.now()
        refund.save(update_fields=["status", "attempts", "payout_key", "sent_at"])
    try:
        payout = (bank or bank_http.bank()).payout(
            key=refund.payout_key,
            to_account=refund.to_account,
            to_name=refund.to_name,
            amount=refund.total,
            # No section code: the bank's statement reaches staff lists (deposits.access).
            memo="保证金退还 / deposit refund",
        )
    except BankUnavailable as exc:
        _note_error(refund, f"银行无应答，稍后重试 / The bank did not answer; retrying: {exc}")
        return refund
    if payout.state == "failed":
        _refused(refund, payout)
        return refund
    return settle(refund_id=refund.pk, payout=payout)


def settle(*, refund_id: uuid.UUID | str, payout: Payout) -> Refund:
    """Book a payout the bank made; settling twice books once."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("account").get(pk=refund_id)
        if refund.status == RefundStatus.PAID:
            return refund
        books.post(
            key=f"refund:{refund.pk}",
            kind="refund",
            lines=[
                (refund.account, refund.principal),
                (books.interest_account(), refund.interest),
                (books.bank_account(), -refund.total),
            ],
            value_date=today(),
            memo=f"{refund.get_reason_display()} → {refund.to_account}",
        )
        refund.status = RefundStatus.PAID
        refund.paid_at = clock.now()
        refund.bank_reference = payout.reference[:64]
        refund.last_error = ""
        refund.save(update_fields=["status", "paid_at", "bank_reference", "last_error"])
        for kind in (AlertKind.REFUND_DUE_SOON, AlertKind.REFUND_OVERDUE):
            alerts.resolve(key=f"{kind}:{refund.pk}")
        ledger.append(
            "deposits.refund.paid",
            target=refund,
            data={
                "principal": refund.principal,
                "interest": refund.interest,
                "to_account": refund.to_account,
                "bank_reference": payout.reference,
            },
            embargo=refund.section.embargo_scope if refund.section else "",
        )
    return refund


def to_send(now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Refunds the sweep sends: due ones, and SENDING ones the bank never answered."""
    now = now or clock.now()
    # Not sent lately: never sent, its worker died, the bank timed out or refused it.
    quiet = Q(sent_at=None) | Q(sent_at__lte=now - RESEND_AFTER)
    waiting = Refund.objects.filter(quiet, status__in=[RefundStatus.DUE, RefundStatus.SENDING])
    return list(waiting.values_list("pk", flat=True))


def _holdings(account: BookAccount, principal: Decimal) -> list[tuple[Decimal, dt.date]]:
    """The credits still held, oldest first; earlier repayments consumed the oldest."""
    credits = [
        (-entry.amount, entry.transaction.value_date)
        for entry in BookEntry.objects.filter(account=account, amount__lt=0)
        .select_related("transaction")
        .order_by("transaction__value_date", "pk")
    ]
    gone = sum((amount for amount, _day in credits), Decimal(0)) - principal
    held = []
    for amount, day in credits:
        used = min(amount, max(gone, Decimal(0)))
        gone -= used
        if amount - used:
            held.append((amount - used, day))
    return held


def _payee_account(account: BookAccount) -> tuple[str, str]:
    """Deposits go back to the bidder's basic account [R26]; held money to whoever paid it."""
    if account.kind == BookAccountKind.DEPOSIT and account.organisation is not None:
        basic = BasicAccount.objects.filter(organisation=account.organisation).first()
        if basic is not None:
            return basic.number, basic.name
    line = account.line or (
        BankLine.objects.filter(section=account.section, bidder=account.organisation)
        .order_by("-booked_at")
        .first()
    )
    if line is None:
        raise ValueError(f"no account to refund {account.key} to")
    return line.counterparty_account, line.counterparty_name


def _note_error(refund: Refund, message: str) -> None:
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.SENDING).update(
        last_error=message[:300]
    )


def _refused(refund: Refund, payout: Payout) -> None:
    """The bank refused outright (account closed, name mismatch): no money moved. The next
    attempt is a new payout (a new key); staff see why on the refunds page."""
    with transaction.atomic():
        updated = Refund.objects.filter(pk=refund.pk, status=RefundStatus.SENDING).update(
            status=RefundStatus.DUE,
            payout_key="",
            last_error=f"银行拒绝付款 / The bank refused the payout: {payout.reason}"[:300],
        )
        if updated:
            ledger.append(
                "deposits.refund.refused_by_bank",
                target=refund,
                data={"payout_key": payout.key, "reason": payout.reason},
                embargo=refund.section.embargo_scope if refund.section else "",
            )


@shared_task(name="deposits.tasks.send_refund", acks_late=True)
def send_refund(refund_id: str) -> str:
    return send(refund_id=refund_id).status


def _queue_send(refund: Refund) -> None:
    send_refund.delay(str(refund.pk))
