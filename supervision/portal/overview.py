"""What a regulator sees first: every section of theirs by state, the halls running now,
today's deadlines, refunds due; the complaints and alerts waiting are counted by their own
parts' selectors. Public facts and counts only: nothing about bids before a deadline
[E21, E27] (refunds count only for sections past theirs: a refund before it would tell that
someone had bid and withdrawn)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, QuerySet

from deposits.models import Refund, RefundStatus
from ggzy import clock
from ggzy_core.times import BEIJING
from realtime.models import Hall, HallStage
from trading.models import Section, SectionStatus
from trading.transitions import BEFORE_DEADLINE

RUNNING = frozenset(set(HallStage.values) - {HallStage.CLOSED, HallStage.FAILED})


@dataclass(frozen=True)
class Overview:
    by_status: list[tuple[Any, int]]
    halls_running: list[Hall]
    deadlines_today: list[Section]
    refunds_due: int
    refunds_overdue: int
    next_refund_due: dt.date | None


def overview(sections: QuerySet[Section]) -> Overview:
    now = clock.now()
    counts = dict(sections.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    by_status = [
        (status.label, counts[status.value]) for status in SectionStatus if status.value in counts
    ]
    halls = list(
        Hall.objects.filter(section__in=sections, stage__in=RUNNING)
        .select_related("section", "section__project")
        .order_by("section__bid_deadline")
    )
    today = now.astimezone(BEIJING).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=BEIJING)
    deadlines = list(
        sections.filter(
            bid_deadline__gte=start,
            bid_deadline__lt=start + dt.timedelta(days=1),
            status__in=[*BEFORE_DEADLINE, SectionStatus.OPENING],
        ).order_by("bid_deadline")
    )
    refunds = Refund.objects.filter(
        section__in=sections.filter(bid_deadline__lte=now),
        status__in=(RefundStatus.DUE, RefundStatus.SENDING),
    )
    summary = refunds.aggregate(n=Count("pk"), first=Min("due_by"))
    return Overview(
        by_status=by_status,
        halls_running=halls,
        deadlines_today=deadlines,
        refunds_due=summary["n"] or 0,
        refunds_overdue=refunds.filter(due_by__lt=today).count(),
        next_refund_due=summary["first"],
    )
