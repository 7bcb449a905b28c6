"""Interest on refunded deposits at the current-deposit (活期) rate for the days held [R57,
R31]: simple interest, day rate = annual rate / 360 (the PBoC convention), each day at the
rate in force that day, rounded half-up to the fen once at the end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from deposits.models import InterestRate

CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(360)


def rate_days(start: dt.date, end: dt.date) -> Decimal:
    """Sum over each day in [start, end) of the annual rate in force that day."""
    if end <= start:
        return Decimal(0)
    rates = list(InterestRate.objects.filter(effective_from__lt=end).order_by("effective_from"))
    total = Decimal(0)
    for index, rate in enumerate(rates):
        until = rates[index + 1].effective_from if index + 1 < len(rates) else end
        first, last = max(start, rate.effective_from), min(end, until)
        if last > first:
            total += rate.annual_rate * (last - first).days
    return total


def interest(holdings: Iterable[tuple[Decimal, dt.date]], *, until: dt.date) -> Decimal:
    """Interest on each (amount, value date) held until ``until`` (the day it is repaid
    earns nothing)."""
    raw = sum((amount * rate_days(since, until) for amount, since in holdings), start=Decimal(0))
    return (raw / DAYS_PER_YEAR).quantize(CENT, rounding=ROUND_HALF_UP)
