"""What the opening record says: a closed hall gathered into ``ggzy_core.record`` data.

Everything comes from what the hall stored while it ran — the bids' openings, sign-ins,
answers to the reading, objections, and the numbered public events (``realtime.events``),
which are what everyone watching saw, so the record lists exactly that, in Beijing time.
Nothing here writes: ``realtime.closing`` signs, stores and publishes what this builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ggzy import clock
from ggzy_core import record
from ggzy_core.times import beijing_from_epoch_ms
from realtime.models import Decision, Hall, HallEvent, HallStage, OpeningStatus

K = record.EventKind

_STATUS = {
    OpeningStatus.DECRYPTED: record.BidStatus.DECRYPTED,
    OpeningStatus.REVOKED: record.BidStatus.REVOKED,
    OpeningStatus.WITHDRAWN: record.BidStatus.WITHDRAWN,
}
_STAGE_KINDS = {
    HallStage.SIGN_IN: K.SIGN_IN_OPENED,
    HallStage.BIDDERS: K.BIDDERS_SHOWN,
    HallStage.DECRYPTION: K.DECRYPTION_OPENED,
    HallStage.READING: K.READING_STARTED,
    HallStage.CONFIRMATION: K.CONFIRMATION_OPENED,
    HallStage.OBJECTIONS: K.OBJECTIONS_OPENED,
    HallStage.CLOSED: K.CLOSED,
    HallStage.FAILED: K.FAILED,
}
_BID_KINDS = {
    OpeningStatus.DECRYPTING: K.KEY_ACCEPTED,
    OpeningStatus.DECRYPTED: K.DECRYPTED,
    OpeningStatus.FAILED: K.DECRYPTION_FAILED,
    OpeningStatus.REVOKED: K.REVOKED,
    OpeningStatus.WITHDRAWN: K.WITHDRAWN,
}
# Hall events that are not part of the opening itself: the record's own announcement
# comes after the record is signed.
_NOT_RECORDED = frozenset({"record"})


def build(hall: Hall) -> record.OpeningRecord:
    section = hall.section
    project = section.project
    answers = {c.organisation_id: c for c in hall.confirmations.all()}
    signed_in = dict(hall.sign_ins.values_list("organisation_id", "signed_in_at"))
    rows = []
    for opening in hall.openings.select_related("bid", "bid__organisation").order_by("number"):
        sheet = opening.sheet if opening.status == OpeningStatus.DECRYPTED else None
        organisation = opening.bid.organisation
        answer = answers.get(organisation.id)
        rows.append(
            record.BidRow(
                sequence=opening.number,
                bidder_name=organisation.name,
                credit_code=organisation.credit_code,
                status=_STATUS[OpeningStatus(opening.status)],
                reading=_reading(sheet) if sheet else None,
                confirmation=_confirmation(answer.decision if answer else None),
                # Both answers are signed with the bidder's bound key (reading.answer).
                signature_fingerprint=answer.key_fingerprint if answer else None,
                confirmed_at=answer.answered_at if answer else None,
                signed_in_at=signed_in.get(organisation.id),
            )
        )
    raised = list(
        hall.objections.select_related("organisation", "answered_by").order_by("raised_at", "pk")
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
        for o in raised
    ]
    numbers = {o.pk: n for n, o in enumerate(raised, start=1)}
    stored = HallEvent.objects.filter(hall=hall).order_by("sequence")
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
        events=capped(
            [e for e in (event(s, numbers) for s in stored.iterator()) if e is not None],
            record.events_cap(len(rows)),
        ),
    )


def _confirmation(decision: str | None) -> record.Confirmation:
    if decision == Decision.CONFIRM:
        return record.Confirmation.CONFIRMED
    if decision == Decision.OBJECT:
        return record.Confirmation.OBJECTED
    return record.Confirmation.NO_ANSWER


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


def event(stored: HallEvent, objection_numbers: Mapping[int, int]) -> record.Event | None:
    """One stored hall event as the record lists it; None for events not of the opening."""
    kind, p, at = stored.kind, stored.payload, stored.created_at
    if kind in _NOT_RECORDED:
        return None
    if kind == "stage" and p.get("stage") in _STAGE_KINDS:
        return record.Event(_STAGE_KINDS[HallStage(p["stage"])], at, note=_stage_note(p))
    if kind == "bid_status" and p.get("status") in _BID_KINDS:
        return record.Event(
            _BID_KINDS[OpeningStatus(p["status"])], at, bidder_name=str(p.get("bidder", ""))
        )
    bidder = str(p.get("bidder", ""))
    if kind == "signed_in":
        return record.Event(K.SIGNED_IN, at, bidder_name=bidder)
    if kind == "answered":
        answered = K.CONFIRMED if p.get("decision") == Decision.CONFIRM else K.OBJECTED
        return record.Event(answered, at, bidder_name=bidder)
    if kind in ("objection", "objection_answered"):
        number = objection_numbers.get(int(p.get("id", 0)))
        note = f"见异议第 {number} 条" if number else ""
        if kind == "objection":
            return record.Event(K.OBJECTION_RAISED, at, note=note, bidder_name=bidder)
        return record.Event(K.OBJECTION_ANSWERED, at, note=note)
    if kind == "window_closed":
        return record.Event(
            K.DECRYPTION_CLOSED, at, note="仍有投标在解密或补救中，完成后由主持人进入唱标"
        )
    if kind == "rescue_started":
        return record.Event(
            K.RESCUE_STARTED,
            at,
            note=f"平台解密失败 {p.get('failed')} 份；需 {p.get('need')} 份开标密钥分片，"
            "其中一份须为监管方的 [E31]",
        )
    if kind == "share_received":
        regulator = "已含" if p.get("regulator") else "尚缺"
        note = f"已收到 {p.get('have')}/{p.get('need')} 份分片（{regulator}监管方分片）"
        return record.Event(K.SHARE_GIVEN, at, note=note)
    if kind == "rescue_ended":
        return record.Event(K.RESCUE_ENDED, at, note=f"以开标密钥补救解密 {p.get('rescued')} 份")
    return record.Event(K.OTHER, at, note=kind)  # a newer hall event: listed, never lost


def _stage_note(payload: Mapping[str, Any]) -> str:
    stage, deadline = payload.get("stage"), payload.get("deadline")
    if stage == HallStage.SIGN_IN and "bids" in payload:
        return f"共 {payload['bids']} 份投标文件"
    if stage == HallStage.DECRYPTION and deadline:
        return f"解密时限至 {beijing_from_epoch_ms(int(deadline))} [E30]"
    if stage == HallStage.CONFIRMATION and deadline:
        return f"确认时限至 {beijing_from_epoch_ms(int(deadline))}；唱标结果 SM3 {payload.get('reading_sm3', '')}"
    if stage == HallStage.FAILED:
        return str(payload.get("reason", ""))
    return ""


def capped(events: Iterable[record.Event], cap: int) -> tuple[record.Event, ...]:
    """At most ``cap`` events: the first ones, an ``omitted`` line counting the rest, and
    the last (the close), so the record still says how the opening ended."""
    listed = list(events)
    if len(listed) <= cap:
        return tuple(listed)
    head, last = listed[: cap - 2], listed[-1]
    left_out = len(listed) - len(head) - 1
    marker = record.Event(
        K.OMITTED,
        listed[cap - 2].at,
        note=f"另有 {left_out} 项事件未列出，完整过程见审计日志 / "
        f"{left_out} more events are in the audit ledger",
    )
    return (*head, marker, last)
