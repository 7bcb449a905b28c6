"""Closing the hall: the opening record (PDF + JSON) is generated, signed by the platform,
hashed into the ledger and published; the section moves on to evaluation [E32, E40]."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from ggzy import clock, signing
from ggzy.errors import DomainError
from realtime import hall as halls
from realtime import record
from realtime.models import Decision, Hall, HallEvent, HallStage, OpeningStatus
from supervision import ledger
from trading import transitions
from trading.models import SectionStatus

_MILESTONES = {
    HallStage.SIGN_IN: record.Milestone.SIGN_IN_OPENED,
    HallStage.DECRYPTION: record.Milestone.DECRYPTION_OPENED,
    HallStage.READING: record.Milestone.READING_STARTED,
}
_STATUS = {
    OpeningStatus.DECRYPTED: record.BidStatus.DECRYPTED,
    OpeningStatus.REVOKED: record.BidStatus.REVOKED,
    OpeningStatus.WITHDRAWN: record.BidStatus.WITHDRAWN,
}


def build(hall: Hall) -> record.OpeningRecord:
    section = hall.section
    project = section.project
    answers = {c.organisation_id: c for c in hall.confirmations.all()}
    rows = []
    for opening in hall.openings.select_related("bid", "bid__organisation").order_by("number"):
        sheet = opening.sheet if opening.status == OpeningStatus.DECRYPTED else None
        answer = answers.get(opening.bid.organisation_id)
        confirmed = answer is not None and answer.decision == Decision.CONFIRM
        rows.append(
            record.BidRow(
                sequence=opening.number,
                bidder_name=opening.bid.organisation.name,
                credit_code=opening.bid.organisation.credit_code,
                status=_STATUS[OpeningStatus(opening.status)],
                reading=_reading(sheet) if sheet else None,
                confirmation=(
                    record.Confirmation.CONFIRMED
                    if confirmed
                    else record.Confirmation.OBJECTED
                    if answer
                    else record.Confirmation.NO_ANSWER
                ),
                signature_fingerprint=answer.key_fingerprint if confirmed and answer else None,
                confirmed_at=answer.answered_at if answer else None,
            )
        )
    objections = [
        record.Objection(
            bidder_name=o.organisation.name,
            raised_at=o.raised_at,
            text=o.text,
            answer=o.answer,
            answered_at=o.answered_at,
            answered_by=str(o.answered_by) if o.answered_by else "",
        )
        for o in hall.objections.select_related("organisation", "answered_by")
    ]
    milestones = [
        record.Event(kind=_MILESTONES[HallStage(e.payload["stage"])], at=e.created_at)
        for e in HallEvent.objects.filter(hall=hall, kind="stage").order_by("sequence")
        if e.payload.get("stage") in _MILESTONES
    ]
    return record.OpeningRecord(
        section=record.Section(
            code=section.code,
            name=section.name,
            project_name=project.name,
            tenderee_name=project.tenderee.name,
            category_label=str(section.get_category_display()),
        ),
        opening_time=section.bid_deadline,
        trading_centre=project.centre.name,
        host=str(hall.host) if hall.host else project.centre.name,
        price_ceiling=str(section.price_ceiling) if section.price_ceiling is not None else None,
        rows=tuple(rows),
        generated_at=clock.now(),
        objections=tuple(objections),
        events=(*milestones, record.Event(kind=record.Milestone.CLOSED, at=clock.now())),
    )


def _reading(sheet: dict[str, Any]) -> record.Reading:
    known = {"price", "duration_days", "quality", "project_manager"}
    duration = sheet.get("duration_days")
    return record.Reading(
        price=str(sheet["price"]),
        duration_days=int(duration) if duration is not None else None,
        quality=str(sheet.get("quality", "")),
        project_manager=str(sheet.get("project_manager", "")),
        extra=tuple((str(k), str(v)) for k, v in sheet.items() if k not in known),
    )


def close(hall: Hall, *, actor: Any) -> None:
    """The caller holds the hall's lock and is moving it from objections to closed."""
    if hall.objections.filter(answered_at__isnull=True).exists():
        raise DomainError("还有未答复的异议 / Objections are still unanswered", code="conflict")
    opening_record = build(hall)
    json_bytes = record.record_json(opening_record)
    signed = record.sign_record(
        json_bytes, signing.platform_sign, signing.platform_public_key().fingerprint()
    )
    hall.record_json = json_bytes
    hall.record_signature = signed
    hall.record_pdf.save(
        f"{hall.section.code}-opening-record.pdf",
        ContentFile(record.record_pdf(opening_record)),
        save=False,
    )
    hall.save(update_fields=["record_json", "record_signature", "record_pdf"])
    ledger.append("realtime.record.signed", actor=actor, target=hall.section, data=dict(signed))
    halls.move(hall, HallStage.CLOSED, actor=actor, record_sm3=signed["record_sm3"])
    transitions.apply(hall.section, SectionStatus.EVALUATION, actor=actor)
