"""Deposits follow the trading floor's sections and bids (trading sends; it never imports
deposits). Each receiver runs inside the sender's transaction: the refund is decided with
the change that owes it, or not at all."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import Organisation
from deposits import books, guarantees, refunds
from deposits.models import RefundReason
from trading.models import Section, SectionStatus
from trading.signals import bid_withdrawn, status_changed

# A section that ends without a contract returns every deposit with interest [R31]; a
# contract returns them all, with interest, within 5 days [R57]; guarantees are released.
REFUND_ON = {
    SectionStatus.FAILED: RefundReason.TERMINATED,
    SectionStatus.CANCELLED: RefundReason.TERMINATED,
    SectionStatus.CONTRACTED: RefundReason.CONTRACT,
}


@receiver(status_changed)
def refund_when_the_section_ends(
    sender: Any, section: Section, source: str, target: str, **kwargs: Any
) -> None:
    reason = REFUND_ON.get(SectionStatus(target)) if target in SectionStatus.values else None
    if reason is not None:
        refunds.owe_section(section=section, reason=reason)
        guarantees.guarantee_release(section=section)


@receiver(bid_withdrawn)
def refund_a_withdrawn_bidder(
    sender: Any, section: Section, organisation: Organisation, **kwargs: Any
) -> None:
    # [R35]: the deposit of a bid withdrawn before the deadline goes back within 5 days.
    refunds.owe(account=books.deposit_account(section, organisation), reason=RefundReason.WITHDRAWN)
    guarantees.guarantee_release(section=section, bidder=organisation)
