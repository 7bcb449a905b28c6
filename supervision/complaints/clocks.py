"""The complaint clocks, on the PRC calendar (deposits/calendar.py: chinese-calendar with its
make-up working days, and the days staff entered from the State Council's notice).

How days count (Civil Code art. 201, 203; every date is a Beijing date):

- The day an event happens is not counted; a period starts the next day (art. 201).
- Filing [R60]: within 10 days of the day the complainant knew (or should have known) of
  the matter. The 10th day after ``knew_on`` is the last day; if it is a statutory holiday
  or rest day, the next working day is (art. 203). For a matter that needs an objection
  first [R60 ¶2], the days the objection waited for its answer do not count: the period
  grows by the calendar days from raising it to its answer (or to the answer's due day
  when it was not answered in time). A complaint filed up to 24:00 of the last day counts.
- Acceptance [R61]: within 3 working days of receipt — the 3rd working day after the day
  the complaint was received.
- Decision [R61]: within 30 working days of acceptance — the 30th working day after the
  day it was accepted, moved by the working days the clock was paused.
- Pause [R61: inspection, testing, appraisal and expert review do not count]: the clock
  stops when the department requests evidence and runs again when it arrives. The working
  days after the request day up to and including the day the evidence arrived are paused
  (requested and received the same day: none); the decision's due day moves by as many.
- Urgency: a running clock is overdue once its due day has passed, due soon on its due
  day and on the working day before.
"""

from __future__ import annotations

import datetime as dt

from deposits import calendar
from ggzy import clock
from ggzy_core.times import BEIJING

FILING_DAYS = 10  # [R60]
ACCEPTANCE_WORKDAYS = 3  # [R61]
DECISION_WORKDAYS = 30  # [R61]
DUE_SOON_WORKDAYS = 1  # due today or on the next working day


def today() -> dt.date:
    """Today in Beijing (the clocks count Beijing days)."""
    return clock.now().astimezone(BEIJING).date()


def beijing_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(BEIJING).date()


def filing_last_day(knew_on: dt.date, *, objection_days: int = 0) -> dt.date:
    """The last day to file a complaint about a matter known on ``knew_on`` [R60];
    ``objection_days`` the calendar days an objection waited for its answer [R60 ¶2]."""
    return calendar.period_end(knew_on, FILING_DAYS + objection_days)


def objection_days(raised_on: dt.date, answered_on: dt.date | None, due_on: dt.date) -> int:
    """The calendar days an objection waited: to its answer, or to its due day when it was
    answered late or not at all (the complainant need not wait longer than the law lets
    the tenderee take)."""
    end = min(answered_on, due_on) if answered_on is not None else due_on
    return max((end - raised_on).days, 0)


def acceptance_due(received_on: dt.date) -> dt.date:
    """The acceptance decision's last day [R61]."""
    return calendar.add_workdays(received_on, ACCEPTANCE_WORKDAYS)


def decision_due(accepted_on: dt.date, paused_workdays: int) -> dt.date:
    """The decision's last day [R61], moved by the paused working days."""
    return calendar.add_workdays(accepted_on, DECISION_WORKDAYS + paused_workdays)


def paused_workdays(paused_on: dt.date, resumed_on: dt.date) -> int:
    """The working days a pause took: after the request day, up to the day evidence came."""
    return calendar.workdays_between(paused_on, resumed_on)


def workdays_left(due: dt.date, on: dt.date) -> int:
    """Working days after ``on`` up to ``due``: 0 on the due day, negative once past it
    (minus the calendar days overdue, which is what an overdue clock shows)."""
    if on > due:
        return -(on - due).days
    return calendar.workdays_between(on, due)


def urgency_of(due: dt.date | None, on: dt.date) -> int:
    """0 on time, 1 due soon, 2 overdue (models.Urgency) for a clock due on ``due``."""
    if due is None:
        return 0
    if on > due:
        return 2
    return 1 if workdays_left(due, on) <= DUE_SOON_WORKDAYS else 0
