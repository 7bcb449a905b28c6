"""What other parts read about complaints (the portal's overview and workbench, the demo).
Everything goes through access.complaints_for: one sees only the complaints one may."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, When

from supervision.complaints import access
from supervision.complaints.models import OPEN, Complaint, ComplaintStatus, Urgency

# The running clock's due day (None when paused or closed), for ordering.
_DUE_DAY = Case(
    When(status=ComplaintStatus.FILED, then=F("acceptance_due")),
    When(status=ComplaintStatus.ACCEPTED, then=F("decision_due")),
    default=None,
)


def queue(user: Any) -> QuerySet[Complaint]:
    """Every complaint ``user`` may see, the regulator's order: open before closed, overdue
    first, then due soon, then by the running clock's due day; closed ones newest first."""
    return (
        access.complaints_for(user)
        .annotate(due_day=_DUE_DAY)
        .order_by(
            F("closed_at").desc(nulls_first=True),
            "-urgency",
            F("due_day").asc(nulls_last=True),
            "-filed_at",
        )
    )


def open_for(user: Any) -> QuerySet[Complaint]:
    """The open complaints ``user`` may see (filed, accepted, waiting for evidence), overdue
    first."""
    return (
        access.complaints_for(user)
        .filter(status__in=OPEN)
        .annotate(due_day=_DUE_DAY)
        .order_by("-urgency", F("due_day").asc(nulls_last=True), "filed_at")
    )


@dataclass(frozen=True)
class Counts:
    open: int
    due_soon: int
    overdue: int


def counts_for(user: Any) -> Counts:
    """For the regulator's workbench badge: open complaints, and how many of their clocks
    are due soon or overdue (as the last sweep marked them)."""
    row = (
        access.complaints_for(user)
        .filter(status__in=OPEN)
        .aggregate(
            open=Count("pk"),
            due_soon=Count("pk", filter=Q(urgency=Urgency.DUE_SOON)),
            overdue=Count("pk", filter=Q(urgency=Urgency.OVERDUE)),
        )
    )
    return Counts(open=row["open"], due_soon=row["due_soon"], overdue=row["overdue"])
