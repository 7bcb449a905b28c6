"""A complaint's life as a table, and the one way a step is written (row + ledger entry).

filed → accepted | not accepted (with the reason) | withdrawn
accepted → evidence requested (the clock paused) | decided (upheld / dismissed) | withdrawn
evidence requested → accepted (evidence received: the clock runs again) | withdrawn
not accepted, decided, withdrawn: closed.
"""

from __future__ import annotations

from typing import Any

from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger
from supervision.complaints import clocks
from supervision.complaints.models import (
    OPEN,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    StepKind,
)

S = ComplaintStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.FILED: frozenset({S.ACCEPTED, S.NOT_ACCEPTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.EVIDENCE, S.DECIDED, S.WITHDRAWN}),
    S.EVIDENCE: frozenset({S.ACCEPTED, S.WITHDRAWN}),
    S.NOT_ACCEPTED: frozenset(),
    S.DECIDED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# What may be done next from each status, for refusals that say so.
_NEXT: dict[str, tuple[str, str]] = {
    S.FILED: ("请先决定是否受理", "decide on acceptance first"),
    S.ACCEPTED: ("可调取证据或作出处理决定", "request evidence or decide"),
    S.EVIDENCE: ("请先登记证据已收到（恢复计时）", "record the evidence as received first"),
    S.NOT_ACCEPTED: ("投诉已结束", "the complaint is closed"),
    S.DECIDED: ("投诉已结束", "the complaint is closed"),
    S.WITHDRAWN: ("投诉已结束", "the complaint is closed"),
}


def allowed(source: str, target: str) -> bool:
    return target in ALLOWED.get(source, frozenset())


def require_open(complaint: Complaint) -> None:
    if complaint.status not in OPEN:
        label = ComplaintStatus(complaint.status).label
        raise DomainError(
            f"投诉{complaint.number}已结束（{label}） / Complaint {complaint.number} is closed "
            f"({complaint.status})",
            code="conflict",
        )


def move(
    complaint: Complaint,
    target: str,
    *,
    kind: str,
    actor: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    by_complainant: bool = False,
    fields: tuple[str, ...] = (),
) -> ComplaintStep:
    """Move a complaint the caller has locked (and whose other ``fields`` it has set), write
    the step and its ledger entry. Raises ``DomainError``."""
    source = complaint.status
    if not allowed(source, target):
        hint_zh, hint_en = _NEXT[source]
        raise DomainError(
            f"投诉处于“{ComplaintStatus(source).label}”，不能变为“{ComplaintStatus(target).label}”："
            f"{hint_zh} / Complaint {complaint.number} is {source} and cannot become {target}: "
            f"{hint_en}",
            code="conflict",
        )
    complaint.status = target
    if target not in OPEN:
        complaint.closed_at = clock.now()
    complaint.urgency = clocks.urgency_of(complaint.due, clocks.today())
    complaint.save(update_fields=["status", "closed_at", "urgency", *fields])
    return record(
        complaint,
        kind=kind,
        actor=actor,
        source=source,
        note=note,
        data=data,
        by_complainant=by_complainant,
    )


def record(
    complaint: Complaint,
    *,
    kind: str,
    actor: Any,
    source: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    by_complainant: bool = False,
) -> ComplaintStep:
    """Write one step (the row the parties read) and its ledger entry, in the caller's
    transaction. Entries written before the section's bid deadline are embargoed with the
    section's bid events: the actor of a complainant's step names its company [E21]."""
    now = clock.now()
    person = actor if getattr(actor, "pk", None) and hasattr(actor, "organisation_id") else None
    step = ComplaintStep.objects.create(
        complaint=complaint,
        kind=kind,
        at=now,
        actor=person,
        by_complainant=by_complainant,
        from_status=complaint.status if source is None else source,
        to_status=complaint.status,
        note=note,
    )
    section = complaint.section
    ledger.append(
        f"complaints.complaint.{StepKind(kind).value}",
        actor=actor,
        target=complaint,
        data={
            "number": complaint.number,
            "section": section.code,
            "from": step.from_status,
            "to": step.to_status,
            "step": step.pk,
            **(data or {}),
        },
        embargo=section.embargo_scope if now < section.bid_deadline else "",
    )
    return step
