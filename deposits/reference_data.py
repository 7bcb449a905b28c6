"""The reference data staff maintain for deposits: the current-deposit interest rates refunds
earn [R57, R31], and the days the State Council's holiday notice makes holidays or make-up
working days (the 5-day refund periods count them [R35, R57]). Django admin saves and
deletes them only through these services: checked, locked, ledgered with before and after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Person
from deposits import alerts, calendar
from deposits.models import CalendarDay, InterestRate, Refund
from deposits.refunds import WITH_INTEREST
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.times import BEIJING
from supervision import ledger

MAX_ANNUAL_RATE = Decimal("0.1")  # 10 % a year: far above any current-deposit rate
MAX_NOTE_CHARS = 200
FIRST_YEAR = 2000
YEARS_AHEAD = 2  # the State Council publishes the next year's holidays in the autumn


def rate_set(
    *, effective_from: dt.date, annual_rate: Decimal, note: str = "", actor: Person
) -> InterestRate:
    """Enter (or correct) the rate in force from ``effective_from`` on, as a fraction
    (0.0035 for 0.35 % a year)."""
    if not Decimal(0) <= annual_rate <= MAX_ANNUAL_RATE:
        raise DomainError(
            "年利率应在0到0.1之间，按小数填写（0.35%填0.0035）/ The annual rate is a fraction "
            "between 0 and 0.1: enter 0.35 % as 0.0035",
            code="invalid",
            field="annual_rate",
        )
    note = _note(note)
    with transaction.atomic():
        _refuse_if_used(effective_from)
        rate = (
            InterestRate.objects.select_for_update().filter(effective_from=effective_from).first()
        )
        before = None if rate is None else {"annual_rate": rate.annual_rate, "note": rate.note}
        if rate is None:
            rate = InterestRate(effective_from=effective_from)
        rate.annual_rate, rate.note = annual_rate, note
        rate.save()
        ledger.append(
            "deposits.interest_rate.set",
            actor=actor,
            target=rate,
            data={
                "effective_from": effective_from,
                "before": before,
                "after": {"annual_rate": annual_rate, "note": note},
            },
        )
    return rate


def rate_delete(*, rate: InterestRate, actor: Person) -> None:
    with transaction.atomic():
        locked = InterestRate.objects.select_for_update().get(pk=rate.pk)
        _refuse_if_used(locked.effective_from)
        ledger.append(
            "deposits.interest_rate.deleted",
            actor=actor,
            target=locked,
            data={
                "effective_from": locked.effective_from,
                "before": {"annual_rate": locked.annual_rate, "note": locked.note},
            },
        )
        locked.delete()


def calendar_day_set(
    *, date: dt.date, is_workday: bool, note: str = "", actor: Person
) -> CalendarDay:
    """Enter a holiday or a make-up working day from the State Council's notice (for a year
    chinese-calendar does not know yet, or to correct it). Refunds already decided keep
    their due dates: they were fixed when decided."""
    _in_range(date)
    note = _note(note)
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        before = None if day is None else {"is_workday": day.is_workday, "note": day.note}
        if day is None:
            day = CalendarDay(date=date)
        day.is_workday, day.note = is_workday, note
        day.save()
        ledger.append(
            "deposits.calendar_day.set",
            actor=actor,
            target=day,
            data={
                "date": date,
                "before": before,
                "after": {"is_workday": is_workday, "note": note},
            },
        )
        # Entering next year's notice answers the alert that asked for it.
        alerts.resolve(key=f"calendar_unknown:{date.year}")
    return day


def calendar_day_delete(*, day: CalendarDay, actor: Person) -> None:
    with transaction.atomic():
        locked = CalendarDay.objects.select_for_update().get(pk=day.pk)
        ledger.append(
            "deposits.calendar_day.deleted",
            actor=actor,
            target=locked,
            data={
                "date": locked.date,
                "before": {"is_workday": locked.is_workday, "note": locked.note},
                "package_knows_the_year": calendar.package_knows(locked.date.year),
            },
        )
        locked.delete()


def _refuse_if_used(effective_from: dt.date) -> None:
    """A rate that refunds already decided with interest have used is history: changing it
    would make their interest disagree with the table. A refund decided on a day earns
    nothing for that day, so a rate from today on touches only refunds decided later."""
    after = effective_from + dt.timedelta(days=1)
    since = dt.datetime.combine(after, dt.time.min, tzinfo=BEIJING)
    used = Refund.objects.filter(reason__in=WITH_INTEREST, decided_at__gte=since).count()
    if used:
        raise DomainError(
            f"自 {effective_from} 起已有 {used} 笔带息退款按现行利率表计息，不能改动该日期及以前的"
            f"利率；请从今天起录入新利率 / {used} refund(s) with interest decided since "
            f"{effective_from} used the rate table as it is: enter a new rate effective from "
            f"today instead",
            code="conflict",
            field="effective_from",
        )


def _in_range(date: dt.date) -> None:
    last = clock.now().astimezone(BEIJING).year + YEARS_AHEAD
    if not FIRST_YEAR <= date.year <= last:
        raise DomainError(
            f"日期应在{FIRST_YEAR}年至{last}年之间 / The date must fall between {FIRST_YEAR} "
            f"and {last}: holiday notices are published for the coming year only",
            code="invalid",
            field="date",
        )


def _note(note: Any) -> str:
    text = str(note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise DomainError(
            f"备注不超过{MAX_NOTE_CHARS}字 / The note is at most {MAX_NOTE_CHARS} characters",
            code="too_long",
            field="note",
        )
    return text
