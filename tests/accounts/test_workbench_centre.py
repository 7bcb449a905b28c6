"""The centre's workbench: halls to host today, refunds due and overdue [R35, R57] — but
no refund of a section before its deadline: a refund tells who had paid [E21]."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from accounts import workbench
from accounts.models import Person, Role
from deposits import books, refunds
from deposits.matching import record_line
from deposits.models import RefundReason
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision.archive import services as archives
from tests.deposits.conftest import Payer, credit, payers, section  # noqa: F401
from tests.factories import PersonFactory
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import services
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(holders: Holders) -> Person:
    return PersonFactory.create(organisation=holders.centre, role=Role.STAFF)


def panels(person: Person) -> dict[str, workbench.Panel]:
    with translation.override("en"):
        return {panel.key: panel for panel in workbench.panels_for(person, clock.now())}


def test_the_opening_hall_of_today_is_due_today_and_names_the_section(
    section: Section, staff: Person
) -> None:
    assert panels(staff)["halls"].items == []
    day = section.bid_deadline.astimezone(BEIJING).date()
    with time_machine.travel(dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=BEIJING)):
        [item] = panels(staff)["halls"].items
    assert item.title == f"Host the opening of {section.code} {section.name}"
    assert item.state == workbench.DUE_TODAY and item.due == section.bid_deadline


def test_a_refund_shows_only_after_the_deadline_and_is_overdue_after_its_due_day(
    section: Section, staff: Person, payers: list[Payer]
) -> None:
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "800000.00", payer=payer.account), source="feed"
    )
    refund = refunds.owe(
        account=books.deposit_account(section, payer.organisation), reason=RefundReason.WITHDRAWN
    )
    assert refund is not None
    assert panels(staff)["refunds-due"].items == []  # sealed until the deadline [E21]
    [owed] = panels(payer.person)["refunds"].items  # the bidder sees its own at once
    assert owed.state == workbench.UPCOMING and owed.due == refund.due_by
    after = max(section.bid_deadline, dt.datetime.combine(refund.due_by, dt.time.max, BEIJING))
    with time_machine.travel(after + dt.timedelta(hours=1)):
        [item] = panels(staff)["refunds-due"].items
        assert panels(payer.person)["refunds"].items[0].state == workbench.LATE
    assert item.state == workbench.LATE and item.due == refund.due_by
    assert item.title == f"Refund to {refund.to_name}: 800,000.00 yuan"


def test_its_chart_counts_deposits_and_refunds_per_week_only_of_sections_past_the_deadline(
    section: Section, staff: Person, payers: list[Payer]
) -> None:
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "800000.00", payer=payer.account), source="feed"
    )
    chart = panels(staff)["refunds-due"].chart
    assert chart is not None and sum(chart.series[0].values) == 0
    with time_machine.travel(section.bid_deadline + dt.timedelta(hours=1)):
        chart = panels(staff)["refunds-due"].chart
    assert chart is not None and sum(chart.series[0].values) == 1
    assert [str(series.label) for series in chart.series] == ["Deposits received", "Refunds paid"]


def test_a_closed_section_not_yet_archived_is_due_and_overdue_once_its_sealing_time_passed(
    draft: Section, tenderee: Person, staff: Person
) -> None:
    services.section_cancel(section=draft, actor=tenderee, reason="项目取消")
    due = archives.sealing_due(Section.objects.get(pk=draft.pk))
    assert due is not None
    [item] = panels(staff)["archives"].items
    assert item.title == f"Archive of {draft.code}" and item.due == due
    assert item.state in (workbench.DUE_TODAY, workbench.UPCOMING)
    with time_machine.travel(due + dt.timedelta(minutes=1)):
        assert panels(staff)["archives"].items[0].state == workbench.LATE
