"""PRC working days, for when refunds fall due.

A period of N days ends N days after the day it starts; if that day is a statutory holiday or
a rest day, it ends on the next working day (Civil Code art. 203, applied to the 5-day refund
periods [R35, R57]). Holidays and make-up working days come from the ``chinese-calendar``
package; for a year it does not know yet, ``CalendarDay`` rows entered from the State
Council's notice decide, and without them Monday to Friday are assumed and an alert asks
staff to enter the notice.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

from deposits.models import CalendarDay


@lru_cache(maxsize=64)
def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def known(year: int) -> bool:
    """Whether working days in ``year`` are known (the package, or entered days)."""
    return package_knows(year) or CalendarDay.objects.filter(date__year=year).exists()


def is_workday(day: dt.date) -> bool:
    entered = CalendarDay.objects.filter(date=day).values_list("is_workday", flat=True).first()
    if entered is not None:
        return bool(entered)
    if package_knows(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def period_end(start: dt.date, days: int) -> dt.date:
    """The last day of a period of ``days`` days starting the day after ``start``."""
    end = start + dt.timedelta(days=days)
    for _ in range(40):  # the longest run of rest days (Spring Festival) is under two weeks
        if is_workday(end):
            return end
        end += dt.timedelta(days=1)
    raise ValueError(f"no working day within 40 days after {end}: check the calendar days")


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_workday(day)
    return count


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted, Civil Code
    art. 201; ``start`` when ``days`` is 0). The complaint clocks count in working days
    [R61]: 3 working days to decide on acceptance, 30 to decide the complaint. One query
    reads the entered days of the span; the package or the weekday rule decides the rest."""
    if days < 0:
        raise ValueError("days must not be negative")
    # Working days are at least 5 in 7 and the longest run of rest days is under two weeks.
    span_end = start + dt.timedelta(days=days * 2 + 40)
    entered = dict(
        CalendarDay.objects.filter(date__gt=start, date__lte=span_end).values_list(
            "date", "is_workday"
        )
    )
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day > span_end:
            raise ValueError(f"no {days} working days within {span_end}: check the calendar days")
        workday = entered.get(day)
        if workday is None:
            workday = (
                bool(chinese_calendar.is_workday(day))
                if package_knows(day.year)
                else day.weekday() < 5
            )
        counted += bool(workday)
    return day
