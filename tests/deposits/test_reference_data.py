"""Staff maintain the interest rates and the calendar days through services (admin included);
every other deposits screen in admin is read-only and sealed like the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Person, Role
from accounts.services import CENTRE_STAFF_GROUP
from deposits import alerts, books, calendar, reference_data, refunds
from deposits.matching import record_line
from deposits.models import AlertKind, BankLine, CalendarDay, InterestRate, RefundReason
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.deposits.conftest import Payer, credit
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(holders: Holders) -> Person:
    """Centre staff with Django admin (the centre-staff group)."""
    person = PersonFactory.create(organisation=holders.centre, role=Role.STAFF, is_staff=True)
    person.groups.add(Group.objects.get(name=CENTRE_STAFF_GROUP))
    return person


def test_a_rate_is_entered_corrected_and_ledgered_with_before_and_after(clerk: Person) -> None:
    day = dt.date(2026, 1, 1)
    reference_data.rate_set(effective_from=day, annual_rate=Decimal("0.0035"), actor=clerk)
    reference_data.rate_set(
        effective_from=day, annual_rate=Decimal("0.0025"), note="2026年调整", actor=clerk
    )

    assert InterestRate.objects.get(effective_from=day).annual_rate == Decimal("0.0025")
    entries = LedgerEntry.objects.filter(action="deposits.interest_rate.set").order_by("sequence")
    assert [e.data["before"] for e in entries] == [None, {"annual_rate": "0.003500", "note": ""}]


@pytest.mark.parametrize("rate", ["-0.0001", "0.35"])
def test_a_rate_outside_zero_to_ten_percent_is_refused(clerk: Person, rate: str) -> None:
    with pytest.raises(DomainError, match=r"0\.0035"):
        reference_data.rate_set(
            effective_from=dt.date(2026, 1, 1), annual_rate=Decimal(rate), actor=clerk
        )
    assert not InterestRate.objects.exists()


def test_a_rate_a_decided_refund_used_cannot_change_but_a_new_one_from_that_day_can(
    section: Section, payers: list[Payer], clerk: Person
) -> None:
    first = dt.date(2020, 1, 1)
    old = reference_data.rate_set(effective_from=first, annual_rate=Decimal("0.0035"), actor=clerk)
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "800000.00", payer=payer.account), source="feed"
    )
    with time_machine.travel(dt.timedelta(days=40)):
        refund = refunds.owe(
            account=books.deposit_account(section, payer.organisation),
            reason=RefundReason.TERMINATED,
        )
        assert refund is not None and refund.interest > 0
        with pytest.raises(DomainError, match="used the rate table"):
            reference_data.rate_set(effective_from=first, annual_rate=Decimal("0.01"), actor=clerk)
        with pytest.raises(DomainError, match="used the rate table"):
            reference_data.rate_delete(rate=old, actor=clerk)
        today = refunds.today()
        reference_data.rate_set(effective_from=today, annual_rate=Decimal("0.002"), actor=clerk)

    assert InterestRate.objects.get(effective_from=first).annual_rate == Decimal("0.0035")
    assert InterestRate.objects.count() == 2


def test_a_make_up_working_day_moves_a_refunds_due_date_and_answers_the_alert(
    clerk: Person,
) -> None:
    saturday = dt.date(2031, 3, 8)  # a year chinese-calendar does not know
    alerts.raise_alert(
        key="calendar_unknown:2031", kind=AlertKind.CALENDAR_UNKNOWN, message="2031 unknown"
    )
    assert calendar.period_end(dt.date(2031, 3, 3), 5) == dt.date(2031, 3, 10)
    with time_machine.travel(dt.datetime(2030, 10, 8, tzinfo=dt.UTC)):
        reference_data.calendar_day_set(date=saturday, is_workday=True, note="调休", actor=clerk)

    assert calendar.period_end(dt.date(2031, 3, 3), 5) == saturday
    entry = LedgerEntry.objects.get(action="deposits.calendar_day.set")
    assert entry.data["after"] == {"is_workday": True, "note": "调休"}
    assert LedgerEntry.objects.filter(action="deposits.alert.calendar_unknown_resolved").exists()


def test_a_calendar_day_too_far_ahead_is_refused(clerk: Person) -> None:
    with pytest.raises(DomainError, match="coming year only"):
        reference_data.calendar_day_set(date=dt.date(2099, 1, 1), is_workday=False, actor=clerk)
    assert not CalendarDay.objects.exists()


def test_a_deleted_calendar_day_is_ledgered(clerk: Person) -> None:
    day = reference_data.calendar_day_set(date=dt.date(2026, 5, 6), is_workday=False, actor=clerk)
    reference_data.calendar_day_delete(day=day, actor=clerk)
    assert not CalendarDay.objects.exists()
    assert LedgerEntry.objects.get(action="deposits.calendar_day.deleted").data["before"] == {
        "is_workday": False,
        "note": "",
    }


def test_admin_adds_and_deletes_a_rate_through_the_service(clerk: Person) -> None:
    client = client_for(clerk)
    added = client.post(
        reverse("admin:deposits_interestrate_add"),
        {"effective_from": "2026-01-01", "annual_rate": "0.0035", "note": "活期"},
    )
    assert added.status_code == 302, added.content[:500]
    rate = InterestRate.objects.get()
    assert LedgerEntry.objects.filter(action="deposits.interest_rate.set").count() == 1

    deleted = client.post(
        reverse("admin:deposits_interestrate_delete", args=[rate.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not InterestRate.objects.exists()
    assert LedgerEntry.objects.filter(action="deposits.interest_rate.deleted").count() == 1


def test_admin_shows_a_refused_rate_with_its_reason_and_saves_nothing(clerk: Person) -> None:
    response = client_for(clerk).post(
        reverse("admin:deposits_interestrate_add"),
        {"effective_from": "2026-01-01", "annual_rate": "0.5", "note": ""},
        follow=True,
    )
    assert "0.0035" in response.content.decode()
    assert not InterestRate.objects.exists()
    assert not LedgerEntry.objects.filter(action="deposits.interest_rate.set").exists()


def test_admin_adds_a_calendar_day_through_the_service(clerk: Person) -> None:
    response = client_for(clerk).post(
        reverse("admin:deposits_calendarday_add"),
        {"date": "2026-10-10", "is_workday": "on", "note": "调休上班"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get().is_workday
    assert LedgerEntry.objects.filter(action="deposits.calendar_day.set").exists()


def test_the_books_in_admin_are_read_only(
    section: Section, payers: list[Payer], clerk: Person
) -> None:
    payer = payers[0]
    record_line(
        credit(
            payer.sub_account(section).number, "800000.00", payer=payer.account, reference="R-1"
        ),
        source="feed",
    )
    client = client_for(clerk)
    with time_machine.travel(section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        client = client_for(clerk)
        assert client.get(reverse("admin:deposits_bankline_add")).status_code == 403
        url = reverse("admin:deposits_bankline_change", args=["R-1"])
        assert client.get(url).status_code == 200
        client.post(url, {"amount": "1.00", "outcome": "held_late"})
        assert (
            client.post(reverse("admin:deposits_bankline_delete", args=["R-1"])).status_code == 403
        )
    line = BankLine.objects.get()
    assert line.amount == Decimal("800000.00") and line.outcome == "matched"


def test_admin_lists_no_row_of_a_section_before_its_deadline(
    section: Section, payers: list[Payer], clerk: Person
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)
    record_line(
        credit(sub.number, "800000.00", payer=payer.account, reference="SEALED-1"), source="feed"
    )
    record_line(credit("8866000000000000", "3.00", payer="6222", reference="OPEN-1"), source="csv")
    client = client_for(clerk)

    lines = client.get(reverse("admin:deposits_bankline_changelist")).content.decode()
    subs = client.get(reverse("admin:deposits_subaccount_changelist")).content.decode()
    transactions = client.get(reverse("admin:deposits_booktransaction_changelist")).content.decode()
    sealed = client.get(reverse("admin:deposits_bankline_change", args=["SEALED-1"]))

    assert "OPEN-1" in lines and "SEALED-1" not in lines
    assert sub.number not in subs
    assert "arrival:OPEN-1" in transactions and "arrival:SEALED-1" not in transactions
    assert sealed.status_code == 302 and sealed["Location"] == reverse("admin:index")
    with time_machine.travel(section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        after = client_for(clerk).get(reverse("admin:deposits_bankline_changelist"))
    assert "SEALED-1" in after.content.decode()
    assert reverse("admin:deposits_bankline_change", args=["SEALED-1"]) in after.content.decode()
