"""The section's money in the security world: a deposit paid with 100 yuan over (held, and
being refunded), a deposit from another account (held for review), a guarantee, one payer
for two bidders (an alert), money to no sub-account, and the reference data. After the
deadline the first deposit is forfeited. What each route shows of them is the matrix's."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile

from accounts.models import Person
from deposits import books, collection, decisions, reference_data, refunds
from deposits.bank import StatementLine
from deposits.matching import record_line
from deposits.models import (
    Alert,
    Guarantee,
    Issuer,
    IssuerKind,
    RefundReason,
)
from ggzy import clock
from tests.bidding.conftest import Bidder
from tests.factories import credit_code
from trading.models import Section

FOREIGN = "9999000011112222"  # nobody's basic account


def grant_centre_staff() -> None:
    """The deposits permissions of the centre-staff group (a flushed database lost them)."""
    migration = importlib.import_module("deposits.migrations.0004_centre_staff_deposits")
    migration.grant(apps, None)


def _line(to: str, amount: str, payer: str, reference: str) -> StatementLine:
    return StatementLine(
        reference=reference,
        direction="credit",
        account=to,
        counterparty_account=payer,
        counterparty_name="付款人",
        amount=Decimal(amount),
        booked_at=clock.now(),
        memo="投标保证金",
    )


def before_the_deadline(section: Section, bidders: list[Bidder], staff: Person) -> dict[str, Any]:
    first, second, third = bidders
    for index, bidder in enumerate(bidders):
        collection.basic_account_register(
            organisation=bidder.organisation,
            number=f"622200001111000{index + 1}",
            name=bidder.organisation.name,
            bank="示范银行",
            actor=bidder.person,
        )
    paid = collection.sub_account_for(
        section=section, bidder=first.organisation, actor=first.person
    )
    over, _ = record_line(
        _line(paid.number, "800100.00", "6222000011110001", "W-PAID"), source="feed"
    )
    refund = refunds.owe(account=books.held_account(over), reason=RefundReason.HELD)
    review_sub = collection.sub_account_for(
        section=section, bidder=second.organisation, actor=second.person
    )
    review, _ = record_line(
        _line(review_sub.number, "800000.00", FOREIGN, "W-REVIEW"), source="feed"
    )
    third_sub = collection.sub_account_for(
        section=section, bidder=third.organisation, actor=third.person
    )
    record_line(_line(third_sub.number, "1.00", FOREIGN, "W-SHARED"), source="feed")
    record_line(_line("8866000000000000", "3.00", "6222777788889999", "W-LOST"), source="csv")
    issuer = Issuer.objects.create(
        name="示范财产保险股份有限公司",
        credit_code=credit_code(),
        kind=IssuerKind.INSURER,
        public_key_pem="-",
        key_fingerprint="e" * 64,
        registered_at=clock.now(),
    )
    guarantee = Guarantee.objects.create(
        number="W-BH-0001",
        verification_code="123456",
        issuer=issuer,
        section=section,
        bidder=third.organisation,
        beneficiary=section.project.tenderee,
        amount=section.bid_deposit,
        valid_from=clock.now().date(),
        valid_until=clock.now().date() + dt.timedelta(days=120),
        document=ContentFile(b"%PDF guarantee", name="bh.pdf"),
        document_sm3="0" * 64,
        payload={},
        signature=b"",
        received_at=clock.now(),
    )
    rate = reference_data.rate_set(
        effective_from=dt.date(2020, 1, 1), annual_rate=Decimal("0.0035"), actor=staff
    )
    day = reference_data.calendar_day_set(
        date=clock.now().date() + dt.timedelta(days=30), is_workday=True, actor=staff
    )
    assert refund is not None
    return {
        "basic_account": first.organisation.basic_account,
        "sub_account": paid,
        "review_line": review,
        "paid_line": over,
        "deposit_account": books.deposit_account(section, first.organisation),
        "refund": refund,
        "alert": Alert.objects.get(section=section),
        "issuer": issuer,
        "guarantee": guarantee,
        "rate": rate,
        "day": day,
    }


def after_the_deadline(section: Section, bidders: list[Bidder], host: Person) -> dict[str, Any]:
    """A revocation after the deadline [R35]: the first bidder's deposit is forfeited."""
    forfeiture = decisions.forfeit(
        section=section,
        bidder=bidders[0].organisation,
        reason="截止后撤销投标文件，依据实施条例第三十五条",
        actor=host,
    )
    return {"forfeiture": forfeiture}
