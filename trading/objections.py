"""Objections to the tender documents (异议) [R22]."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Person, Role
from ggzy import beijing_time, clock
from ggzy.errors import DomainError
from supervision import ledger
from trading.models import DocumentObjection, Notification, Section
from trading.rules import (
    OBJECTION_ANSWER_MAX_CHARS,
    OBJECTION_ANSWER_WITHIN,
    OBJECTION_CUTOFF,
    OBJECTION_TEXT_MAX_CHARS,
    OBJECTIONS_PER_BIDDER_MAX,
    check_count,
    check_length,
)
from trading.transitions import BEFORE_DEADLINE


@transaction.atomic
def objection_raise(*, section: Section, actor: Person, text: str) -> DocumentObjection:
    """A prospective bidder objects; accepted until 10 days before the deadline [R22]."""
    if actor.role != Role.BIDDER or actor.organisation is None:
        raise DomainError("只有潜在投标人可以提出异议 / Only bidders may object", code="forbidden")
    if not text.strip():
        raise DomainError("请写明异议内容 / Write what you object to", code="invalid", field="text")
    check_length(
        text, limit=OBJECTION_TEXT_MAX_CHARS, field="text", what_zh="异议", what_en="objection"
    )
    locked = Section.objects.select_for_update().get(pk=section.pk)
    check_count(  # counted under the section's lock: two requests cannot both be the last
        DocumentObjection.objects.filter(section=locked, organisation=actor.organisation).count(),
        limit=OBJECTIONS_PER_BIDDER_MAX,
        field="text",
        what_zh="本单位对本标段招标文件的异议",
        what_en="objections per bidder to this section's documents",
        next_zh="，请等待答复或向监督部门投诉",
        next_en=": wait for the answers, or complain to the supervising department",
    )
    now = clock.now()
    cutoff = locked.bid_deadline - OBJECTION_CUTOFF
    if locked.status not in BEFORE_DEADLINE or now > cutoff:
        raise DomainError(
            f"对招标文件的异议应在投标截止10日前提出（截至 {beijing_time.both(cutoff)[0]}）[R22] / "
            f"Objections to the tender documents close 10 days before the deadline "
            f"({beijing_time.both(cutoff)[1]}) [R22]",
            code="conflict",
        )
    objection = DocumentObjection.objects.create(
        section=locked,
        organisation=actor.organisation,
        raised_by=actor,
        raised_at=now,
        text=text,
        answer_due=now + OBJECTION_ANSWER_WITHIN,
    )
    ledger.append(
        "trading.objection.raised",
        actor=actor,
        target=objection,
        data={"section": locked.code, "answer_due": objection.answer_due},
        # Who objects is interested in the section: hidden until the deadline [E21, L22].
        embargo=locked.embargo_scope,
    )
    return objection


@transaction.atomic
def objection_answer(
    *, objection: DocumentObjection, actor: Person, answer: str
) -> DocumentObjection:
    """The tenderee answers (due within 3 days [R22]; a late answer is recorded as late)."""
    locked = (
        DocumentObjection.objects.select_for_update().select_related("section").get(pk=objection.pk)
    )
    if locked.answered_at is not None:
        raise DomainError("该异议已答复 / This objection has been answered", code="conflict")
    if not answer.strip():
        raise DomainError("请填写答复 / Write the answer", code="invalid", field="answer")
    check_length(
        answer, limit=OBJECTION_ANSWER_MAX_CHARS, field="answer", what_zh="答复", what_en="answer"
    )
    now = clock.now()
    locked.answer = answer
    locked.answered_at = now
    locked.answered_by = actor
    locked.save(update_fields=["answer", "answered_at", "answered_by"])
    late = now > locked.answer_due
    ledger.append(
        "trading.objection.answered",
        actor=actor,
        target=locked,
        data={"section": locked.section.code, "late": late},
        embargo=locked.section.embargo_scope,  # its target names the objector's objection
    )
    Notification.objects.create(
        organisation=locked.organisation,
        section=locked.section,
        subject=f"[{locked.section.code}] 异议答复 / objection answered",
        body=answer,
        created_at=now,
    )
    return locked
