"""What the regulator's portal reads about alerts (always through the access helper)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from ggzy import clock
from supervision.alerts import access
from supervision.alerts.models import Alert, AlertStatus

OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.INVESTIGATING)


def open_for(user: Any) -> QuerySet[Alert]:
    """The alerts this person may read that are not closed: open first, newest first."""
    return (
        access.alerts_for(user)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-status", "-raised_at", "-pk")  # descending: "open", then "investigating"
    )


def count_open_for(user: Any) -> int:
    return open_for(user).count()


def per_month(user: Any, *, months: int = 12) -> list[dict[str, Any]]:
    """Alerts raised per month (Beijing time) over the last ``months``, oldest first, each
    ``{"month": date, "count": n, "open": n}``; months without an alert count 0."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = clock.now().astimezone(zone).date().replace(day=1)
    firsts = [today]
    for _ in range(max(months, 1) - 1):
        firsts.append((firsts[-1] - dt.timedelta(days=1)).replace(day=1))
    firsts.reverse()
    start = dt.datetime.combine(firsts[0], dt.time.min, tzinfo=zone)
    rows = (
        access.alerts_for(user)
        .filter(raised_at__gte=start)
        .annotate(month=TruncMonth("raised_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("pk", distinct=True))
    )
    open_rows = (
        access.alerts_for(user)
        .filter(raised_at__gte=start, status__in=OPEN_STATUSES)
        .annotate(month=TruncMonth("raised_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("pk", distinct=True))
    )
    counts = {_date(row["month"]): row["count"] for row in rows}
    opened = {_date(row["month"]): row["count"] for row in open_rows}
    return [
        {"month": first, "count": counts.get(first, 0), "open": opened.get(first, 0)}
        for first in firsts
    ]


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
