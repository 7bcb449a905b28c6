"""The sweep's watch: staff hear of a refund before it is overdue, of an overdue one, of an
unknown holiday calendar, and of a claim the issuer never answered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from deposits import books, watch
from deposits.models import (
    Alert,
    AlertKind,
    CalendarDay,
    Forfeiture,
    GuaranteeClaim,
    Refund,
    RefundReason,
)
from ggzy import clock
from tests.deposits.conftest import Payer
from tests.deposits.guarantee_world import Signer, signer, submit, terms_for  # noqa: F401
from tests.factories import PersonFactory
from trading.models import Section

pytestmark = pytest.mark.django_db


def a_refund(section: Section, payer: Payer, due_by: dt.date) -> Refund:
    return Refund.objects.create(
        reason=RefundReason.WITHDRAWN,
        account=books.deposit_account(section, payer.organisation),
        section=section,
        payee=payer.organisation,
        to_account=payer.account,
        principal=Decimal("800000.00"),
        decided_at=clock.now(),
        due_by=due_by,
    )


def test_a_refund_due_tomorrow_is_flagged_and_one_past_due_is_overdue(
    section: Section, payers: list[Payer]
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        soon = a_refund(section, payers[0], dt.date(2026, 3, 3))  # Monday → Tuesday
        late = a_refund(section, payers[1], dt.date(2026, 2, 27))
        later = a_refund(section, payers[2], dt.date(2026, 3, 9))

        assert watch.refund_deadlines() == 2
        watch.refund_deadlines()  # the next sweep raises nothing new

    kinds = dict(Alert.objects.values_list("key", "kind"))
    assert kinds == {
        f"{AlertKind.REFUND_DUE_SOON}:{soon.pk}": AlertKind.REFUND_DUE_SOON,
        f"{AlertKind.REFUND_OVERDUE}:{late.pk}": AlertKind.REFUND_OVERDUE,
    }
    assert not Alert.objects.filter(key__endswith=str(later.pk)).exists()


def test_from_october_an_unknown_next_year_raises_an_alert_until_its_days_are_entered(
    db: None,
) -> None:
    with time_machine.travel(dt.datetime(2098, 10, 8, 2, 0, tzinfo=dt.UTC), tick=False):
        assert not watch.calendar_coverage()
        assert Alert.objects.filter(key="calendar_unknown:2099").exists()
        CalendarDay.objects.create(date=dt.date(2099, 1, 1), is_workday=False, note="元旦")
        assert watch.calendar_coverage()
    with time_machine.travel(dt.datetime(2098, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        assert watch.calendar_coverage()  # before October nobody is asked yet


def test_a_claim_the_issuer_left_unanswered_for_a_day_is_alerted(
    section: Section,
    payers: list[Payer],
    signer: Signer,  # noqa: F811
) -> None:
    guarantee = submit(signer, terms_for(section, payers[0].organisation, signer))
    decided = Forfeiture.objects.create(
        section=section,
        bidder=guarantee.bidder,
        amount=section.bid_deposit,
        reason="中标后无正当理由拒不签订合同 [R74]",
        decided_at=clock.now(),
        decided_by=PersonFactory.create(),
    )
    claim = GuaranteeClaim.objects.create(
        guarantee=guarantee,
        forfeiture=decided,
        amount=section.bid_deposit,
        created_at=clock.now(),
        sent_at=clock.now(),
        attempts=3,
        last_error="issuer unavailable: read timed out",
    )

    assert watch.unanswered_claims() == 0
    with time_machine.travel(clock.now() + dt.timedelta(days=1, minutes=1), tick=False):
        assert watch.unanswered_claims() == 1

    alert = Alert.objects.get(kind=AlertKind.CLAIM_UNANSWERED)
    assert alert.key == f"claim_unanswered:{claim.key}" and "read timed out" in alert.message
