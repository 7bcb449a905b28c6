"""Overdue clocks alert the regulator first: the sweep marks and ledgers each alert once per
clock, and the department's list puts overdue, then due-soon complaints first."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision.complaints import handling, selectors, sweep, tasks
from supervision.complaints.models import StepKind, Urgency
from supervision.models import LedgerEntry
from tests.supervision.complaints.conftest import Go, Parties, beijing, file_other

pytestmark = pytest.mark.django_db
D = dt.date


def alerts(kind: str) -> int:
    return LedgerEntry.objects.filter(action=f"complaints.complaint.{kind}").count()


def test_an_acceptance_clock_due_on_the_make_up_saturday_alerts_once_each_way(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 30))  # acceptance due Sat Oct 10
    go(beijing(2026, 10, 5, 10))  # National Day: Oct 8, 9, 10 still ahead
    assert tasks.sweep_clocks() == {"due_soon": 0, "overdue": 0}
    go(beijing(2026, 10, 9, 10))
    assert tasks.sweep_clocks() == {"due_soon": 1, "overdue": 0}
    assert sweep.sweep_clocks() == {"due_soon": 0, "overdue": 0}  # once per clock
    complaint.refresh_from_db()
    assert complaint.urgency == Urgency.DUE_SOON
    go(beijing(2026, 10, 11, 10))  # Sunday: the Saturday was the last day
    assert sweep.sweep_clocks() == {"due_soon": 0, "overdue": 1}
    sweep.sweep_clocks()
    complaint.refresh_from_db()
    assert (complaint.urgency, alerts("due_soon"), alerts("overdue")) == (Urgency.OVERDUE, 1, 1)
    assert complaint.steps.filter(kind=StepKind.OVERDUE).count() == 1
    entry = LedgerEntry.objects.get(action="complaints.complaint.overdue")
    assert entry.data["clock"] == "acceptance" and entry.data["due"] == "2026-10-10"


def test_accepting_starts_a_new_clock_and_clears_the_mark(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 30))
    go(beijing(2026, 10, 12, 10))
    sweep.sweep_clocks()
    complaint = handling.complaint_accept(complaint=complaint, actor=parties.regulator)
    assert complaint.urgency == Urgency.NONE
    sweep.sweep_clocks()
    assert alerts("overdue") == 1


def test_a_paused_clock_is_never_urgent(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = handling.complaint_accept(
        complaint=file_other(parties, D(2026, 9, 10)), actor=parties.regulator
    )
    handling.evidence_request(complaint=complaint, actor=parties.regulator, note="鉴定")
    go(beijing(2027, 1, 10))
    assert sweep.sweep_clocks() == {"due_soon": 0, "overdue": 0}
    complaint.refresh_from_db()
    assert complaint.urgency == Urgency.NONE


def test_the_departments_list_puts_overdue_then_due_soon_first(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 28, 10))
    overdue = file_other(parties, D(2026, 9, 28), text="逾期")  # due Sep 30
    go(beijing(2026, 10, 8, 10))
    calm = file_other(parties, D(2026, 10, 8), text="从容")  # due Oct 13
    go(beijing(2026, 10, 9, 10))
    soon = file_other(parties, D(2026, 10, 9), text="将到期")  # due Oct 13… see below
    go(beijing(2026, 10, 12, 10))  # Oct 13 is next working day: calm and soon are due soon
    handling.complaint_accept(complaint=calm, actor=parties.regulator)  # decision due Nov
    sweep.sweep_clocks()
    order = list(selectors.open_for(parties.regulator).values_list("pk", flat=True))
    assert order == [overdue.pk, soon.pk, calm.pk]
    queue = list(selectors.queue(parties.regulator).values_list("pk", flat=True))
    assert queue[:2] == [overdue.pk, soon.pk]
    counts = selectors.counts_for(parties.regulator)
    assert (counts.open, counts.due_soon, counts.overdue) == (3, 1, 1)
    assert selectors.counts_for(parties.other_regulator).open == 0
