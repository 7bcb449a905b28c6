"""The complaint clocks on the PRC calendar, across the 2026 Mid-Autumn and National Day
holidays (Sep 25–27 and Oct 1–7 rest days, Saturday Oct 10 a make-up working day) [R60,
R61]; the day of an event is not counted (Civil Code art. 201), a period ending on a
holiday ends on the next working day (art. 203)."""

from __future__ import annotations

import datetime as dt

import pytest

from deposits import calendar
from deposits.models import CalendarDay
from supervision.complaints import clocks

pytestmark = pytest.mark.django_db
D = dt.date


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday() -> None:
    assert calendar.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_three_working_days_from_before_mid_autumn_skip_its_three_rest_days() -> None:
    assert clocks.acceptance_due(D(2026, 9, 24)) == D(2026, 9, 30)


def test_no_working_day_is_added_for_zero_days() -> None:
    assert calendar.add_workdays(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_thirty_working_days_from_the_eve_of_national_day_end_on_november_17() -> None:
    # Oct 8, 9, 10 (make-up) are the first three; the seven holidays do not count.
    assert clocks.decision_due(D(2026, 9, 30), 0) == D(2026, 11, 17)


def test_a_pause_moves_the_decision_by_the_paused_working_days() -> None:
    paused = clocks.paused_workdays(D(2026, 9, 29), D(2026, 10, 9))
    assert paused == 3  # Sep 30, Oct 8, Oct 9: the holiday week is not a working day
    assert clocks.decision_due(D(2026, 9, 28), paused) == D(2026, 11, 18)
    assert clocks.decision_due(D(2026, 9, 28), 0) == D(2026, 11, 13)


def test_evidence_requested_and_received_the_same_day_pauses_nothing() -> None:
    assert clocks.paused_workdays(D(2026, 10, 12), D(2026, 10, 12)) == 0


def test_ten_days_ending_in_the_holiday_run_to_the_next_working_day() -> None:
    # Knew on Sep 24: the 10th day is Sunday Oct 4, inside National Day: Oct 8 [art. 203].
    assert clocks.filing_last_day(D(2026, 9, 24)) == D(2026, 10, 8)


def test_ten_days_ending_on_the_make_up_saturday_end_there() -> None:
    assert clocks.filing_last_day(D(2026, 9, 30)) == D(2026, 10, 10)


def test_the_days_an_objection_waited_lengthen_the_filing_period() -> None:
    waited = clocks.objection_days(D(2026, 9, 10), D(2026, 9, 12), D(2026, 9, 13))
    assert waited == 2
    assert clocks.filing_last_day(D(2026, 9, 10), objection_days=waited) == D(2026, 9, 22)


def test_an_objection_answered_late_counts_only_to_its_due_day() -> None:
    assert clocks.objection_days(D(2026, 9, 10), D(2026, 9, 20), D(2026, 9, 13)) == 3
    assert clocks.objection_days(D(2026, 9, 10), None, D(2026, 9, 13)) == 3


def test_a_day_entered_from_the_state_councils_notice_overrides_the_package() -> None:
    CalendarDay.objects.create(date=D(2026, 10, 9), is_workday=False, note="test")
    assert calendar.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 12)


def test_a_clock_is_due_soon_on_the_working_day_before_its_due_day() -> None:
    due = D(2026, 10, 10)
    assert clocks.urgency_of(due, D(2026, 9, 30)) == 0  # Oct 8, 9, 10 left
    assert clocks.urgency_of(due, D(2026, 10, 9)) == 1
    assert clocks.urgency_of(due, D(2026, 10, 10)) == 1
    assert clocks.urgency_of(due, D(2026, 10, 11)) == 2


def test_over_a_holiday_week_a_clock_due_after_it_is_due_soon_on_its_eve() -> None:
    # Due Oct 8: on Sep 30 one working day (Oct 8) is left.
    assert clocks.workdays_left(D(2026, 10, 8), D(2026, 9, 30)) == 1
    assert clocks.urgency_of(D(2026, 10, 8), D(2026, 9, 30)) == 1


def test_an_overdue_clock_shows_the_calendar_days_past() -> None:
    assert clocks.workdays_left(D(2026, 10, 8), D(2026, 10, 11)) == -3
