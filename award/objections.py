"""Objections to the evaluation result during publicity (对评标结果的异议) [R54].

A bidder whose bid was opened objects while the candidates are publicized; the tenderee
answers within 3 days and the award waits meanwhile. An upheld objection may exclude a
candidate (the next one is awarded) or send the section to a new tender.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Person, Role
from award.models import OutcomeOfObjection, Publicity, ResultObjection
from experts.models import EvaluatedBid
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.times import beijing
from supervision import ledger
from trading import access, chronograph, transitions
from trading.models import Notification, Section, SectionStatus
from trading.rules import (
    OBJECTION_ANSWER_MAX_CHARS,
    OBJECTION_ANSWER_WITHIN,
    OBJECTION_TEXT_MAX_CHARS,
    OBJECTIONS_PER_BIDDER_MAX,
    check_count,
    check_length,
)


def opened_bidder_ids(section: Section) -> set[int]:
    """The organisations whose bids were opened and evaluated: they may object [R54] and
    receive a notice [L45]."""
    return set(
        EvaluatedBid.objects.filter(evaluation__section=section).values_list(
            "organisation_id", flat=True
        )
    )


def may_object(person: Any, section: Section) -> bool:
    return (
        person.is_authenticated
        and person.role == Role.BIDDER
        and person.organisation_id is not None
        and person.organisation_id in opened_bidder_ids(section)
    )


@transaction.atomic
def objection_raise(*, section: Section, actor: Person, text: str) -> ResultObjection:
    """A bidder of the section objects to the result while it is publicized [R54]."""
    if not may_object(actor, section):
        raise DomainError(
            "只有本标段开标的投标人可以对评标结果提出异议；其他利害关系人请向监督部门投诉 [R54, R60] / "
            "Only bidders whose bids were opened in this section may object to the result; "
            "other interested parties complain to the supervising department [R54, R60]",
            code="forbidden",
        )
    check_length(
        text,
        limit=OBJECTION_TEXT_MAX_CHARS,
        field="text",
        what_zh="异议",
        what_en="objection",
        required=True,
    )
    locked = Section.objects.select_for_update().get(pk=section.pk)
    publicity = Publicity.objects.filter(section=locked).first()
    now = clock.now()
    if locked.status != SectionStatus.PUBLICITY or publicity is None or now >= publicity.ends_at:
        until = (
            f"（公示期至 {beijing(publicity.ends_at, milliseconds=False)}）" if publicity else ""
        )
        until_en = (
            f" (publicity ended {beijing(publicity.ends_at, milliseconds=False)})"
            if publicity
            else ""
        )
        raise DomainError(
            f"对评标结果的异议应在中标候选人公示期间提出{until}；公示期已过，可向监督部门投诉 [R54, R60] / "
            f"Objections to the result are raised while the candidates are publicized"
            f"{until_en}; after it, complain to the supervising department [R54, R60]",
            code="conflict",
        )
    check_count(  # counted under the section's lock: two requests cannot both be the last
        ResultObjection.objects.filter(section=locked, organisation=actor.organisation).count(),
        limit=OBJECTIONS_PER_BIDDER_MAX,
        field="text",
        what_zh="本单位对本标段评标结果的异议",
        what_en="objections per bidder to this section's result",
        next_zh="，请等待答复或向监督部门投诉",
        next_en=": wait for the answers, or complain to the supervising department",
    )
    assert actor.organisation is not None  # nosec B101 # may_object checked it
    objection = ResultObjection.objects.create(
        section=locked,
        organisation=actor.organisation,
        raised_by=actor,
        raised_at=now,
        text=text,
        answer_due=now + OBJECTION_ANSWER_WITHIN,
    )
    ledger.append(
        "award.objection.raised",
        actor=actor,
        target=objection,
        data={"section": locked.code, "answer_due": objection.answer_due},
    )
    Notification.objects.create(
        organisation=locked.project.tenderee,
        section=locked,
        subject=f"[{locked.code}] 对评标结果的异议 / objection to the result",
        body=(
            f"请于 {beijing(objection.answer_due, milliseconds=False)} 前答复；答复前暂停定标 [R54] / Answer "
            f"by {beijing(objection.answer_due, milliseconds=False)}; the award waits until you do [R54]"
        ),
        created_at=now,
    )
    chronograph.reschedule(locked)  # its answer due is a time event of the section
    return objection


@transaction.atomic
def objection_answer(
    *,
    objection: ResultObjection,
    actor: Person,
    answer: str,
    outcome: str,
    excludes_number: int | None = None,
    retender: bool = False,
) -> ResultObjection:
    """The tenderee answers (due within 3 days [R54]; a late answer is recorded as late).
    An upheld objection may exclude the candidate ``excludes_number`` or, with
    ``retender``, send the section to a new tender (FAILED, with the answer as reason)."""
    section = (
        Section.objects.select_for_update().select_related("project").get(pk=objection.section_id)
    )
    if not access.can_manage(actor, section.project):
        raise DomainError(
            "只有招标人/代理机构可以答复异议 / Only the tenderee or agency answers objections",
            code="forbidden",
        )
    locked = ResultObjection.objects.select_for_update().get(pk=objection.pk)
    if locked.answered_at is not None:
        raise DomainError("该异议已答复 / This objection has been answered", code="conflict")
    check_length(
        answer,
        limit=OBJECTION_ANSWER_MAX_CHARS,
        field="answer",
        what_zh="答复",
        what_en="answer",
        required=True,
    )
    if outcome not in OutcomeOfObjection.values:
        raise DomainError(
            "请选择异议是否成立 / Choose whether the objection is upheld or not",
            code="invalid",
            field="outcome",
        )
    upheld = outcome == OutcomeOfObjection.UPHELD
    if not upheld and (excludes_number is not None or retender):
        raise DomainError(
            "异议不成立时不能排除候选人或重新招标 [R54] / A dismissed objection neither excludes a "
            "candidate nor re-tenders: choose 'upheld' if it does",
            code="invalid",
            field="outcome",
        )
    if excludes_number is not None and retender:
        raise DomainError(
            "请在排除候选人与重新招标之间选择其一 / Choose either excluding a candidate or "
            "re-tendering, not both",
            code="invalid",
            field="retender",
        )
    if section.status != SectionStatus.PUBLICITY and (excludes_number is not None or retender):
        raise DomainError(
            "标段已不在公示阶段，答复不能再改变结果 [R54] / The section is no longer in "
            "publicity: the answer can no longer change the result",
            code="conflict",
        )
    if excludes_number is not None:
        _check_excludable(section, excludes_number)
    now = clock.now()
    locked.answer = answer
    locked.answered_at = now
    locked.answered_by = actor
    locked.outcome = outcome
    locked.excludes_number = excludes_number
    locked.retender = retender
    locked.save(
        update_fields=[
            "answer",
            "answered_at",
            "answered_by",
            "outcome",
            "excludes_number",
            "retender",
        ]
    )
    ledger.append(
        "award.objection.answered",
        actor=actor,
        target=locked,
        data={
            "section": section.code,
            "outcome": outcome,
            "excludes_number": excludes_number,
            "retender": retender,
            "late": now > locked.answer_due,
        },
    )
    Notification.objects.create(
        organisation=locked.organisation,
        section=section,
        subject=f"[{section.code}] 异议答复 / objection answered",
        body=f"{OutcomeOfObjection(outcome).label}: {answer}",
        created_at=now,
    )
    if retender:
        transitions.apply(
            section,
            SectionStatus.FAILED,
            actor=actor,
            reason="对评标结果的异议成立，应重新招标 [R54] / An objection to the result was upheld: "
            f"the section is re-tendered [R54] — {answer[:500]}",
            data={"objection": locked.pk},
        )
    chronograph.reschedule(section)
    return locked


def _check_excludable(section: Section, number: int) -> None:
    publicity = Publicity.objects.get(section=section)
    numbers = [item["number"] for item in publicity.candidates]
    if number not in numbers:
        raise DomainError(
            f"投标 {number} 不是公示的中标候选人（候选人：{numbers}） / Bid {number} is not a "
            f"publicized candidate (candidates: {numbers}): choose one of them",
            code="invalid",
            field="excludes_number",
        )
