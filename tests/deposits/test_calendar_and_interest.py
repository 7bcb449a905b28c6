"""Refunds fall due on PRC working days and earn the current-deposit rate day by day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deposits import calendar, interest
from deposits.models import CalendarDay, InterestRate

pytestmark = pytest.mark.django_db


def test_a_five_day_period_ending_in_the_national_day_holiday_moves_to_its_end() -> None:
    # 2025: 1–8 October are holidays; 28 September and 11 October are make-up working days.
    assert calendar.period_end(dt.date(2025, 9, 29), 5) == dt.date(2025, 10, 9)


def test_a_make_up_saturday_is_a_working_day() -> None:
    assert calendar.is_workday(dt.date(2025, 10, 11))
    assert calendar.period_end(dt.date(2025, 10, 6), 5) == dt.date(2025, 10, 11)


def test_a_period_ending_on_a_working_day_stays_and_one_ending_on_a_weekend_moves() -> None:
    assert calendar.period_end(dt.date(2026, 3, 4), 5) == dt.date(2026, 3, 9)  # a Monday
    assert calendar.period_end(dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 9)  # not Saturday


def test_an_unknown_year_counts_monday_to_friday_until_its_days_are_entered() -> None:
    assert not calendar.package_knows(2099)
    assert calendar.is_workday(dt.date(2099, 1, 1))  # a Thursday, unknown: assumed working
    CalendarDay.objects.create(date=dt.date(2099, 1, 1), is_workday=False, note="元旦")
    assert not calendar.is_workday(dt.date(2099, 1, 1))
    assert calendar.known(2099)


def test_interest_is_the_days_held_at_the_rate_in_force_each_day() -> None:
    InterestRate.objects.create(effective_from=dt.date(2020, 1, 1), annual_rate=Decimal("0.0035"))
    InterestRate.objects.create(effective_from=dt.date(2026, 1, 1), annual_rate=Decimal("0.0010"))
    held = [(Decimal("800000.00"), dt.date(2025, 12, 22))]

    earned = interest.interest(held, until=dt.date(2026, 1, 11))

    # 10 days at 0.35 % and 10 days at 0.10 %, each per 360 days.
    expected = Decimal("800000") * (Decimal("0.0035") * 10 + Decimal("0.0010") * 10) / 360
    assert earned == expected.quantize(Decimal("0.01"))
    assert earned == Decimal("100.00")


def test_money_repaid_the_day_it_arrived_earns_nothing() -> None:
    InterestRate.objects.create(effective_from=dt.date(2020, 1, 1), annual_rate=Decimal("0.0035"))
    assert (
        interest.interest([(Decimal("1000.00"), dt.date(2026, 5, 6))], until=dt.date(2026, 5, 6))
        == 0
    )
