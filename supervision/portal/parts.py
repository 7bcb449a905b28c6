"""What the portal reads from the alerts and complaints parts, in one place (each through
its own access helper)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from supervision.alerts import selectors as alert_selectors
from supervision.complaints import selectors as complaint_selectors
from supervision.portal import charts


@dataclass(frozen=True)
class Waiting:
    open_alerts: int = 0
    open_complaints: int = 0
    due_soon_complaints: int = 0
    overdue_complaints: int = 0


def waiting(user: Any) -> Waiting:
    complaints = complaint_selectors.counts_for(user)
    return Waiting(
        open_alerts=alert_selectors.count_open_for(user),
        open_complaints=complaints.open,
        due_soon_complaints=complaints.due_soon,
        overdue_complaints=complaints.overdue,
    )


def alerts_per_month(user: Any) -> charts.Chart:
    counts = {f"{row['month']:%Y-%m}": row["count"] for row in alert_selectors.per_month(user)}
    return charts.monthly(_("Alerts per month"), counts, ident="alerts")
