"""The supervising department's side: accept or not [R61], request evidence (the clock
pauses) and record its arrival, decide, and suspend or resume the section [R62] through
trading's own services (the trading floor never imports this one)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.complaints import access, clocks, transitions
from supervision.complaints.models import (
    NOTE_MAX_CHARS,
    Complaint,
    ComplaintStatus,
    Outcome,
    StepKind,
)
from trading import services as trading_services
from trading.rules import check_length


def _locked(complaint: Complaint, actor: Person) -> Complaint:
    locked = (
        Complaint.objects.select_for_update()
        .select_related("section__project")
        .get(pk=complaint.pk)
    )
    if not access.handles(actor, locked):
        raise DomainError(
            "只有本项目的行政监督部门可以处理投诉 [R61] / Only the project's supervising "
            "department handles complaints [R61]",
            code="forbidden",
        )
    return locked


def _note(text: str, *, field: str, what_zh: str, what_en: str, required: bool) -> None:
    check_length(
        text,
        limit=NOTE_MAX_CHARS,
        field=field,
        what_zh=what_zh,
        what_en=what_en,
        required=required,
    )


@transaction.atomic
def complaint_accept(*, complaint: Complaint, actor: Person, note: str = "") -> Complaint:
    """Accepted [R61]: the 30-working-day decision clock starts the next day."""
    _note(note, field="note", what_zh="说明", what_en="note", required=False)
    locked = _locked(complaint, actor)
    today = clocks.today()
    late = today > locked.acceptance_due
    locked.accepted_on = today
    locked.decision_due = clocks.decision_due(today, locked.paused_workdays)
    transitions.move(
        locked,
        ComplaintStatus.ACCEPTED,
        kind=StepKind.ACCEPTED,
        actor=actor,
        note=note,
        data={"decision_due": locked.decision_due, "late": late},
        fields=("accepted_on", "decision_due"),
    )
    return locked


@transaction.atomic
def complaint_refuse(*, complaint: Complaint, actor: Person, reason: str) -> Complaint:
    """Not accepted, with the reason (late, no objection first, not an interested party,
    no facts …) [R61]."""
    _note(reason, field="reason", what_zh="不予受理的理由", what_en="reason", required=True)
    locked = _locked(complaint, actor)
    locked.refusal_reason = reason
    transitions.move(
        locked,
        ComplaintStatus.NOT_ACCEPTED,
        kind=StepKind.NOT_ACCEPTED,
        actor=actor,
        note=reason,
        data={"late": clocks.today() > locked.acceptance_due},
        fields=("refusal_reason",),
    )
    return locked


@transaction.atomic
def evidence_request(*, complaint: Complaint, actor: Person, note: str) -> Complaint:
    """Inspection, testing, appraisal or expert review is needed: the time it takes does
    not count [R61], so the decision clock pauses from the next day."""
    _note(
        note,
        field="note",
        what_zh="所需证据（检验、检测、鉴定、专家评审）",
        what_en="evidence needed (inspection, testing, appraisal, expert review)",
        required=True,
    )
    locked = _locked(complaint, actor)
    locked.paused_on = clocks.today()
    transitions.move(
        locked,
        ComplaintStatus.EVIDENCE,
        kind=StepKind.EVIDENCE_REQUESTED,
        actor=actor,
        note=note,
        data={"paused_on": locked.paused_on},
        fields=("paused_on",),
    )
    return locked


@transaction.atomic
def evidence_receive(*, complaint: Complaint, actor: Person, note: str = "") -> Complaint:
    """The evidence arrived: the clock runs again and the decision's due day moves by the
    working days it was paused [R61]."""
    _note(note, field="note", what_zh="说明", what_en="note", required=False)
    locked = _locked(complaint, actor)
    if locked.status != ComplaintStatus.EVIDENCE or locked.paused_on is None:
        raise DomainError(
            f"投诉{locked.number}未在调取证据，计时未暂停 / Complaint {locked.number} is not "
            "waiting for evidence: its clock is not paused",
            code="conflict",
        )
    paused = clocks.paused_workdays(locked.paused_on, clocks.today())
    locked.paused_workdays += paused
    locked.paused_on = None
    assert locked.accepted_on is not None  # nosec B101 # evidence is asked for once accepted
    locked.decision_due = clocks.decision_due(locked.accepted_on, locked.paused_workdays)
    transitions.move(
        locked,
        ComplaintStatus.ACCEPTED,
        kind=StepKind.EVIDENCE_RECEIVED,
        actor=actor,
        note=note,
        data={"paused_workdays": paused, "decision_due": locked.decision_due},
        fields=("paused_workdays", "paused_on", "decision_due"),
    )
    return locked


@transaction.atomic
def complaint_decide(*, complaint: Complaint, actor: Person, outcome: str, text: str) -> Complaint:
    """The written decision [R61]: upheld or dismissed, with its text. A section this
    complaint suspended is resumed in the same transaction."""
    if outcome not in Outcome.values:
        raise DomainError(
            "请选择处理结果：投诉成立或驳回 / Choose the outcome: upheld or dismissed",
            code="invalid",
            field="outcome",
        )
    _note(text, field="text", what_zh="处理决定", what_en="decision", required=True)
    locked = _locked(complaint, actor)
    late = locked.decision_due is not None and clocks.today() > locked.decision_due
    locked.outcome = outcome
    locked.decision_text = text
    transitions.move(
        locked,
        ComplaintStatus.DECIDED,
        kind=StepKind.DECIDED,
        actor=actor,
        note=text,
        data={"outcome": outcome, "late": late},
        fields=("outcome", "decision_text"),
    )
    if locked.suspended_section and locked.section.suspended_at is not None:
        _resume(locked, actor, note=f"投诉{locked.number}已作出处理决定 / complaint decided")
    return locked


def _suspension_reason(complaint: Complaint) -> str:
    return (
        f"投诉{complaint.number}处理期间暂停，请等待处理决定 / suspended pending complaint "
        f"{complaint.number}: wait for its decision"
    )


@transaction.atomic
def section_suspend(*, complaint: Complaint, actor: Person) -> Complaint:
    """Suspend the complaint's section while the complaint is open [R62]."""
    locked = _locked(complaint, actor)
    transitions.require_open(locked)
    trading_services.section_suspend(
        section=locked.section, actor=actor, reason=_suspension_reason(locked)
    )
    locked.suspended_section = True
    locked.save(update_fields=["suspended_section"])
    locked.section.refresh_from_db()
    transitions.record(locked, kind=StepKind.SECTION_SUSPENDED, actor=actor)
    return locked


@transaction.atomic
def section_resume(*, complaint: Complaint, actor: Person, note: str = "") -> Complaint:
    """Resume the section this complaint suspended (also once the complaint was withdrawn
    or not accepted)."""
    _note(note, field="note", what_zh="说明", what_en="note", required=False)
    locked = _locked(complaint, actor)
    if not locked.suspended_section:
        raise DomainError(
            f"标段不是因投诉{locked.number}暂停的 / The section was not suspended for complaint "
            f"{locked.number}",
            code="conflict",
        )
    _resume(locked, actor, note=note)
    return locked


def _resume(locked: Complaint, actor: Person, *, note: str) -> None:
    trading_services.section_resume(section=locked.section, actor=actor, note=note[:500])
    locked.suspended_section = False
    locked.save(update_fields=["suspended_section"])
    locked.section.refresh_from_db()
    transitions.record(locked, kind=StepKind.SECTION_RESUMED, actor=actor, note=note)
