"""A section's life as a table: which status may follow which. One place, no other."""

from __future__ import annotations

from typing import Any

from ggzy.errors import DomainError
from supervision import ledger
from trading.models import Section, SectionStatus
from trading.signals import status_changed

S = SectionStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.BIDDING, S.CANCELLED}),
    S.BIDDING: frozenset({S.OPENING, S.FAILED, S.CANCELLED}),
    S.OPENING: frozenset({S.EVALUATION, S.FAILED, S.CANCELLED}),
    S.EVALUATION: frozenset({S.PUBLICITY, S.FAILED, S.CANCELLED}),
    # An objection upheld during publicity sends the section back to evaluation, or to a new
    # tender [R54].
    S.PUBLICITY: frozenset({S.AWARDED, S.EVALUATION, S.FAILED, S.CANCELLED}),
    # No candidate left to sign the contract: the tender is repeated [R55].
    S.AWARDED: frozenset({S.CONTRACTED, S.FAILED, S.CANCELLED}),
    S.CONTRACTED: frozenset({S.ARCHIVED}),
    S.FAILED: frozenset({S.ARCHIVED}),
    S.CANCELLED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
REASON_REQUIRED = frozenset({S.FAILED, S.CANCELLED})
# Statuses in which tender documents are out and bidders are preparing.
BEFORE_DEADLINE = frozenset({S.PUBLISHED, S.BIDDING})
PUBLIC = frozenset(set(S.values) - {S.DRAFT})


def allowed(source: str, target: str) -> bool:
    return target in ALLOWED.get(source, frozenset())


def apply(
    section: Section, target: str, *, actor: Any, reason: str = "", data: dict | None = None
) -> None:
    """Move a section the caller has locked, and ledger the move. Raises ``DomainError``."""
    source = section.status
    if section.suspended_at is not None and target != S.CANCELLED:
        # Suspended by the supervising department while a complaint is handled [R62]: the
        # section stays where it is until the department resumes it; only cancellation,
        # which ends the tender, may still happen.
        raise DomainError(
            f"标段已被监督部门暂停（{section.suspended_reason}），暂停期间不能变更状态，请等待监督部门"
            f"作出处理决定并恢复 [R62] / The section is suspended by the supervising department "
            f"({section.suspended_reason}): it cannot change status until the department "
            "decides and resumes it [R62]",
            code="suspended",
        )
    if not allowed(source, target):
        raise DomainError(
            f"标段状态不能从“{S(source).label}”变为“{S(target).label}” / "
            f"A section cannot go from {source} to {target}",
            code="conflict",
        )
    if target in REASON_REQUIRED and not reason.strip():
        raise DomainError("请说明原因 / A reason is required", code="invalid", field="reason")
    section.status = target
    section.status_reason = reason
    section.save(update_fields=["status", "status_reason"])
    ledger.append(
        f"trading.section.{target}",
        actor=actor,
        target=section,
        data={"from": source, "to": target, "reason": reason, **(data or {})},
    )
    status_changed.send(sender=Section, section=section, source=source, target=target)
