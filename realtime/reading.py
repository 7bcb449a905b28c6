"""Reading out the bids (唱标) [E30, L36], the bidders' confirmations and objections [R44]."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Person
from accounts.services import active_key
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm import sm2
from ggzy_core.reading import reading_digest, reading_message
from realtime import access, events, guide, rules
from realtime.hall import locked
from realtime.models import Confirmation, Decision, Hall, HallObjection, OpeningStatus
from supervision import ledger
from trading.rules import check_count, check_length


def compute(hall: Hall) -> dict[str, Any]:
    """The reading table: every bid in receipt order, the items the section reads out, the
    price ceiling. Stored with its SM3, which bidders sign to confirm."""
    section = hall.section
    rows = []
    for opening in hall.openings.select_related("bid", "bid__organisation").order_by("number"):
        sheet = opening.sheet if opening.status == OpeningStatus.DECRYPTED else None
        rows.append(
            {
                "sequence": opening.number,
                "bidder": opening.bid.organisation.name,
                "credit_code": opening.bid.organisation.credit_code,
                "status": opening.status,
                "values": {item: sheet.get(item) for item in section.read_items} if sheet else None,
            }
        )
    table = {
        "section": section.code,
        "items": list(section.read_items),
        "price_ceiling": str(section.price_ceiling) if section.price_ceiling is not None else None,
        "rows": rows,
    }
    hall.reading = table
    hall.reading_sm3 = reading_digest(table)
    hall.save(update_fields=["reading", "reading_sm3"])
    ledger.append(
        "realtime.hall.read",
        actor=ledger.SYSTEM,
        target=section,
        data={"reading_sm3": hall.reading_sm3, "reading": table},
    )
    return table


@transaction.atomic
def answer(*, hall: Hall, person: Person, decision: str, signature: bytes) -> Confirmation:
    current = locked(hall)
    now = clock.now()
    guide.require(current, "answer")
    organisation = person.organisation
    if organisation is None or not current.openings.filter(bid__organisation=organisation).exists():
        raise DomainError(
            "只有本标段的投标人可以确认 / Only this section's bidders confirm", code="forbidden"
        )
    if decision not in Decision.values:
        raise DomainError(
            "decision 应为 confirm 或 object / decision is confirm or object", code="invalid"
        )
    key = active_key(organisation)
    public = sm2.load_public_key(key.public_key_pem.encode()) if key else None
    if public is None or not public.verify(reading_message(current.reading_sm3), signature):
        raise DomainError(
            "签名无效：请用本单位绑定的密钥对唱标结果签名 / Invalid signature: sign the reading with "
            "your organisation's bound key",
            code="bad_signature",
        )
    confirmation, created = Confirmation.objects.get_or_create(
        hall=current,
        organisation=organisation,
        defaults={
            "person": person,
            "decision": decision,
            "reading_sm3": current.reading_sm3,
            "signature": signature,
            "key_fingerprint": public.fingerprint(),
            "answered_at": now,
        },
    )
    if not created:
        raise DomainError(
            "本单位已答复过唱标结果，答复以首次签名为准并载入开标记录 / Your organisation has "
            "already answered the reading: the first signed answer stands and goes into the "
            "opening record",
            code="conflict",
        )
    events.emit(current, "answered", {"bidder": organisation.name, "decision": decision})
    ledger.append(
        "realtime.reading.answered",
        actor=person,
        target=current.section,
        data={
            "decision": decision,
            "reading_sm3": current.reading_sm3,
            "key": public.fingerprint(),
        },
    )
    return confirmation


@transaction.atomic
def raise_objection(*, hall: Hall, person: Person, text: str) -> HallObjection:
    current = locked(hall)
    guide.require(current, "object")
    organisation = person.organisation
    if organisation is None or not current.openings.filter(bid__organisation=organisation).exists():
        raise DomainError(
            "只有本标段的投标人可以提出异议 / Only this section's bidders object", code="forbidden"
        )
    check_length(
        text,
        limit=rules.OBJECTION_TEXT_MAX_CHARS,
        field="text",
        what_zh="异议",
        what_en="objection",
        required=True,
    )
    check_count(  # counted under the hall's lock: two requests cannot both be the last
        current.objections.filter(organisation=organisation).count(),
        limit=rules.OBJECTIONS_PER_BIDDER_MAX,
        field="text",
        what_zh="本单位在本次开标中的异议",
        what_en="objections per bidder in this hall",
        next_zh="，其他问题请在开标后依法投诉 [R60]",
        next_en=": raise further points in a complaint after the opening [R60]",
    )
    objection = HallObjection.objects.create(
        hall=current, organisation=organisation, raised_by=person, raised_at=clock.now(), text=text
    )
    summary = objection_summary(objection, bidder=organisation.name)
    events.emit(current, "objection", {key: summary[key] for key in _RAISED_FIELDS})
    ledger.append(
        "realtime.objection.raised", actor=person, target=current.section, data={"text": text}
    )
    return objection


@transaction.atomic
def answer_objection(*, objection: HallObjection, person: Person, text: str) -> HallObjection:
    current = locked(objection.hall_id)
    if not access.answers_objections(person, current):
        raise DomainError(
            "只有主持人或招标人可以答复 / Only the host or the tenderee answers", code="forbidden"
        )
    target = HallObjection.objects.select_for_update().get(pk=objection.pk)
    if target.answered_at is not None:
        raise DomainError("已答复 / Already answered", code="conflict")
    check_length(
        text,
        limit=rules.OBJECTION_ANSWER_MAX_CHARS,
        field="text",
        what_zh="答复",
        what_en="answer",
        required=True,
    )
    target.answer, target.answered_at, target.answered_by = text, clock.now(), person
    target.save(update_fields=["answer", "answered_at", "answered_by"])
    summary = objection_summary(target, bidder="")
    events.emit(current, "objection_answered", {key: summary[key] for key in _ANSWERED_FIELDS})
    ledger.append(
        "realtime.objection.answered",
        actor=person,
        target=current.section,
        data={"objection": target.pk, "answer": text},
    )
    return target


_RAISED_FIELDS = ("id", "bidder", "text", "length", "truncated")
_ANSWERED_FIELDS = ("id", "answer", "answer_truncated")


def _excerpt(text: str) -> tuple[str, bool]:
    if len(text) <= rules.EXCERPT_CHARS:
        return text, False
    return text[: rules.EXCERPT_CHARS] + "…", True


def objection_summary(objection: HallObjection, *, bidder: str) -> dict[str, Any]:
    """An objection as the stream carries it: excerpts, so that no message grows with what
    bidders write; the full text is fetched by id (``GET …/objections/<id>``)."""
    text, truncated = _excerpt(objection.text)
    answer, answer_truncated = _excerpt(objection.answer)
    return {
        "id": objection.pk,
        "bidder": bidder,
        "text": text,
        "length": len(objection.text),
        "truncated": truncated,
        "answer": answer,
        "answer_truncated": answer_truncated,
        "answered": objection.answered_at is not None,
    }
