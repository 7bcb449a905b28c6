"""Filing a complaint [R60]: in time, after the objection the law asks for first, by a
bidder or interested party; its withdrawal and the parties' statements."""

from __future__ import annotations

import datetime as dt

import pytest

from ggzy.errors import DomainError
from supervision import ledger
from supervision.complaints import filing
from supervision.complaints.models import Complaint, ComplaintStatus, Matter, StepKind
from supervision.models import LedgerEntry
from tests.supervision.complaints.conftest import (
    Go,
    Parties,
    answered_objection,
    beijing,
    file_other,
)
from trading import objections

pytestmark = pytest.mark.django_db
D = dt.date


def test_it_files_a_complaint_on_the_eve_of_national_day_due_on_the_make_up_saturday(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 30, 15))
    complaint = file_other(parties, D(2026, 9, 29))
    assert complaint.status == ComplaintStatus.FILED
    assert complaint.received_on == D(2026, 9, 30)
    assert complaint.acceptance_due == D(2026, 10, 10)
    assert complaint.number == f"TS2026{complaint.pk:06d}"
    assert list(complaint.steps.values_list("kind", flat=True)) == [StepKind.FILED]
    entry = LedgerEntry.objects.get(action="complaints.complaint.filed")
    assert entry.data["acceptance_due"] == "2026-10-10"


def test_it_accepts_a_complaint_on_the_last_day_moved_past_national_day(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 10, 8, 23, 50))  # knew Sep 24: the 10th day, Oct 4, is a holiday
    assert file_other(parties, D(2026, 9, 24)).status == ComplaintStatus.FILED


def test_it_refuses_a_complaint_one_day_after_the_holiday_extended_period(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 10, 9, 0, 5))
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 24))
    assert refused.value.code == "late"
    assert "2026-10-08" in refused.value.message
    assert Complaint.objects.count() == 0


def test_it_refuses_a_complaint_eleven_days_late(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 18, 9))
    entries = LedgerEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 7))  # the 10th day, Sep 17, was a Thursday
    assert refused.value.code == "late"
    assert refused.value.field == "knew_on"
    assert "2026-09-17" in refused.value.message and "[R60]" in refused.value.message
    assert (Complaint.objects.count(), LedgerEntry.objects.count()) == (0, entries)


def test_it_refuses_a_day_of_knowing_in_the_future(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 18, 9))
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 19))
    assert refused.value.field == "knew_on"


def test_a_tender_documents_complaint_without_an_objection_says_where_to_raise_one(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 9), matter=Matter.TENDER_DOCUMENTS)
    assert refused.value.code == "objection_first"
    message = refused.value.message
    assert f"/sections/{parties.section.code}/" in message
    assert "Object to the tender documents" in message and "[R22]" in message
    assert Complaint.objects.count() == 0


def test_a_tender_documents_complaint_waits_for_the_objections_answer(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 10))
    objections.objection_raise(section=parties.section, actor=parties.complainant, text="异议")
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 10), matter=Matter.TENDER_DOCUMENTS)
    assert refused.value.code == "objection_pending"
    go(beijing(2026, 9, 13, 11))  # the 3 days to answer have passed unanswered [R22]
    complaint = file_other(parties, D(2026, 9, 13), matter=Matter.TENDER_DOCUMENTS)
    assert complaint.document_objection is not None


def test_a_tender_documents_complaint_follows_an_answered_objection(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 10))
    answered_objection(parties)
    complaint = file_other(parties, D(2026, 9, 10), matter=Matter.TENDER_DOCUMENTS)
    assert complaint.document_objection is not None
    assert complaint.document_objection.organisation == parties.company


def test_an_opening_complaint_without_a_hall_objection_says_to_object_in_the_hall(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 10), matter=Matter.OPENING)
    assert refused.value.code == "objection_first"
    assert f"/halls/{parties.section.code}/" in refused.value.message
    assert "R44]" in refused.value.message


def test_an_evaluation_result_complaint_waits_for_a_result(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        file_other(
            parties, D(2026, 9, 10), matter=Matter.EVALUATION_RESULT, objection_reference="X-1"
        )
    assert refused.value.code == "objection_first"
    assert "[R54]" in refused.value.message


def test_only_a_companys_people_file_complaints(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        filing.complaint_file(
            section=parties.section,
            actor=parties.tenderee,
            matter=Matter.OTHER,
            knew_on=D(2026, 9, 10),
            text="x",
            requests="y",
        )
    assert refused.value.code == "forbidden"


def test_it_refuses_facts_longer_than_the_bound(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    with pytest.raises(DomainError) as refused:
        file_other(parties, D(2026, 9, 10), text="长" * 20_001)
    assert refused.value.code == "too_long"


def test_before_the_deadline_its_ledger_entries_are_sealed_with_the_bids(
    parties: Parties, go: Go
) -> None:
    """The filing entry's actor names the company: nobody reads it before the deadline."""
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    assert complaint.filed_before_deadline
    entry = LedgerEntry.objects.get(action="complaints.complaint.filed")
    assert entry.embargo == parties.section.embargo_scope
    assert not ledger.visible().filter(pk=entry.pk).exists()
    assert ledger.visible(parties.section.bid_deadline).filter(pk=entry.pk).exists()


def test_after_the_deadline_its_ledger_entries_are_public_at_once(parties: Parties, go: Go) -> None:
    go(beijing(2026, 10, 21))
    file_other(parties, D(2026, 10, 20))
    entry = LedgerEntry.objects.get(action="complaints.complaint.filed")
    assert entry.embargo in ("", None)


def test_the_complainant_withdraws_with_a_reason(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    with pytest.raises(DomainError):
        filing.complaint_withdraw(complaint=complaint, actor=parties.other_bidder, reason="x")
    with pytest.raises(DomainError) as refused:
        filing.complaint_withdraw(complaint=complaint, actor=parties.complainant, reason=" ")
    assert refused.value.field == "reason"
    withdrawn = filing.complaint_withdraw(
        complaint=complaint, actor=parties.complainant, reason="已与招标人协商解决"
    )
    assert withdrawn.status == ComplaintStatus.WITHDRAWN
    assert withdrawn.closed_at is not None
    with pytest.raises(DomainError) as again:
        filing.complaint_withdraw(complaint=complaint, actor=parties.complainant, reason="再次")
    assert again.value.code == "conflict"


def test_the_respondent_adds_a_statement_and_an_outsider_cannot(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    filing.statement_add(complaint=complaint, actor=parties.tenderee, text="品牌仅为参考")
    with pytest.raises(DomainError):
        filing.statement_add(complaint=complaint, actor=parties.other_bidder, text="我也有意见")
    step = complaint.steps.get(kind=StepKind.STATEMENT)
    assert (step.actor, step.by_complainant) == (parties.tenderee, False)
