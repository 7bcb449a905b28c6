"""The award, its notices, the winner's decline, the re-tender and the contract
[L45, L46, R55]. The contract's term checks live in ``award.terms``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import Person
from award import documents
from award.models import Award, AwardStatus, Contract, Publicity, ResultNotice, ResultObjection
from award.signals import award_changed, contract_recorded
from award.terms import check_terms
from experts.models import EvaluatedBid
from ggzy import clock, files
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING, beijing
from supervision import ledger
from trading import access, chronograph, transitions
from trading.models import Notification, Section, SectionStatus
from trading.rules import REASON_MAX_CHARS, check_length

# The contract is signed within 30 days of the award notice [L46].
CONTRACT_WITHIN = dt.timedelta(days=30)
DECLINE_REASON_MAX_CHARS = 500  # = Award.decline_reason max_length


def _require_manager(actor: Person, section: Section) -> None:
    if not access.can_manage(actor, section.project):
        raise DomainError(
            "只有招标人/代理机构可以定标和备案合同 / Only the tenderee or agency awards and "
            "records the contract",
            code="forbidden",
        )


def _lock(section: Section) -> Section:
    return Section.objects.select_for_update().select_related("project").get(pk=section.pk)


def unavailable_numbers(section: Section) -> set[int]:
    """Candidates that can no longer be awarded: excluded by an upheld objection [R54] or
    having declined an award [R55]."""
    excluded = ResultObjection.objects.filter(
        section=section, excludes_number__isnull=False
    ).values_list("excludes_number", flat=True)
    declined = Award.objects.filter(section=section).values_list("number", flat=True)
    return {number for number in excluded if number is not None} | set(declined)


def next_candidate(section: Section) -> dict[str, Any] | None:
    """The best-ranked publicized candidate still available, or None (re-tender)."""
    publicity = Publicity.objects.filter(section=section).first()
    if publicity is None:
        return None
    gone = unavailable_numbers(section)
    for item in sorted(publicity.candidates, key=lambda c: c["rank"]):
        if item["number"] not in gone:
            return dict(item)
    return None


def live_award(section: Section) -> Award | None:
    return Award.objects.filter(section=section).exclude(status=AwardStatus.DECLINED).first()


def _check_may_award(section: Section, publicity: Publicity | None) -> Publicity:
    now = clock.now()
    if section.status not in (SectionStatus.PUBLICITY, SectionStatus.AWARDED) or publicity is None:
        raise DomainError(
            "只有中标候选人公示后才能定标 [R54] / An award follows the candidate publicity "
            f"[R54]; this section is {section.get_status_display()}",
            code="conflict",
        )
    if now < publicity.ends_at:
        raise DomainError(
            f"中标候选人公示期至 {beijing(publicity.ends_at, milliseconds=False)}，公示期满且异议均已"
            f"答复后方可定标 [R54] / The candidates are publicized until "
            f"{beijing(publicity.ends_at, milliseconds=False)}: award after that, once every "
            "objection is answered [R54]",
            code="conflict",
        )
    waiting = ResultObjection.objects.filter(section=section, answered_at__isnull=True)
    first = waiting.order_by("answer_due").first()
    if first is not None:
        raise DomainError(
            f"尚有 {waiting.count()} 项对评标结果的异议未答复（最早应于 "
            f"{beijing(first.answer_due, milliseconds=False)} 前答复），答复前暂停定标 [R54] / "
            f"{waiting.count()} objection(s) to the result are unanswered (the first is due "
            f"{beijing(first.answer_due, milliseconds=False)}): answer them on the objections "
            "page, then award [R54]",
            code="conflict",
        )
    if live_award(section) is not None:
        raise DomainError(
            "本标段已发出中标通知书；中标人放弃后方可确定下一名候选人 [R55] / An award notice is "
            "already out: record the winner's decline before awarding the next candidate [R55]",
            code="conflict",
        )
    return publicity


@transaction.atomic
def award_issue(*, section: Section, actor: Person) -> Award:
    """The tenderee awards the best available candidate once publicity is over and every
    objection is answered [R54]; the award notice goes to the winner and a result notice to
    every other bidder whose bid was opened [L45]."""
    locked = _lock(section)
    _require_manager(actor, locked)
    publicity = Publicity.objects.filter(section=locked).first()
    publicity = _check_may_award(locked, publicity)
    candidate = next_candidate(locked)
    if candidate is None:
        raise DomainError(
            "没有可确定的中标候选人（均已被排除或放弃），请重新招标 [R55] / No candidate is left "
            "(all excluded or declined): re-tender the section on the award page [R55]",
            code="conflict",
        )
    now = clock.now()
    project = locked.project
    winner_id = candidate["organisation_id"]
    price = Decimal(candidate["price"]) if candidate["price"] is not None else Decimal("0")
    body = {
        "section": {"code": locked.code, "name": locked.name},
        "project": {"code": project.code, "name": project.name},
        "tenderee": project.tenderee.name,
        "winner": {"name": candidate["bidder"], "credit_code": candidate["credit_code"]},
        "rank": candidate["rank"],
        "number": candidate["number"],
        "price": candidate["price"],
        "terms": candidate["terms"],
        "publicity_sm3": publicity.content_sm3,
        "report_sm3": publicity.report_sm3,
        "issued_at": now.isoformat(),
        "contract_due": (now + CONTRACT_WITHIN).isoformat(),
    }
    award = Award.objects.create(
        section=locked,
        rank=candidate["rank"],
        number=candidate["number"],
        organisation_id=winner_id,
        price=price,
        terms=candidate["terms"],
        issued_at=now,
        issued_by=actor,
        contract_due=now + CONTRACT_WITHIN,
        **documents.sign("award", body),
    )
    if locked.status == SectionStatus.PUBLICITY:
        transitions.apply(locked, SectionStatus.AWARDED, actor=actor, data={"rank": award.rank})
    ledger.append(
        "award.award.issued",
        actor=actor,
        target=award,
        data={
            "section": locked.code,
            "content_sm3": award.content_sm3,
            "rank": award.rank,
            "credit_code": candidate["credit_code"],
            "price": candidate["price"],
            "contract_due": award.contract_due,
        },
    )
    _notify(
        winner_id,
        locked,
        "中标通知书 / award notice",
        f"贵单位为本标段中标人，中标价 {candidate['price']} 元；请于 {award.contract_due.astimezone(BEIJING):%Y-%m-%d}"
        f" 前签订合同 [L45, L46] / You won this section at {candidate['price']} yuan: sign the "
        f"contract by {award.contract_due.astimezone(BEIJING):%Y-%m-%d} [L45, L46]",
    )
    _issue_result_notices(award, locked, publicity, candidate)
    chronograph.reschedule(locked)  # the contract's 30 days are a time event of the section
    award_changed.send(sender=Award, award=award)
    return award


def _issue_result_notices(
    award: Award, section: Section, publicity: Publicity, winner: dict[str, Any]
) -> None:
    bids = EvaluatedBid.objects.filter(evaluation__section=section).select_related("organisation")
    for bid in bids.order_by("number"):
        if bid.organisation_id == award.organisation_id:
            continue
        organisation = bid.organisation
        body = {
            "section": {"code": section.code, "name": section.name},
            "bidder": {"name": organisation.name, "credit_code": organisation.credit_code},
            "number": bid.number,
            "winner": {"name": winner["bidder"], "credit_code": winner["credit_code"]},
            "price": winner["price"],
            "award_sm3": award.content_sm3,
            "publicity_sm3": publicity.content_sm3,
            "issued_at": award.issued_at.isoformat(),
        }
        notice = ResultNotice.objects.create(
            award=award,
            organisation=organisation,
            issued_at=award.issued_at,
            **documents.sign("result", body),
        )
        ledger.append(
            "award.result_notice.issued",
            actor=award.issued_by,
            target=notice,
            data={
                "section": section.code,
                "content_sm3": notice.content_sm3,
                "credit_code": organisation.credit_code,
            },
        )
        _notify(
            organisation.pk,
            section,
            "中标结果通知书 / result notice",
            f"本标段中标人为 {winner['bidder']}，中标价 {winner['price']} 元 [L45] / The section "
            f"was awarded to {winner['bidder']} at {winner['price']} yuan [L45]",
        )


def _notify(organisation_id: int, section: Section, subject: str, body: str) -> None:
    Notification.objects.create(
        organisation_id=organisation_id,
        section=section,
        subject=f"[{section.code}] {subject}",
        body=body,
        created_at=clock.now(),
    )


@transaction.atomic
def award_decline(*, award: Award, actor: Person, reason: str) -> Award:
    """The tenderee records that the winner gave up or refused to sign [R55]; the centre's
    staff are told that the deposit may be forfeited [R74] (deposits.decisions.forfeit)."""
    locked_section = _lock(award.section)
    _require_manager(actor, locked_section)
    locked = Award.objects.select_for_update().get(pk=award.pk)
    if locked.status != AwardStatus.NOTIFIED:
        raise DomainError(
            "只有已发出且未签约的中标通知书可以记录放弃 [R55] / Only an award notice that is out "
            "and not yet contracted can be recorded as declined [R55]",
            code="conflict",
        )
    check_length(
        reason,
        limit=DECLINE_REASON_MAX_CHARS,
        field="reason",
        what_zh="放弃原因",
        what_en="reason",
        required=True,
    )
    now = clock.now()
    locked.status = AwardStatus.DECLINED
    locked.declined_at = now
    locked.decline_reason = reason
    locked.save(update_fields=["status", "declined_at", "decline_reason"])
    winner = locked.organisation
    ledger.append(
        "award.award.declined",
        actor=actor,
        target=locked,
        data={"section": locked_section.code, "credit_code": winner.credit_code, "reason": reason},
    )
    _notify(
        locked_section.project.centre_id,
        locked_section,
        "中标人放弃中标 / the winner declined",
        f"{winner.name}（{winner.credit_code}）放弃中标或拒签合同：{reason}。其投标保证金可能不予退还，"
        f"请在保证金页面处理 [R55, R74] / {winner.name} gave up the award or refused to sign: "
        f"{reason}. The bid deposit may be forfeited: decide on the deposits page [R55, R74]",
    )
    _notify(
        winner.pk,
        locked_section,
        "放弃中标已记录 / decline recorded",
        f"招标人记录贵单位放弃中标：{reason} [R55] / The tenderee recorded that you declined the "
        f"award: {reason} [R55]",
    )
    chronograph.reschedule(locked_section)
    award_changed.send(sender=Award, award=locked)
    return locked


@transaction.atomic
def award_retender(*, section: Section, actor: Person, reason: str) -> Section:
    """No candidate will sign (every one declined or was excluded), or the tenderee chooses
    a new tender after a decline [R55]: the section fails, deposits are refunded."""
    locked = _lock(section)
    _require_manager(actor, locked)
    check_length(
        reason,
        limit=REASON_MAX_CHARS,
        field="reason",
        what_zh="原因",
        what_en="reason",
        required=True,
    )
    if live_award(locked) is not None:
        raise DomainError(
            "中标通知书仍然有效，请先记录中标人放弃 [R55] / An award notice is live: record the "
            "winner's decline first [R55]",
            code="conflict",
        )
    if locked.status == SectionStatus.PUBLICITY and next_candidate(locked) is not None:
        raise DomainError(
            "尚有可确定的中标候选人：重新招标须异议成立（在异议答复中选择）或候选人均放弃 [R54, R55] / "
            "A candidate can still be awarded: re-tender through an upheld objection or once "
            "the candidates declined [R54, R55]",
            code="conflict",
        )
    transitions.apply(
        locked,
        SectionStatus.FAILED,
        actor=actor,
        reason=f"中标候选人放弃或不能签约，重新招标 [R55] / No candidate signs: the section is "
        f"re-tendered [R55] — {reason}",
    )
    chronograph.reschedule(locked)
    return locked


# The contract file: a PDF of bounded size.
CONTRACT_MAX_BYTES = 20 * 1024 * 1024
CONTRACT_NUMBER_MAX_CHARS = 64


def _check_document(document: bytes, document_name: str) -> None:
    if not document.startswith(b"%PDF-") or not document_name.lower().endswith(".pdf"):
        raise DomainError(
            "合同文件须为 PDF（.pdf）/ The contract file must be a PDF (.pdf): upload the signed "
            "contract as PDF",
            code="invalid",
            field="document",
        )
    if len(document) > CONTRACT_MAX_BYTES:
        raise DomainError(
            f"合同文件不得超过 {CONTRACT_MAX_BYTES // (1024 * 1024)} MB，请压缩后再上传 / The contract "
            f"file may be at most {CONTRACT_MAX_BYTES // (1024 * 1024)} MB: compress it and upload "
            "again",
            code="too_large",
            field="document",
        )


def contract_record(
    *,
    award: Award,
    actor: Person,
    number: str,
    signed_on: dt.date,
    price: Decimal,
    terms: dict[str, Any],
    document: bytes,
    document_name: str,
) -> Contract:
    """The tenderee (or agency) records the signed contract [L46]: its key terms must be
    those of the tender and the winning bid; recorded after 30 days it is accepted and
    marked late. The section becomes CONTRACTED: deposits are refunded with interest [R57]."""
    _check_document(document, document_name)
    check_length(
        number,
        limit=CONTRACT_NUMBER_MAX_CHARS,
        field="number",
        what_zh="合同编号",
        what_en="contract number",
        required=True,
    )
    with files.atomic():
        locked_section = _lock(award.section)
        _require_manager(actor, locked_section)
        locked = Award.objects.select_for_update().select_related("organisation").get(pk=award.pk)
        if locked.status != AwardStatus.NOTIFIED or locked_section.status != SectionStatus.AWARDED:
            raise DomainError(
                "只有有效的中标通知书可以备案合同 [L46] / A contract is recorded only for a live "
                "award notice [L46]",
                code="conflict",
            )
        if signed_on < locked.issued_at.date():
            raise DomainError(
                f"合同签订日期不能早于中标通知书发出日 {locked.issued_at.astimezone(BEIJING):%Y-%m-%d} [L46] / The "
                f"contract cannot be signed before the award notice ({locked.issued_at.astimezone(BEIJING):%Y-%m-%d})",
                code="invalid",
                field="signed_on",
            )
        agreed = check_terms(locked, price=price, terms=terms)
        now = clock.now()
        late = now > locked.contract_due
        document_sm3 = sm3_hex(document)
        name = document_name[-200:]
        body = {
            "section": {"code": locked_section.code, "name": locked_section.name},
            "award_sm3": locked.content_sm3,
            "tenderee": locked_section.project.tenderee.name,
            "winner": {
                "name": locked.organisation.name,
                "credit_code": locked.organisation.credit_code,
            },
            "number": number,
            "signed_on": signed_on.isoformat(),
            "price": f"{price:.2f}",
            "terms": agreed,
            "document_sm3": document_sm3,
            "document_size": len(document),
            "recorded_at": now.isoformat(),
            "late": late,
        }
        contract = Contract(
            award=locked,
            number=number,
            signed_on=signed_on,
            price=price,
            terms=agreed,
            document_name=name,
            document_sm3=document_sm3,
            document_size=len(document),
            recorded_at=now,
            recorded_by=actor,
            **documents.sign("contract", body),
        )
        files.save_field(
            contract.document, f"{locked_section.code}-contract.pdf", ContentFile(document)
        )
        contract.save()
        locked.status = AwardStatus.CONTRACTED
        locked.save(update_fields=["status"])
        ledger.append(
            "award.contract.recorded",
            actor=actor,
            target=contract,
            data={
                "section": locked_section.code,
                "content_sm3": contract.content_sm3,
                "document_sm3": document_sm3,
                "price": f"{price:.2f}",
                "late": late,
            },
        )
        # [R57]: deposits' receiver owes every refund, with interest, in this transaction.
        transitions.apply(
            locked_section, SectionStatus.CONTRACTED, actor=actor, data={"late": late}
        )
        chronograph.reschedule(locked_section)
        contract_recorded.send(sender=Contract, contract=contract)
    return contract
