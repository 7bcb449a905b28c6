"""Overdue clocks alert the regulator first: a sweep (Celery beat, tasks.py) marks each
open complaint's urgency and ledgers ``complaints.complaint.due_soon`` and
``complaints.complaint.overdue`` once per clock and due day (a clock whose due day moved,
after a pause, may alert again). Safe to run twice: the marks say what was ledgered."""

from __future__ import annotations

from django.db import transaction

from supervision import ledger
from supervision.complaints import clocks, transitions
from supervision.complaints.models import (
    Complaint,
    ComplaintStatus,
    StepKind,
    Urgency,
)

# The clock each running status counts against.
CLOCK_OF: dict[str, str] = {
    ComplaintStatus.FILED: "acceptance",
    ComplaintStatus.ACCEPTED: "decision",
}


def sweep_clocks() -> dict[str, int]:
    """Mark and alert every running clock; return how many alerts were ledgered by kind."""
    ledgered = {"due_soon": 0, "overdue": 0}
    running = Complaint.objects.filter(status__in=CLOCK_OF).values_list("pk", flat=True)
    for pk in list(running):
        kind = mark(pk)
        if kind:
            ledgered[kind] += 1
    # Paused or closed clocks are never urgent.
    Complaint.objects.exclude(status__in=CLOCK_OF).exclude(urgency=Urgency.NONE).update(
        urgency=Urgency.NONE
    )
    return ledgered


@transaction.atomic
def mark(pk: int) -> str:
    """One complaint: set its urgency; ledger an alert not ledgered yet for this clock."""
    complaint = (
        Complaint.objects.select_for_update().select_related("section").filter(pk=pk).first()
    )
    if complaint is None or complaint.status not in CLOCK_OF:
        return ""
    due = complaint.due
    today = clocks.today()
    urgency = clocks.urgency_of(due, today)
    if urgency != complaint.urgency:
        complaint.urgency = urgency
        complaint.save(update_fields=["urgency"])
    if urgency == Urgency.NONE or due is None:
        return ""
    kind = "overdue" if urgency == Urgency.OVERDUE else "due_soon"
    key = f"{CLOCK_OF[complaint.status]}.{kind}:{due.isoformat()}"
    if key in complaint.alerts:
        return ""
    complaint.alerts = [*complaint.alerts, key]
    complaint.save(update_fields=["alerts"])
    transitions.record(
        complaint,
        kind=StepKind.OVERDUE if kind == "overdue" else StepKind.DUE_SOON,
        actor=ledger.SYSTEM,
        data={
            "clock": CLOCK_OF[complaint.status],
            "due": due,
            "workdays_left": clocks.workdays_left(due, today),
        },
    )
    return kind
