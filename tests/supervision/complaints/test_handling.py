"""The supervising department handles a complaint on its clocks [R61], across the 2026
Mid-Autumn and National Day holidays, the evidence it requests pausing the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from ggzy.errors import DomainError
from supervision.complaints import handling
from supervision.complaints.models import ComplaintStatus, Outcome, StepKind
from supervision.models import LedgerEntry
from tests.supervision.complaints.conftest import Go, Parties, beijing, file_other

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_complaint_clocks_across_a_national_day_holiday(parties: Parties, go: Go) -> None:
    """Filed Thu Sep 24: acceptance due Wed Sep 30 (Mid-Autumn's three rest days skipped);
    accepted Mon Sep 28: decision due Nov 13; evidence asked Tue Sep 29 and received Fri
    Oct 9: three working days paused (Sep 30, Oct 8, Oct 9 — the holiday week is not one),
    so the decision is due Nov 18."""
    go(beijing(2026, 9, 24, 16))
    complaint = file_other(parties, D(2026, 9, 23))
    assert complaint.acceptance_due == D(2026, 9, 30)

    go(beijing(2026, 9, 28, 10))
    complaint = handling.complaint_accept(complaint=complaint, actor=parties.regulator)
    assert (complaint.accepted_on, complaint.decision_due) == (D(2026, 9, 28), D(2026, 11, 13))

    go(beijing(2026, 9, 29, 10))
    complaint = handling.evidence_request(
        complaint=complaint, actor=parties.regulator, note="委托检测机构检测钢筋"
    )
    assert complaint.status == ComplaintStatus.EVIDENCE
    assert complaint.due is None  # paused: no running clock

    go(beijing(2026, 10, 9, 17))
    complaint = handling.evidence_receive(complaint=complaint, actor=parties.regulator)
    assert complaint.paused_workdays == 3
    assert complaint.decision_due == D(2026, 11, 18)
    entry = LedgerEntry.objects.get(action="complaints.complaint.evidence_received")
    assert entry.data["paused_workdays"] == 3 and entry.data["decision_due"] == "2026-11-18"

    go(beijing(2026, 11, 18, 16))
    complaint = handling.complaint_decide(
        complaint=complaint,
        actor=parties.regulator,
        outcome=Outcome.UPHELD,
        text="投诉成立，责令招标人修改招标文件",
    )
    assert (complaint.status, complaint.outcome) == (ComplaintStatus.DECIDED, Outcome.UPHELD)
    assert LedgerEntry.objects.get(action="complaints.complaint.decided").data["late"] is False
    assert list(complaint.steps.values_list("kind", flat=True)) == [
        StepKind.FILED,
        StepKind.ACCEPTED,
        StepKind.EVIDENCE_REQUESTED,
        StepKind.EVIDENCE_RECEIVED,
        StepKind.DECIDED,
    ]


def test_a_second_pause_adds_to_the_first(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 28, 9))
    complaint = handling.complaint_accept(
        complaint=file_other(parties, D(2026, 9, 28)), actor=parties.regulator
    )
    for asked, received in ((D(2026, 9, 29), D(2026, 10, 9)), (D(2026, 10, 12), D(2026, 10, 13))):
        go(beijing(asked.year, asked.month, asked.day))
        complaint = handling.evidence_request(
            complaint=complaint, actor=parties.regulator, note="专家评审"
        )
        go(beijing(received.year, received.month, received.day))
        complaint = handling.evidence_receive(complaint=complaint, actor=parties.regulator)
    assert complaint.paused_workdays == 4
    assert complaint.decision_due == D(2026, 11, 19)


def test_a_late_acceptance_is_recorded_as_late(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 30))  # due Sat Oct 10 (make-up day)
    go(beijing(2026, 10, 12, 10))
    handling.complaint_accept(complaint=complaint, actor=parties.regulator)
    assert LedgerEntry.objects.get(action="complaints.complaint.accepted").data["late"] is True


def test_not_accepting_needs_the_reason(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        handling.complaint_refuse(complaint=complaint, actor=parties.regulator, reason="")
    assert refused.value.field == "reason"
    refused_complaint = handling.complaint_refuse(
        complaint=complaint, actor=parties.regulator, reason="投诉人不是利害关系人 [R61]"
    )
    assert refused_complaint.status == ComplaintStatus.NOT_ACCEPTED
    assert refused_complaint.refusal_reason.startswith("投诉人")


def test_it_refuses_a_decision_while_evidence_is_awaited(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = handling.complaint_accept(
        complaint=file_other(parties, D(2026, 9, 10)), actor=parties.regulator
    )
    handling.evidence_request(complaint=complaint, actor=parties.regulator, note="检验")
    with pytest.raises(DomainError) as refused:
        handling.complaint_decide(
            complaint=complaint, actor=parties.regulator, outcome=Outcome.DISMISSED, text="驳回"
        )
    assert refused.value.code == "conflict"
    assert "record the evidence as received first" in refused.value.message


def test_it_refuses_to_decide_a_complaint_not_yet_accepted(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        handling.complaint_decide(
            complaint=complaint, actor=parties.regulator, outcome=Outcome.DISMISSED, text="驳回"
        )
    assert "decide on acceptance first" in refused.value.message


def test_only_the_projects_department_handles_it(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    for person in (parties.other_regulator, parties.tenderee, parties.clerk):
        with pytest.raises(DomainError) as refused:
            handling.complaint_accept(complaint=complaint, actor=person)
        assert refused.value.code == "forbidden"
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FILED


def test_a_decision_needs_an_outcome_and_a_text(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = handling.complaint_accept(
        complaint=file_other(parties, D(2026, 9, 10)), actor=parties.regulator
    )
    with pytest.raises(DomainError) as no_outcome:
        handling.complaint_decide(
            complaint=complaint, actor=parties.regulator, outcome="", text="驳回"
        )
    assert no_outcome.value.field == "outcome"
    with pytest.raises(DomainError) as no_text:
        handling.complaint_decide(
            complaint=complaint, actor=parties.regulator, outcome=Outcome.DISMISSED, text=""
        )
    assert no_text.value.field == "text"
